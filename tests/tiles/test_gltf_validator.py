"""Every glb of every built layer passes the Khronos glTF-Validator with no error and no warning."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.tiles.gltf_validator import _MODULE, _SCRIPT
from tests.tiles.test_build_projects import make_variant
from tests.tiles.tile_reading import contents
from tiles.build import build_layers

pytestmark = pytest.mark.django_db


def validate_all(paths) -> list[dict]:
    if shutil.which("node") is None or not _MODULE.is_dir():
        pytest.fail("node or frontend/node_modules/gltf-validator is missing: run `make test` (it runs npm ci).")
    done = subprocess.run(["node", str(_SCRIPT), *map(str, paths)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_glb_of_each_layer_is_valid(buildings, pipes, nodes, tmp_path, tiles_root, monkeypatch):
    from tiles.builders import buildings as builder

    # Small tiles: the buildings layer gets parent tiles (simplified footprints) besides its leaves.
    monkeypatch.setattr(builder, "MAX_FEATURES", 12)
    monkeypatch.setattr(builder, "PARENT_FEATURES", 10)
    from tiles.builders import networks

    # And the networks layer parent tiles (coarse pipes, no sleeve).
    monkeypatch.setattr(networks, "MAX_FEATURES", 2)
    monkeypatch.setattr(networks, "PARENT_FEATURES", 2)
    variant = make_variant(tmp_path, "a", 30.0)
    layers = ["buildings", "networks", variant.tile_layer]
    records = build_layers(layers, progress=lambda m: None)
    assert all(r.status == "published" for r in records)
    paths = [c.path for layer in layers for c in contents(tiles_root, layer)]
    assert len(paths) >= 3
    assert sum(1 for c in contents(tiles_root, "buildings") if c.tile["geometricError"] > 0) >= 3, "parent tiles"
    assert sum(1 for c in contents(tiles_root, "networks") if c.tile["geometricError"] > 0) >= 2, "parent tiles"
    reports = validate_all(paths)
    assert len(reports) == len(paths)
    for report in reports:
        problems = [m for m in report["messages"] if m["severity"] <= 1]
        assert report["numErrors"] == 0 and report["numWarnings"] == 0, (report["file"], problems)
