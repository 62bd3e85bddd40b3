"""A proposal's impact on every neighbouring window: gather the city around a variant, compute, rank.

The Django edge of the impact report: it reads the buildings, the surface model and the variant,
hands arrays to the pure cores (windows, facade_horizon, daylight, br209, service) and returns a
JSON-ready result that `ImpactReport` stores.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Polygon

from twin.geoid import city_frame
from twin.models import Building, PointOfInterest, Terrain
from viewshed import br209
from viewshed import gardens as gd
from viewshed.daylight import UNOBSTRUCTED_VSC, vertical_sky_component
from viewshed.dsm import variant_patch
from viewshed.errors import ImpactError, ViewshedError
from viewshed.eye import Eye
from viewshed.facade_horizon import DEFAULT_AZIMUTHS, facade_horizons
from viewshed.report_map import map_svg
from viewshed.service import Landmark, compute_view
from viewshed.sunlight import STEP_MINUTES, facing_south, probable_sunlight, sun_year
from viewshed.surface import Grid, Patch, SurfaceModel, footprint_patch
from viewshed.windows import BuildingShape, distance_to_box, faces_box, sample_windows, window_azimuth_deg

Progress = Callable[[str], None]
# Bumped when a change of method changes the numbers: stored reports then count as out of date.
METHOD_VERSION = 3
DEFAULT_RADIUS_M = 300.0
# How far each window's horizon is walked: past the variant (within the radius) with room to spare;
# anything farther is left out of both before and after, as the report's method states.
DEFAULT_HORIZON_M = 600.0
# The balcony numbers (visible area, sea, landmarks) are computed for this many worst windows.
WORST_WINDOWS = 5
BALCONY_RADIUS_M = 1500.0
BALCONY_RESOLUTION_M = 2.0


@dataclass(frozen=True)
class Parameters:
    """What a report depends on besides the data: radius and spacing in metres, azimuths per window."""

    radius_m: float = DEFAULT_RADIUS_M
    spacing_m: float = 5.0
    horizon_m: float = DEFAULT_HORIZON_M
    azimuths: int = DEFAULT_AZIMUTHS


def _site(variant, patch: Patch, grid) -> tuple[object, tuple[float, float, float, float]]:
    """The variant's site as a geometry (its footprint, else the box of its raised cells) and its box (metres)."""
    raised = np.argwhere(np.isfinite(patch.heights))
    if not len(raised):
        raise ImpactError(
            f"Variant {variant.pk} ({variant}) raises no cell of the surface model: "
            "check its placement (origin, elevation) in the admin."
        )
    (ra, ca), (rb, cb) = raised.min(axis=0) + (patch.r0, patch.c0), raised.max(axis=0) + (patch.r0, patch.c0) + 1
    cs = grid.cell
    box = (grid.xmin + ca * cs, grid.ymax - rb * cs, grid.xmin + cb * cs, grid.ymax - ra * cs)
    geom = variant.footprint or Polygon.from_bbox(box)
    if geom.srid is None:
        geom.srid = settings.JUMEAU_SRID
    return geom, box


def _neighbours(site, radius_m: float) -> tuple[list, list]:
    """(buildings within radius_m of the site, ids of those standing on the site itself)."""
    near = Building.objects.filter(footprint__dwithin=(site, radius_m)).order_by("id")
    kept, on_site = [], []
    for b in near.only("id", "source_id", "name", "footprint", "ground_z", "roof_z", "storeys", "use"):
        # A building the project stands on is the one it replaces: it has no windows to protect.
        (on_site if b.footprint.intersects(site) else kept).append(b)
    return kept, [b.pk for b in on_site]


