"""Loads the demo city through the same sources, importers and tile builds as real data."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from django.conf import settings

from gis_sync.models import Source, SyncRun
from jumeau.demo_city import generate
from jumeau.demo_city.gtfs import service_years
from realtime.gtfs_import import feed_due, import_feed
from realtime.shade_store import refresh_shade
from tiles.build import build_layers, unpublished_layers
from viewshed.dsm import ensure_surface

Progress = Callable[[str], None]

OPERATORS = {
    "water": {"operator": "Régie des Eaux d'Antibes", "network_type": "water", "network": "Eau potable — Antibes"},
    "sewer": {"operator": "Régie des Eaux d'Antibes", "network_type": "sewer", "network": "Assainissement — Antibes"},
    "gas": {"operator": "GRDF", "network_type": "gas", "network": "Distribution gaz — Antibes"},
}


# The files demo_sources reads.
NEEDED = ("terrain", "buildings", "streets", "landmarks", "water", "sewer", "gas", "circuits", "gtfs")
NEEDED += ("project", "draft_project")


def demo_dir() -> Path:
    return settings.VAR_DIR / "demo"


def ensure_files(folder: Path, seed: int, progress: Progress) -> dict[str, Path]:
    """The demo files, generated once; a manifest marks a complete generation.

    A generation whose timetable has ended (or from before the manifest said when it ends) is made again: the same
    seed gives the same city, with a timetable valid around today."""
    manifest = folder / "MANIFEST.json"
    today = date.today()
    if manifest.is_file():
        data = json.loads(manifest.read_text())
        # A manifest from before a file was added to the demo (the draft project) asks for a new generation.
        complete = set(NEEDED) <= set(data["files"]) and all(Path(p).exists() for p in data["files"].values())
        until = data.get("service_until")
        if data.get("seed") == seed and complete and _not_before(until, today):
            return {k: Path(v) for k, v in data["files"].items()}
        if complete and data.get("seed") == seed:
            progress(f"The demo timetable ended ({until or 'an older generation'}): generating the city again")
    progress(f"Generating the demo city (seed {seed}) in {folder}")
    files = generate(folder, seed=seed, progress=progress)
    manifest.write_text(
        json.dumps(
            {
                "seed": seed,
                "service_until": service_years(today)[1].isoformat(),
                "files": {k: str(v) for k, v in files.items()},
            },
            indent=1,
        )
    )
    return files


def _not_before(until: object, today: date) -> bool:
    """Whether a manifest's service_until is a date not before today; anything else (absent, hand-edited into
    something that is not a date) asks for a new generation rather than a stack trace."""
    try:
        return date.fromisoformat(until) >= today
    except (TypeError, ValueError):
        return False


def demo_sources(files: dict[str, Path]) -> list[dict]:
    """The demo as configured sources, in load order (terrain first: the others stand on it)."""
    sources = [
        {"key": "demo-terrain", "name": "MNT Antibes (démo)", "format": "terrain", "location": files["terrain"]},
        {
            "key": "demo-buildings",
            "name": "BD TOPO bâtiments (démo)",
            "format": "ogr",
            "location": files["buildings"],
            "options": {"kind": "buildings"},
        },
        {
            "key": "demo-streets",
            "name": "Tronçons de route et chemins (démo)",
            "format": "ogr",
            "location": files["streets"],
            "options": {"kind": "streets"},
        },
        {
            "key": "demo-landmarks",
            "name": "Points d'intérêt (démo)",
            "format": "ogr",
            "location": files["landmarks"],
            "options": {"kind": "poi"},
        },
        {
            "key": "demo-water",
            "name": "RAEPA eau potable (démo)",
            "format": "raepa",
            "location": files["water"],
            "options": OPERATORS["water"],
        },
        {
            "key": "demo-sewer",
            "name": "RAEPA assainissement (démo)",
            "format": "raepa",
            "location": files["sewer"],
            "options": OPERATORS["sewer"],
        },
        {
            "key": "demo-gas",
            "name": "StaR-DT gaz (démo)",
            "format": "stardt",
            "location": files["gas"],
            "options": OPERATORS["gas"],
        },
        {
            "key": "demo-circuits",
            "name": "Circuits touristiques (démo)",
            "format": "circuits",
            "location": files["circuits"],
        },
    ]
    if "trees" in files:  # a demo folder generated before the trees keeps working without them
        sources.insert(
            2,
            {
                "key": "demo-trees",
                "name": "Arbres d'alignement (démo)",
                "format": "ogr",
                "location": files["trees"],
                "options": {"kind": "trees"},
            },
        )
    for key in ("project", "draft_project"):
        sources.extend(_project_sources(files[key]))
    return sources


def _project_sources(path: Path) -> list[dict]:
    """One glTF source per variant of a project.json (the consultation's project, the planners' draft)."""
    sources = []
    project = json.loads(path.read_text())
    for variant in project["variants"]:
        sources.append(
            {
                "key": f"demo-{path.parent.name}-{variant['id'].replace('_', '-')}",
                "name": f"{project['name']} — {variant['name']}",
                "format": "gltf",
                "location": path.parent / variant["file"],
                "options": {
                    "project": project["name"],
                    "project_status": project.get("status", "consultation"),
                    "project_description": project.get("description", ""),
                    "variant": variant["name"],
                    "placement": variant["placement"],
                    "rotation_convention": project.get("rotation_convention", ""),
                },
            }
        )
    return sources


def load_demo(*, seed: int = 42, progress: Progress = print, tiles: bool = True) -> None:
    """Generate (once), sync every demo source that has not synced yet, import GTFS, build tiles, then the DSM."""
    started = time.perf_counter()
    files = ensure_files(demo_dir(), seed, progress)
    for spec in demo_sources(files):
        source, _ = Source.objects.update_or_create(
            key=spec["key"],
            defaults={
                "name": spec["name"],
                "format": spec["format"],
                "location": str(spec["location"]),
                "options": spec.get("options", {}),
            },
        )
        last = source.last_run()
        if last is not None and last.status == SyncRun.Status.SUCCESS:
            continue
        progress(f"Syncing {source.key} ({source.format}) from {Path(source.location).name}")
        source.sync(progress=progress)  # which ends with the run's summary
    if feed_due(files["gtfs"], date.today()):
        report = import_feed(str(files["gtfs"]), progress=progress)
        if report.unchanged:  # an import says what it imported, not what it skipped
            progress(f"Demo GTFS feed: {report.summary()}")
    if tiles:
        missing = unpublished_layers()
        if missing:
            progress(f"Building tiles: {', '.join(missing)}")
            build_layers(missing, progress=progress)
    build_surface_model(progress)
    cast_street_shade(progress)
    progress(f"Demo city ready in {time.perf_counter() - started:.1f} s")


def build_surface_model(progress: Progress) -> None:
    """Build (or patch) the viewshed's surface model from the data the tiles were just built from.

    Requests only read the DSM (a build reads every building: minutes, far too heavy for one), so
    every job that rebuilds tiles rebuilds it after them, as `manage.py build_dsm` does in
    docker/compose.yaml's jobs loop. The order is wired here, in the project package, because tiles
    must not import the viewshed; the DSM's own lock keeps two builds from overlapping.
    """
    ensure_surface(progress=progress)


def cast_street_shade(progress: Progress) -> None:
    """Cast today's and tomorrow's shade on the walk graph, after the surface model it is cast on.

    Wired here for the same reason as the surface model: realtime reads the viewshed's surface, and
    the project package orders the jobs. A table already current for this graph and surface is kept.
    """
    refresh_shade(progress=progress)
