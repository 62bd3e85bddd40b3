"""A seeded, Django-free generator of an Antibes-like city written as the files a city really holds."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from .buildings import build_buildings, write_buildings
from .coastline import Coastline
from .extent import DEMO_EXTENT, DEMO_SRID
from .gas_stardt import write_gas
from .gtfs import write_gtfs
from .landmarks import write_circuits, write_landmarks
from .networks_raepa import write_sewer, write_water
from .project import write_draft_project, write_project
from .streets import build_streets, write_streets
from .terrain import build_terrain, write_terrain
from .trees import write_trees

__all__ = ["DEMO_EXTENT", "DEMO_SRID", "generate"]


def generate(out_dir: Path, seed: int = 42, progress: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Write the demo city into out_dir and return {key: path} of every file written.

    Coordinates are EPSG:2154 (Lambert-93) metres and heights NGF-IGN69 metres, except
    landmarks.geojson and gtfs.zip which are WGS84 lon/lat as their formats require.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def say(msg: str) -> None:
        if progress is not None:
            progress(f"[{time.perf_counter() - started:5.1f}s] {msg}")

    say("coastline and terrain")
    coast = Coastline()
    terrain = build_terrain(coast, seed)
    files: dict[str, Path] = {"terrain": write_terrain(terrain, out_dir / "terrain.tif")}
    say("streets")
    streets = build_streets(coast, terrain, seed)
    files["streets"] = write_streets(streets, out_dir / "streets.gpkg")
    say(f"{len(streets.streets)} street segments; buildings")
    buildings = build_buildings(coast, terrain, streets, seed)
    files["buildings"] = write_buildings(buildings, terrain, out_dir / "buildings.gpkg", seed)
    say(f"{len(buildings)} buildings; street trees")
    files["trees"] = write_trees(streets, buildings, out_dir / "trees.geojson", seed)
    say("water and sewer (RAEPA)")
    files["water"] = write_water(streets, terrain, out_dir / "water.gpkg", seed)
    files["sewer"] = write_sewer(streets, terrain, out_dir / "sewer.gpkg", seed)
    say("gas (StaR-DT)")
    files["gas"] = write_gas(streets, terrain, out_dir / "gas.gml", seed)
    say("GTFS")
    files["gtfs"] = write_gtfs(streets, out_dir / "gtfs.zip", seed)
    say("landmarks, circuits, project")
    files["landmarks"] = write_landmarks(terrain, out_dir / "landmarks.geojson")
    files["circuits"] = write_circuits(out_dir / "circuits.json")
    for key, path in write_project(terrain, out_dir / "project").items():
        files[f"project_{key}" if key != "project" else "project"] = path
    for key, path in write_draft_project(terrain, out_dir / "draft").items():
        files[f"draft_{key}" if key != "project" else "draft_project"] = path
    say("done")
    return files