def inputs_fingerprint(variant, params: Parameters) -> str:
    """A hash of everything a variant's report reads: the variant, the buildings around it, the terrain, the method."""
    h = hashlib.sha256()
    h.update(json.dumps([METHOD_VERSION, asdict(params)]).encode())
    mesh = Path(variant.mesh_file) if variant.mesh_file else None
    mesh_stat = (mesh.stat().st_mtime_ns, mesh.stat().st_size) if mesh and mesh.is_file() else None
    h.update(
        repr(
            (
                variant.pk,
                variant.footprint.wkb.hex() if variant.footprint else None,
                variant.min_z,
                variant.max_z,
                variant.mesh_file,
                mesh_stat,
                variant.elevation_m,
                variant.rotation_deg,
                variant.origin.coords if variant.origin else None,
            )
        ).encode()
    )
    terrain = Terrain.current()
    h.update(repr((terrain.pk, terrain.checksum, terrain.file) if terrain else None).encode())
    if variant.footprint is not None:
        reach = params.radius_m + params.horizon_m
        rows = (
            Building.objects.filter(footprint__dwithin=(variant.footprint, reach))
            .order_by("id")
            .values_list("id", "footprint", "ground_z", "roof_z", "storeys", "use", "content_hash")
        )
        for pk, footprint, *rest in rows:
            h.update(repr((pk, footprint.wkb.hex(), *rest)).encode())
    else:
        h.update(repr(list(Building.objects.order_by("id").values_list("id", "updated_at", "content_hash"))).encode())
    return h.hexdigest()


def _dsm_window(surface: SurfaceModel, box: tuple[float, float, float, float], margin_m: float):
    """A float32 copy of the DSM over `box` grown by margin_m, clipped to the grid: (heights, r0, c0, origin)."""
    g = surface.grid
    r0, c0 = g.pixel(box[0] - margin_m, box[3] + margin_m)
    r1, c1 = g.pixel(box[2] + margin_m, box[1] - margin_m)
    r0, c0 = max(int(math.floor(r0)), 0), max(int(math.floor(c0)), 0)
    r1, c1 = min(int(math.ceil(r1)), g.rows), min(int(math.ceil(c1)), g.cols)
    dsm = np.array(surface.dsm[r0:r1, c0:c1], dtype=np.float32, order="C")
    return dsm, r0, c0, (g.xmin + c0 * g.cell, g.ymax - r0 * g.cell)


def _standing_clear(windows: np.ndarray, dsm: np.ndarray, origin, cell: float) -> np.ndarray:
    """Windows whose reference point is inside the DSM window and above the surface there.

    A point under the surface is against a party wall, a taller neighbour or the hillside: it has no window.
    """
    rows = np.floor((origin[1] - windows["y"]) / cell).astype(np.int64)
    cols = np.floor((windows["x"] - origin[0]) / cell).astype(np.int64)
    inside = (rows >= 0) & (rows < dsm.shape[0]) & (cols >= 0) & (cols < dsm.shape[1])
    ok = np.zeros(len(windows), dtype=bool)
    ok[inside] = dsm[rows[inside], cols[inside]] < windows["z"][inside]
    return ok


def _building_rows(
    buildings: list,
    windows: np.ndarray,
    vsc_b: np.ndarray,
    vsc_a: np.ndarray,
    fails: np.ndarray,
    apsh_fails: np.ndarray,
    gardens: dict[int, dict],
) -> list[dict]:
    out = []
    loss = vsc_b - vsc_a
    for index, b in enumerate(buildings):
        mine = windows["building"] == index
        n = int(mine.sum())
        if not n:
            continue
        rel = br209.relative_loss(vsc_b[mine], vsc_a[mine])
        out.append(
            {
                "id": b.pk,
                "source_id": b.source_id,
                "name": b.name,
                "use": b.use,
                "residential": BuildingShape(b.pk, (), 0, 0, use=b.use).residential,
                "storeys": int(b.storeys or max(1, round((b.roof_z - b.ground_z) / 3.0))),
                "windows": n,
                "vsc_fails": int(fails[mine].sum()),
                "apsh_fails": int(apsh_fails[mine].sum()),
                "vsc_before_mean": round(float(vsc_b[mine].mean()), 2),
                "vsc_after_mean": round(float(vsc_a[mine].mean()), 2),
                "vsc_loss_max": round(float(loss[mine].max()), 2),
                "vsc_relative_loss_max": round(float(rel.max()), 4),
                "vsc_loss_sum": round(float(loss[mine].sum()), 2),
                **gardens.get(
                    b.pk,
                    {
                        "garden_m2": None,
                        "garden_sunlit_before": None,
                        "garden_sunlit_after": None,
                        "garden_fails": False,
                    },
                ),
            }
        )
    # Ranked by loss: windows failing a test first, then the total VSC taken (points of percent summed over windows).
    out.sort(key=lambda r: (-(r["vsc_fails"] + r["apsh_fails"] + r["garden_fails"]), -r["vsc_loss_sum"], r["id"]))
    return out


