"""The walk graph's shade table on disk (VAR_DIR/shade/shade.npz): computed by a job, read by the route service.

The job (`manage.py compute_shade`, run by the demo loader and after every surface model build) casts
the shade of today and tomorrow, local time, on the current surface model; the route service reads the
file and uses it only while it fits the graph it routes on. Reaches the viewshed app through its stated
interface: `viewshed.dsm.ensure_surface` (the surface model) and the pure `viewshed.sun` / `viewshed.shadow`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings

from realtime.crowns import Crowns
from realtime.pedestrian import current_graph
from realtime.shade import SLOT_MINUTES, ShadeTable, edge_samples, graph_key, shade_shares
from twin.geoid import city_frame
from twin.models import Tree
from viewshed.dsm import ensure_surface
from viewshed.shadow import grid_azimuth
from viewshed.sun import day_times, sun_positions

Progress = Callable[[str], None]
DAYS = 2  # today and tomorrow: a walk planned tonight for tomorrow morning finds its shade


def shade_path() -> Path:
    return Path(settings.VAR_DIR) / "shade" / "shade.npz"


def city_sun_frame(grid) -> tuple[float, float, float]:
    """(lat, lon) in WGS84 degrees of the grid's centre and the grid azimuth of true north there (degrees)."""
    frame = city_frame()
    x = grid.xmin + grid.cols * grid.cell / 2
    y = grid.ymax - grid.rows * grid.cell / 2
    lon, lat = frame.to_lonlat(np.array([x]), np.array([y]))
    lon, lat = float(lon[0]), float(lat[0])
    # Grid north and true north part by the projection's meridian convergence (about 3 degrees at
    # Antibes in Lambert-93): the sun's true azimuth is turned by it before it meets the grid.
    nx, ny = frame.from_lonlat(np.array([lon]), np.array([lat + 0.01]))
    north = float(np.degrees(np.arctan2(float(nx[0]) - x, float(ny[0]) - y)))
    return lat, lon, north


def slot_starts(first_day: date, tz: str, days: int = DAYS) -> np.ndarray:
    """UTC datetime64[s] starts of the SLOT_MINUTES slots of `days` local days from `first_day`."""
    return np.concatenate([day_times(first_day + timedelta(days=i), tz, SLOT_MINUTES) for i in range(days)])


def compute_table(
    graph, surface, starts: np.ndarray, progress: Progress | None = None, crowns: Crowns | None = None
) -> ShadeTable:
    """The shade of every edge of `graph` (PedestrianGraph) on `surface` (SurfaceModel) for the slots at `starts`.

    crowns: the city's trees, casting shade with the buildings. Each slot is judged by the sun at its
    middle. Seconds: a day of 96 slots on the demo city's 1 m DSM.
    """
    lat, lon, north = city_sun_frame(surface.grid)
    middles = starts + np.timedelta64(SLOT_MINUTES * 30, "s")
    sun = sun_positions(middles, lat, lon)
    samples = edge_samples(graph.x, graph.y, graph.z, graph.edge_u, graph.edge_v)
    if progress:
        progress(
            f"Casting shade on {samples.n_edges:,} street edges ({len(samples.edge):,} points) "
            f"for {int(sun.up.sum())} daylight slots of {SLOT_MINUTES} min, "
            f"{len(crowns) if crowns is not None else 0:,} tree crowns"
        )
    azimuth = grid_azimuth(sun.azimuth, north)
    shares = shade_shares(surface.dsm, surface.grid, samples, azimuth, sun.elevation, crowns)
    key = graph_key(graph.x, graph.y, graph.edge_u, graph.edge_v)
    n_trees = len(crowns) if crowns is not None else 0
    return ShadeTable.from_shares(shares, starts[0], SLOT_MINUTES, key, surface.fingerprint, n_trees)


def city_crowns() -> tuple[Crowns, str]:
    """The twin's tree crowns and their fingerprint ("" without trees): a table cast before a tree changed is stale."""
    trees = Tree.objects.all()
    if not trees.exists():
        return Crowns.none(), ""
    return Crowns(**trees.crown_arrays()), trees.fingerprint()


def refresh_shade(progress: Progress | None = None, force: bool = False, today: date | None = None) -> dict:
    """Recompute the stored table unless it already covers today and tomorrow for this graph, surface and trees.

    Builds or patches the surface model first when buildings changed (`ensure_surface`): a job, never a
    request. Returns what was done: {"status": "current" | "computed", "seconds", "edges", "slots"}.
    """

    surface = ensure_surface(progress=progress)
    crowns, trees_key = city_crowns()
    cast_on = f"{surface.fingerprint}+trees:{trees_key}" if trees_key else surface.fingerprint
    graph = current_graph().graph
    tz = settings.TIME_ZONE
    first = today or datetime.now(ZoneInfo(tz)).date()
    starts = slot_starts(first, tz)
    key = graph_key(graph.x, graph.y, graph.edge_u, graph.edge_v)
    path = shade_path()
    if path.is_file() and not force:
        try:
            old = ShadeTable.load(path)
        except (OSError, ValueError, KeyError):
            old = None
        if (
            old is not None
            and old.graph_key == key
            and old.surface == cast_on
            and old.start == starts[0]
            and old.n_slots == len(starts)
        ):
            return {"status": "current", "seconds": 0.0, "edges": int(old.shade.shape[0]), "slots": old.n_slots}
    t0 = time.perf_counter()
    table = compute_table(graph, surface, starts, progress, crowns)
    table = replace(table, surface=cast_on)
    table.save(path)
    seconds = time.perf_counter() - t0
    if progress:
        progress(f"Shade for {first} and the next day done in {seconds:.1f} s: {path}")
    return {
        "status": "computed",
        "seconds": round(seconds, 2),
        "edges": int(table.shade.shape[0]),
        "slots": table.n_slots,
        "trees": table.trees,
    }


_lock = threading.Lock()
_memo: dict = {"stamp": None, "table": None, "slot_shade": {}}


def current_table(graph) -> tuple[ShadeTable | None, np.ndarray | None]:
    """The stored table and its `graph.slot_shade` layout when it fits `graph` (PedestrianGraph), else (None, None).

    Reread when the file changes (its mtime and size).
    """
    path = shade_path()
    try:
        st = path.stat()
    except OSError:
        return None, None
    stamp = (st.st_mtime_ns, st.st_size)
    key = getattr(graph, "_shade_key", None)
    if key is None:
        key = graph._shade_key = graph_key(graph.x, graph.y, graph.edge_u, graph.edge_v)
    with _lock:
        if _memo["stamp"] != stamp:
            try:
                table = ShadeTable.load(path)
            except (OSError, ValueError, KeyError):
                return None, None
            _memo.update(stamp=stamp, table=table, slot_shade={})
        table = _memo["table"]
        if table.graph_key != key:
            return None, None
        layout = _memo["slot_shade"].get(key)
        if layout is None:
            layout = _memo["slot_shade"][key] = graph.slot_shade(table.shade)
    return table, layout
