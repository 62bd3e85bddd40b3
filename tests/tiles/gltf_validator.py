"""Run the Khronos glTF-Validator (npm, through node) on glb bytes from pytest."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).with_name("gltf_validate.mjs")
_MODULE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "gltf-validator"


def validate_glb(data: bytes, tmp_path: Path, name: str = "tile.glb") -> dict:
    """Write the glb, validate it, and return the report (numErrors, numWarnings, messages)."""
    if shutil.which("node") is None or not _MODULE.is_dir():
        pytest.fail("node or frontend/node_modules/gltf-validator is missing: run `make test` (it runs npm ci).")
    path = tmp_path / name
    path.write_bytes(data)
    done = subprocess.run(["node", str(_SCRIPT), str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)[0]


def assert_valid_glb(data: bytes, tmp_path: Path, name: str = "tile.glb") -> dict:
    """Fail with the validator's messages unless the glb has zero errors and zero warnings."""
    report = validate_glb(data, tmp_path, name)
    problems = [m for m in report["messages"] if m["severity"] <= 1]
    assert report["numErrors"] == 0 and report["numWarnings"] == 0, json.dumps(problems, indent=1)
    return report