def _sun_frame(box: tuple[float, float, float, float]) -> tuple[float, float, float]:
    """(lat, lon) in WGS84 degrees of the box's centre and the grid azimuth of true north there (degrees)."""
    frame = city_frame()
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    lon, lat = (float(v[0]) for v in frame.to_lonlat(np.array([x]), np.array([y])))
    # Meridian convergence: grid north and true north part by about 3 degrees at Antibes in Lambert-93.
    nx, ny = frame.from_lonlat(np.array([lon]), np.array([lat + 0.01]))
    return lat, lon, float(np.degrees(np.arctan2(float(nx[0]) - x, float(ny[0]) - y)))


def _sunlight(
    h_before: np.ndarray, h_after: np.ndarray, facing: np.ndarray, todo: np.ndarray, site_box
) -> tuple[dict, np.ndarray]:
    """APSH and winter PSH before and after at the windows facing within 90 degrees of south (BR 209 3.2).

    Returns (per-window columns, each NaN for windows not tested; the south mask) and the summary.
    """
    lat, lon, north = _sun_frame(site_box)
    sun = sun_year(lat, lon, north)
    south = facing_south(facing, north)
    cols = {k: np.full(len(facing), np.nan) for k in ("apsh_before", "apsh_after", "winter_before", "winter_after")}
    cols["apsh_before"][south], cols["winter_before"][south] = probable_sunlight(h_before[south], facing[south], sun)
    cols["apsh_after"][south], cols["winter_after"][south] = cols["apsh_before"][south], cols["winter_before"][south]
    again = south & todo
    cols["apsh_after"][again], cols["winter_after"][again] = probable_sunlight(h_after[again], facing[again], sun)
    fails = np.zeros(len(facing), dtype=bool)
    fails[south] = br209.apsh_fails(
        cols["apsh_before"][south], cols["apsh_after"][south], cols["winter_before"][south], cols["winter_after"][south]
    )
    cols["apsh_fails"] = fails
    return cols, {
        "windows": int(south.sum()),
        "fails": int(fails.sum()),
        "sun_positions": int(len(sun.azimuth)),
        "step_minutes": STEP_MINUTES,
        "grid_north_deg": round(north, 2),
    }


def _gardens(
    site,
    radius_m: float,
    buildings: list,
    shapes: list[BuildingShape],
    before: np.ndarray,
    after: np.ndarray,
    origin,
    cell: float,
    site_box,
) -> tuple[dict[int, dict], dict]:
    """The 21 March test (BR 209 3.3.17) on each dwelling's garden: {building id: numbers}, and the summary."""
    reach = radius_m + 2 * gd.GARDEN_DEPTH_M
    blocked = [
        p
        for fp in Building.objects.filter(footprint__dwithin=(site, reach)).values_list("footprint", flat=True)
        for p in fp
    ]
    blocked += list(site) if isinstance(site, MultiPolygon) else [site]
    blocked = MultiPolygon(blocked, srid=site.srid).unary_union
    grid = Grid(origin[0], origin[1], cell, before.shape[0], before.shape[1])
    labels = np.full(before.shape, -1, np.int32)
    owners = []
    for index, shape in enumerate(shapes):
        if not shape.residential:
            continue
        garden = buildings[index].footprint.buffer(gd.GARDEN_DEPTH_M).difference(blocked)
        polys = [
            g
            for g in (garden if garden.geom_type in ("MultiPolygon", "GeometryCollection") else [garden])
            if isinstance(g, Polygon) and not g.empty
        ]
        patch = footprint_patch(MultiPolygon(polys).coords, 1.0, grid) if polys else None
        if patch is None:
            continue
        h, w = patch.heights.shape
        window = labels[patch.r0 : patch.r0 + h, patch.c0 : patch.c0 + w]
        # A cell between two dwellings counts in the first one's garden only.
        window[np.isfinite(patch.heights) & (window < 0)] = len(owners)
        owners.append(shape.id)
    lat, lon, north = _sun_frame(site_box)
    az, el = gd.equinox_sun(lat, lon, north)
    cells = labels >= 0
    hours_b = gd.sun_hours_grid(before, cell, az, el, gd.STEP_MINUTES, cells)
    hours_a = gd.sun_hours_grid(after, cell, az, el, gd.STEP_MINUTES, cells)
    share_b, count = gd.sunlit_shares(hours_b, labels, len(owners), br209.GARDEN_SUN_HOURS)
    share_a, _ = gd.sunlit_shares(hours_a, labels, len(owners), br209.GARDEN_SUN_HOURS)
    out = {}
    for j, owner in enumerate(owners):
        if count[j]:
            out[owner] = {
                "garden_m2": round(float(count[j]) * cell * cell),
                "garden_sunlit_before": round(float(share_b[j]), 3),
                "garden_sunlit_after": round(float(share_a[j]), 3),
                "garden_fails": bool(br209.garden_fails(share_b[j], share_a[j])),
            }
    return out, {
        "gardens": len(out),
        "fails": sum(g["garden_fails"] for g in out.values()),
        "depth_m": gd.GARDEN_DEPTH_M,
        "step_minutes": gd.STEP_MINUTES,
        "sun_positions": int(len(az)),
    }


