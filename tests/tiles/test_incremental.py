"""Incremental, atomic builds: a sync that changes 3 buildings rewrites only the tiles (leaves and parents) that draw
them; a failed build changes nothing."""

from __future__ import annotations

import json
import os

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from tests.tiles.tile_reading import contents, decode
from tiles.build import BuildFailed, build_layers, stale_layers
from tiles.builders import buildings as builder
from tiles.models import TileBuild
from tiles.publish import current_dir, current_version
from twin.models import Change, ChangeCursor

pytestmark = pytest.mark.django_db


def _tile_files(tiles_root) -> dict[str, os.stat_result]:
    folder = current_dir(tiles_root, "buildings")
    return {str(p.relative_to(folder)): p.stat() for p in sorted((folder / "t").glob("*.glb"))}


def _dirty(buildings) -> None:
    """What gis_sync writes after a sync: the changed features' boxes, per layer."""
    boxes = [Polygon.from_bbox(b.footprint.extent) for b in buildings]
    Change.objects.create(
        layer="buildings", area=MultiPolygon(*boxes, srid=2154), source_ids=[b.source_id for b in buildings]
    )


def _body(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def _tiles_of(tiles_root) -> dict[str, set[str]]:
    """source_id → every tile drawing it: its leaf and the parents that keep it."""
    out: dict[str, set[str]] = {}
    for content in contents(tiles_root, "buildings"):
        _, table, _ = decode(content)
        for sid in table["source_id"]:
            out.setdefault(sid, set()).add(content.path.name)
    return out


def test_changing_three_buildings_rewrites_only_the_tiles_that_hold_them(buildings, tiles_root, small_tiles):
    [first] = build_layers(["buildings"], progress=lambda m: None)
    before = _tile_files(tiles_root)
    assert len(before) >= 8
    changed = [buildings[5], buildings[60], buildings[61]]
    for b in changed:
        b.roof_z += 7.5
        b.save()
    _dirty(changed)
    assert stale_layers() == ["buildings"]

    [second] = build_layers(stale=True, progress=lambda m: None)
    assert second.version != first.version and second.status == "published"
    after = _tile_files(tiles_root)
    assert set(after) == set(before)
    drawing = _tiles_of(tiles_root)
    holding = {f"t/{name}" for b in changed for name in drawing[b.source_id]}
    rewritten = {name for name in after if after[name].st_ino != before[name].st_ino}
    assert rewritten == holding
    manifest = json.loads((current_dir(tiles_root, "buildings") / "manifest.json").read_text())
    parents = {f"t/{key}.glb" for key, tile in manifest["tiles"].items() if tile.get("lod")}
    assert len(holding - parents) >= 2, "the leaves holding them"
    assert holding & parents, "raised buildings show in parent tiles, which are rewritten"
    assert parents - holding, "parents that draw no changed building are hard-linked"
    assert second.tiles_rewritten == len(holding) and second.tiles == len(after)
    assert ChangeCursor.position_of("tiles", "buildings") == Change.objects.head(), "read after a successful rebuild"
    assert stale_layers() == []
    # The rewritten tiles carry the new heights.
    for content in contents(tiles_root, "buildings"):
        _, table, _ = decode(content)
        for b in changed:
            if b.source_id in table["source_id"]:
                i = table["source_id"].index(b.source_id)
                assert table["roof_z"][i] == pytest.approx(b.roof_z, abs=0.01)


def test_an_older_tileset_json_keeps_finding_its_own_tiles(buildings, tiles_root, small_tiles, citizen):
    build_layers(["buildings"], progress=lambda m: None)
    old_doc = json.loads(_body(citizen.get("/tiles/buildings/tileset.json")))
    buildings[0].roof_z += 3
    buildings[0].save()
    build_layers(["buildings"], progress=lambda m: None)

    def uris(tile):
        if "content" in tile:
            yield tile["content"]["uri"]
        for child in tile.get("children", ()):
            yield from uris(child)

    for uri in uris(old_doc["root"]):
        assert _body(citizen.get(f"/tiles/buildings/{uri}"))


def test_a_failing_build_leaves_the_previous_one_serving(buildings, tiles_root, small_tiles, monkeypatch, citizen):
    [first] = build_layers(["buildings"], progress=lambda m: None)
    served = _body(citizen.get("/tiles/buildings/tileset.json"))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full while writing a tile")

    monkeypatch.setattr(builder, "tile_glb", broken)
    buildings[0].roof_z += 3
    buildings[0].save()
    _dirty([buildings[0]])
    with pytest.raises(BuildFailed, match="disk full"):
        build_layers(["buildings"], progress=lambda m: None)
    assert current_version(tiles_root, "buildings") == first.version
    assert _body(citizen.get("/tiles/buildings/tileset.json")) == served
    failed = TileBuild.objects.filter(status="failed").get()
    assert "disk full" in failed.error
    assert stale_layers() == ["buildings"], "the change waits for a successful build"
    assert not list((tiles_root / ".builds" / "buildings").glob("*.partial"))
    assert json.loads(served)["asset"]["version"] == "1.1"


def test_an_unchanged_rebuild_rewrites_no_tile_not_even_a_parent(buildings, tiles_root, small_tiles):
    build_layers(["buildings"], progress=lambda m: None)
    before = _tile_files(tiles_root)
    manifest = json.loads((current_dir(tiles_root, "buildings") / "manifest.json").read_text())
    assert sum(1 for tile in manifest["tiles"].values() if tile.get("lod")) >= 3
    [again] = build_layers(["buildings"], progress=lambda m: None)
    after = _tile_files(tiles_root)
    assert again.tiles_rewritten == 0 and again.tiles == len(after) == len(before)
    assert all(after[name].st_ino == before[name].st_ino for name in after)
