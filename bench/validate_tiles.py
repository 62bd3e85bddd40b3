"""Run the official CesiumGS 3d-tiles-validator on every published layer, laid out as clients fetch it.

    JUMEAU_3DTILES_VALIDATOR=/path/to/3d-tiles-validator/build/main.js .venv/bin/python bench/validate_tiles.py \
        [--tiles var/tiles] [--out bench/results/validator.json]

The validator (0.6.x) is not on the npm registry and is not part of this project: point the variable at a build of
its public source. It also runs the Khronos glTF-Validator on every glb content, so a layer at 0 errors passes both.
CI cannot run it; tests/tiles/metadata_check.py holds the rules our tiles once broke, for every test build.

A published layer is the symlink var/tiles/<layer> -> .builds/<layer>/<version>. Clients fetch
/tiles/<layer>/tileset.json, whose contents are "@<version>/t/....glb" (immutable URLs, possibly of an older build
when a tile was reused). The validator resolves URIs on disk, so each layer is laid out in a temporary folder as the
server resolves them: the current build's files, plus "@<version>" for every kept build. Layers that are not 3D Tiles
(quantized-mesh terrain, the basemap image) are listed as skipped, with the reason.

Prints errors, warnings and infos per layer and writes them, with every error and warning type, to --out.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILDS = ".builds"  # tiles/publish.py keeps every version of <layer> under <tiles>/.builds/<layer>/
NOT_3D_TILES = {
    "layer.json": "quantized-mesh terrain (layer.json), not 3D Tiles",
    "basemap.json": "a raster image draped on the globe (basemap.json), not 3D Tiles",
}


def published_layers(tiles: Path) -> list[tuple[str, Path]]:
    """(layer, current build folder) for every published pointer under the tiles root, by name."""
    out = []
    for pointer in sorted(tiles.iterdir()):
        if pointer.is_symlink() and not pointer.name.startswith("."):
            out.append((pointer.name, pointer.resolve()))
    return out


def lay_out(tiles: Path, layer: str, build: Path, into: Path) -> Path:
    """A folder answering like /tiles/<layer>/: the current build's entries and an @<version> per kept build."""
    folder = into / layer
    folder.mkdir()
    for entry in build.iterdir():
        (folder / entry.name).symlink_to(entry)
    for version in (tiles / BUILDS / layer).iterdir():
        if version.is_dir() and not version.name.endswith(".partial"):
            (folder / f"@{version.name}").symlink_to(version.resolve())
    return folder / "tileset.json"


def _tally(issues: list[dict], into: collections.Counter) -> None:
    for issue in issues:
        into[(issue["severity"], issue["type"])] += 1
        _tally(issue.get("causes", []), into)


def _first_messages(issues: list[dict], severity: str, limit: int, out: list[str]) -> list[str]:
    """The innermost messages of a severity (the real cause, not the 'content caused errors' wrapper)."""
    for issue in issues:
        if len(out) >= limit:
            break
        causes = issue.get("causes", [])
        if issue["severity"] == severity and not any(c["severity"] == severity for c in causes):
            out.append(f"{issue['path']}: {issue['message']}")
        _first_messages(causes, severity, limit, out)
    return out


def validate(validator: Path, tileset: Path, report: Path) -> dict:
    started = time.perf_counter()
    done = subprocess.run(
        ["node", str(validator), "-t", str(tileset), "-r", str(report)],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if not report.is_file():
        raise SystemExit(f"{validator} wrote no report for {tileset} (exit {done.returncode}):\n{done.stderr[-2000:]}")
    result = json.loads(report.read_text())
    kinds: collections.Counter = collections.Counter()
    _tally(result.get("issues", []), kinds)
    return {
        "errors": result["numErrors"],
        "warnings": result["numWarnings"],
        "infos": result["numInfos"],
        "issue_types": {f"{sev} {kind}": n for (sev, kind), n in sorted(kinds.items())},
        "first_errors": _first_messages(result.get("issues", []), "ERROR", 5, []),
        "first_warnings": _first_messages(result.get("issues", []), "WARNING", 5, []),
        "seconds": round(time.perf_counter() - started, 2),
    }


def content_files(build: Path) -> int:
    return sum(1 for p in build.rglob("*") if p.suffix in {".glb", ".b3dm", ".pnts", ".i3dm", ".cmpt"})


def validator_version(validator: Path) -> str:
    package = validator.resolve().parents[1] / "package.json"
    return json.loads(package.read_text())["version"] if package.is_file() else "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=Path, default=ROOT / "var" / "tiles")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "validator.json")
    args = parser.parse_args()
    setting = os.environ.get("JUMEAU_3DTILES_VALIDATOR")
    if not setting:
        # `make bench` runs every bench script; without the validator this one has nothing to run.
        print("skipped: set JUMEAU_3DTILES_VALIDATOR to a built 3d-tiles-validator's build/main.js")
        return
    if not Path(setting).is_file():
        raise SystemExit(
            f"Set JUMEAU_3DTILES_VALIDATOR to the built 3d-tiles-validator's build/main.js (got {setting!r})."
        )
    validator = Path(setting)
    if not args.tiles.is_dir():
        raise SystemExit(f"No tiles under {args.tiles}: run `manage.py load_demo` (or build_tiles) first.")

    layers: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="jumeau-validate-") as tmp:
        for layer, build in published_layers(args.tiles):
            skipped = next((why for name, why in NOT_3D_TILES.items() if (build / name).is_file()), None)
            if skipped or not (build / "tileset.json").is_file():
                layers[layer] = {"skipped": skipped or "no tileset.json in its build"}
                continue
            tileset = lay_out(args.tiles, layer, build, Path(tmp))
            layers[layer] = {
                "version": build.name,
                "content_files": content_files(build),
                **validate(validator, tileset, Path(tmp) / f"{layer}.report.json"),
            }

    width = max(len(name) for name in layers)
    print(f"{'layer':<{width}}  {'tiles':>5}  {'errors':>6}  {'warnings':>8}  {'infos':>5}")
    for name, row in layers.items():
        if "skipped" in row:
            print(f"{name:<{width}}  skipped: {row['skipped']}")
            continue
        counts = f"{row['content_files']:>5}  {row['errors']:>6}  {row['warnings']:>8}  {row['infos']:>5}"
        print(f"{name:<{width}}  {counts}")
        for line in row["first_errors"] + row["first_warnings"]:
            print(f"    {line[:200]}")
    checked = [row for row in layers.values() if "skipped" not in row]
    summary = {
        "validator": f"3d-tiles-validator {validator_version(validator)}",
        "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip(),
        "python": platform.python_version(),
        "errors": sum(row["errors"] for row in checked),
        "warnings": sum(row["warnings"] for row in checked),
        "layers": layers,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    print(f"{summary['errors']} errors, {summary['warnings']} warnings in {len(checked)} layers; wrote {args.out}")
    sys.exit(1 if summary["errors"] else 0)


if __name__ == "__main__":
    main()