def _landmarks():
    return [
        Landmark(p.pk, p.name, p.slug, p.category, p.geom.x, p.geom.y, p.geom.z if p.geom.hasz else 0.0)
        for p in PointOfInterest.objects.all()
    ]


def _balcony(surface: SurfaceModel, patch: Patch, rows: list[dict]) -> list[dict]:
    """The balcony tool's numbers, before and after, from the worst windows."""
    frame, landmarks, out = city_frame(), _landmarks(), []
    factor = max(1, round(BALCONY_RESOLUTION_M / surface.grid.cell))
    for row in rows:
        eye = Eye(row["x"], row["y"], row["z"], row["azimuth_deg"], row["building_id"], row["floor"], row["facade"])
        try:
            view = compute_view(
                surface,
                eye,
                BALCONY_RADIUS_M,
                frame.to_lonlat,
                frame.from_lonlat,
                patch=patch,
                landmarks=landmarks,
                shapes=False,
                resolution_m=factor * surface.grid.cell,
            )
        except ViewshedError as exc:
            out.append({"window": row["index"], "error": str(exc)})
            continue
        before, after = view["before"], view["after"]
        out.append(
            {
                "window": row["index"],
                "building_id": row["building_id"],
                "floor": row["floor"],
                "facade": row["facade"],
                "visible_area_m2": [round(before["visible_area_m2"]), round(after["visible_area_m2"])],
                "sea_share": [round(before["sea_share_of_azimuths"], 4), round(after["sea_share_of_azimuths"], 4)],
                "sky_view_factor": [round(before["sky_view_factor"], 4), round(after["sky_view_factor"], 4)],
                "landmarks_lost": [
                    lm["name"]
                    for lm, la in zip(before["landmarks"], after["landmarks"])
                    if lm["visible"] and not la["visible"]
                ],
                "landmarks_seen": [lm["name"] for lm in after["landmarks"] if lm["visible"]],
            }
        )
    return out


