"""Point cloud layers: LAS/LAZ → ECEF through twin.geoid, then py3dtiles convert (pnts) in a child process.

py3dtiles would reproject on its own, but through PROJ's CRS-to-CRS path, which leaves orthometric
heights as they are (about 50 m off near Antibes). The points are moved to ECEF here, by the same
HeightFrame as buildings, pipes and terrain, and py3dtiles is told input and output are both EPSG:4978.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from tiles.builders.base import LayerStats, Progress, prefix_root_uris, write_json
from tiles.errors import NothingToBuild, TilesError
from tiles.precompress import write_tile
from tiles.publish import LayerBuild
from twin.geoid import HeightFrame

CHUNK = 2_000_000
TIMEOUT_S = 3600


def to_ecef_las(source: Path, target: Path, frame: HeightFrame) -> int:
    """Write source's points as a LAS in ECEF metres (mm resolution), keeping colours; returns the count."""
    # Here, not at the top: laspy takes 0.1-0.16 s to import (`python -X importtime`), and tiles.build loads this
    # module into every web process and worker, which mostly never see a point cloud.
    import laspy

    with laspy.open(str(source)) as reader:
        header = reader.header
        count = header.point_count
        if not count:
            raise NothingToBuild(f"The point cloud {source.name} has no point.")
        point_format = header.point_format.id
        out_header = laspy.LasHeader(point_format=point_format, version="1.2" if point_format <= 3 else "1.4")
        out_header.scales = np.array([0.001, 0.001, 0.001])
        mins, maxs = header.mins, header.maxs
        corner = frame.to_ecef(
            np.array([mins[0], maxs[0]]), np.array([mins[1], maxs[1]]), np.array([mins[2], maxs[2]])
        ).mean(axis=0)
        out_header.offsets = np.round(corner)
        with laspy.open(str(target), mode="w", header=out_header) as writer:
            for chunk in reader.chunk_iterator(CHUNK):
                ecef = frame.to_ecef(np.asarray(chunk.x), np.asarray(chunk.y), np.asarray(chunk.z))
                if not np.isfinite(ecef).all():
                    raise TilesError(
                        f"Points of {source.name} fall outside the area of EPSG:{frame.srid}: "
                        "check the cloud's CRS (PointCloud.srid)."
                    )
                record = laspy.ScaleAwarePointRecord.zeros(len(ecef), header=out_header)
                record.x, record.y, record.z = ecef[:, 0], ecef[:, 1], ecef[:, 2]
                names = chunk.point_format.dimension_names
                for name in ("intensity", "classification"):
                    if name in names and name in record.point_format.dimension_names:
                        record[name] = chunk[name]
                if "red" in names and "red" in record.point_format.dimension_names:
                    rgb = [np.asarray(chunk[c]) for c in ("red", "green", "blue")]
                    # Many writers store 8-bit colours in LAS's 16-bit fields; py3dtiles would draw them black.
                    scale = 256 if max(int(c.max()) for c in rgb) <= 255 else 1
                    record.red, record.green, record.blue = (c * scale for c in rgb)
                writer.write_points(record)
    return int(count)


def build(build: LayerBuild, frame: HeightFrame, progress: Progress, cloud) -> LayerStats:
    """Write one point cloud's tileset (pnts) into build.path."""
    source = Path(cloud.file)
    if not source.is_file():
        raise NothingToBuild(f"The point cloud file {source} is missing: import the cloud again.")
    work = build.path / ".work"
    work.mkdir()
    ecef_las = work / "ecef.las"
    count = to_ecef_las(source, ecef_las, HeightFrame(cloud.srid, frame.grid))
    progress(f"  {cloud.name}: {count} points moved to ECEF; py3dtiles convert")
    out = build.path / "pc"
    done = subprocess.run(
        [sys.executable, "-m", "tiles.builders.pointcloud_convert", str(ecef_las), str(out)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        cwd=Path(__file__).resolve().parents[2],
    )
    if done.returncode != 0:
        raise TilesError(f"py3dtiles could not convert {source.name}: {done.stderr.strip()[-1500:]}")
    ecef_las.unlink()
    work.rmdir()
    document = json.loads((out / "tileset.json").read_text())
    (out / "tileset.json").unlink()

    def relocate(tile: dict) -> None:
        if "content" in tile:
            tile["content"]["uri"] = f"pc/{tile['content']['uri']}"
        for child in tile.get("children", ()):
            relocate(child)

    relocate(document["root"])
    prefix_root_uris(document, build.version)
    stats = LayerStats(features=count)
    files = [p for p in out.rglob("*") if p.is_file()]
    for tile in files:
        if tile.suffix in (".pnts", ".glb"):
            write_tile(tile, tile.read_bytes())
    stats.tiles = stats.tiles_rewritten = sum(1 for p in files if p.suffix in (".pnts", ".glb"))
    stats.bytes = sum(p.stat().st_size for p in files) + write_json(build.path / "tileset.json", document)
    return stats