def compute_impact(
    variant, surface: SurfaceModel, params: Parameters = Parameters(), progress: Progress | None = None
) -> dict:
    """The impact of `variant` on every window within params.radius_m: VSC before and after, BR 209 tests,
    buildings ranked by loss, the balcony numbers of the worst windows. JSON-ready."""
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings[name] = round(now - t0, 3)
        t0 = now

    g = surface.grid
    patch = variant_patch(variant, g)
    if patch is None:
        raise ImpactError(
            f"Variant {variant.pk} ({variant}) has no geometry (no readable mesh, no footprint with "
            "a top height): import its model again before asking for its impact."
        )
    site, site_box = _site(variant, patch, g)
    buildings, on_site = _neighbours(site, params.radius_m)
    shapes = [BuildingShape(b.pk, b.footprint.coords, b.ground_z, b.roof_z, b.storeys, b.use) for b in buildings]
    windows = sample_windows(shapes, params.spacing_m)
    lap("windows")
    before, r0, c0, origin = _dsm_window(surface, site_box, params.radius_m + params.horizon_m)
    after = before.copy()
    patch.apply(after, r0, c0)
    clear = _standing_clear(windows, before, origin, g.cell)
    windows = windows[clear]
    say(
        f"{variant}: {len(buildings)} buildings within {params.radius_m:g} m, {len(windows)} windows "
        f"({int((~clear).sum())} against a wall or the ground left out)"
    )
    facing = np.radians(window_azimuth_deg(windows["nx"], windows["ny"]))
    h_before = facade_horizons(
        before, origin, g.cell, windows["x"], windows["y"], windows["z"], facing, params.azimuths, params.horizon_m
    )
    lap("horizons_before")
    # Only windows that face the site and can reach it need a second walk.
    todo = faces_box(windows, site_box) & (distance_to_box(windows["x"], windows["y"], site_box) <= params.horizon_m)
    h_after = facade_horizons(
        after,
        origin,
        g.cell,
        windows["x"],
        windows["y"],
        windows["z"],
        facing,
        params.azimuths,
        params.horizon_m,
        todo=todo,
        out=h_before.copy(),
    )
    lap("horizons_after")
    vsc_b, vsc_a = vertical_sky_component(h_before), vertical_sky_component(h_after)
    fails = br209.vsc_fails(vsc_b, vsc_a)
    residential = np.array([shapes[i].residential for i in windows["building"]], dtype=bool)
    lap("vsc")
    sun_cols, apsh = _sunlight(h_before, h_after, facing, todo, site_box)
    apsh["fails_residential"] = int((sun_cols["apsh_fails"] & residential).sum())
    lap("apsh")

    rows = []
    azimuth = window_azimuth_deg(windows["nx"], windows["ny"])
    for k, w in enumerate(windows):
        b = buildings[int(w["building"])]
        rows.append(
            {
                "index": k,
                "building_id": b.pk,
                "building_source_id": b.source_id,
                "facade": int(w["facade"]),
                "floor": int(w["floor"]),
                "x": round(float(w["x"]), 2),
                "y": round(float(w["y"]), 2),
                "z": round(float(w["z"]), 2),
                "azimuth_deg": round(float(azimuth[k]), 1),
                "residential": bool(residential[k]),
                "vsc_before": round(float(vsc_b[k]), 2),
                "vsc_after": round(float(vsc_a[k]), 2),
                "vsc_fails": bool(fails[k]),
                **{
                    c: None if np.isnan(v[k]) else round(float(v[k]), 2)
                    for c, v in sun_cols.items()
                    if c != "apsh_fails"
                },
                "apsh_fails": bool(sun_cols["apsh_fails"][k]),
            }
        )
    gardens, garden_summary = _gardens(
        site, params.radius_m, buildings, shapes, before, after, origin, g.cell, site_box
    )
    lap("gardens")
    building_rows = _building_rows(buildings, windows, vsc_b, vsc_a, fails, sun_cols["apsh_fails"], gardens)
    rel = br209.relative_loss(vsc_b, vsc_a)
    worst = [rows[k] for k in np.argsort(-rel, kind="stable")[:WORST_WINDOWS] if rel[k] > 0]
    balcony = _balcony(surface, patch, worst)
    lap("balcony")
    svg = map_svg(
        site,
        [
            (b.footprint.coords, row)
            for b in buildings
            for row in [next((r for r in building_rows if r["id"] == b.pk), None)]
        ],
        rows,
        params.radius_m,
    )
    lap("map")
    summary = {
        "buildings": len(buildings),
        "buildings_on_site": on_site,
        "buildings_affected": sum(1 for r in building_rows if r["vsc_loss_max"] > 0.05),
        "buildings_failing": sum(1 for r in building_rows if r["vsc_fails"] or r["apsh_fails"] or r["garden_fails"]),
        "windows": len(rows),
        "windows_residential": int(residential.sum()),
        "windows_left_out": int((~clear).sum()),
        "vsc_fails": int(fails.sum()),
        "vsc_fails_residential": int((fails & residential).sum()),
        "unobstructed_vsc": round(UNOBSTRUCTED_VSC, 2),
        "site_box": [round(v, 1) for v in site_box],
        "surface_fingerprint": surface.fingerprint,
        "apsh": apsh,
        "gardens": garden_summary,
        "balcony_radius_m": BALCONY_RADIUS_M,
    }
    return {
        "summary": summary,
        "buildings": building_rows,
        "windows": rows,
        "balcony": balcony,
        "map_svg": svg,
        "timings_s": timings,
        "parameters": asdict(params),
    }
