"""The view from one eye over the surface model, before and after a project: all the numbers, the areas and the overlay.

Plain Python over arrays (no Django): the API gathers the surface model, the
eye, the project's patch and the landmarks, and hands them here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from viewshed.errors import ObserverError
from viewshed.eye import Eye
from viewshed.kernel import viewshed, viewshed_update
from viewshed.metrics import azimuths_crossing, horizon_profile, landmarks_visible, sky_view_factor
from viewshed.overlay import overlays
from viewshed.polygonize import polygonize, to_geojson
from viewshed.surface import Patch, SurfaceModel

Transform = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
# Blocks across for the GeoJSON: exact 1 m outlines of a 2 km view took 70-200 ms per shape (three
# shapes a request) and reach megabytes; the areas are counted on every cell, the PNG keeps detail.
GEOJSON_MAX_CELLS = 800


@dataclass(frozen=True)
class Landmark:
    """A point of interest to look for: x, y in the storage CRS and z orthometric (metres)."""

    id: int
    name: str
    slug: str
    category: str
    x: float
    y: float
    z: float


@dataclass
class _Window:
    dsm: np.ndarray  # float32 copy, C-contiguous
    sea: np.ndarray  # bool (a view when at the DSM's resolution)
    r0: int  # grid cell of the window's (0, 0), in DSM cells
    c0: int
    orow: int  # observer cell in the window
    ocol: int
    origin: tuple[float, float]  # (x_min, y_max) of the window's NW corner
    cell: float  # metres
    factor: int = 1  # window cells per DSM cell side
    sea_runs: np.ndarray | None = None  # the sea's run table (see `_sea_runs`), when cut from the DSM's
    zmax: float | None = None  # an upper bound of the window's heights (metres)


def _surface_runs(surface: SurfaceModel) -> np.ndarray:
    # The sea's run table of the whole DSM, made once per surface model (a few MB).
    runs = getattr(surface, "_sea_runs", None)
    if runs is None:
        runs = _sea_runs(surface.sea)
        surface._sea_runs = runs
    return runs


def _surface_max(surface: SurfaceModel) -> float:
    top = getattr(surface, "_zmax", None)
    if top is None:
        top = float(np.max(surface.dsm))
        surface._zmax = top
    return top


def _window(surface: SurfaceModel, eye: Eye, radius_m: float, factor: int = 1) -> _Window:
    g = surface.grid
    cell = g.cell_of(eye.x, eye.y)
    if cell is None:
        raise ObserverError("This point is outside the city model: the view is computed inside the city only.")
    n = int(math.ceil(radius_m / (g.cell * factor))) * factor
    r, c = cell
    # Blocks of `factor` cells are aligned on the observer's block.
    r0 = r - r % factor - n
    c0 = c - c % factor - n
    r0 += max(0, -r0 + factor - 1) // factor * factor
    c0 += max(0, -c0 + factor - 1) // factor * factor
    r1 = min(r - r % factor + n + factor, g.rows)
    c1 = min(c - c % factor + n + factor, g.cols)
    origin = (g.xmin + c0 * g.cell, g.ymax - r0 * g.cell)
    # A copy of our own (never a view of the shared memory map): the project is burnt into it.
    dsm = np.array(surface.dsm[r0:r1, c0:c1], dtype=np.float32, order="C")
    if factor == 1:
        runs = _window_runs(_surface_runs(surface), r0, r1, c0, c1)
        return _Window(
            dsm, surface.sea[r0:r1, c0:c1], r0, c0, r - r0, c - c0, origin, g.cell, 1, runs, _surface_max(surface)
        )
    h, w = (dsm.shape[0] // factor) * factor, (dsm.shape[1] // factor) * factor
    eye_z = dsm[r - r0, c - c0]
    pooled = np.ascontiguousarray(dsm[:h, :w].reshape(h // factor, factor, w // factor, factor).max(axis=(1, 3)))
    sea = (
        np.asarray(surface.sea[r0 : r0 + h, c0 : c0 + w])
        .reshape(h // factor, factor, w // factor, factor)
        .all(axis=(1, 3))
    )
    orow, ocol = (r - r0) // factor, (c - c0) // factor
    # The eye's block keeps the eye's own ground: a wall in the same block must not bury it.
    pooled[orow, ocol] = eye_z
    return _Window(pooled, sea, r0, c0, orow, ocol, origin, g.cell * factor, factor)


@njit(cache=True)
def _mark(sectors, az_a, az_b):
    n = sectors.shape[0]
    two_pi = 2.0 * np.pi
    sa = int(math.floor((az_a % two_pi) / two_pi * n + 0.5)) % n
    sb = int(math.floor((az_b % two_pi) / two_pi * n + 0.5)) % n
    diff = (sb - sa) % n
    # A run of cells in one row spans less than half a turn: go the short way.
    if diff <= n // 2:
        for k in range(diff + 1):
            sectors[(sa + k) % n] = 1
    else:
        for k in range(n - diff + 1):
            sectors[(sa - k) % n] = 1


@njit(cache=True, fastmath=True)
def _solid_angle(row, dsm_row, a, b, ocol, north, zeye, cs):
    """Sum over the visible cells a..b-1 of one row of dz / d^3 (branch-free, so that it vectorises)."""
    om = 0.0
    nn = north * cs
    for c in range(a, b):
        dz = abs(zeye - np.float64(dsm_row[c]))
        e = (c - ocol) * cs
        d2 = e * e + nn * nn + dz * dz
        om += row[c] * (dz / (d2 * math.sqrt(d2)))
    return om


@njit(cache=True, parallel=True)
def _tally(vis, dsm, sea_runs, orow, ocol, zeye, cs, nx, ny, facing, sectors):
    """Clear cells behind the facade, count visible cells, sum the sea's solid angle, mark sea azimuths.

    vis holds 0/1. sea_runs: the window's sea as a run table (see
    `_sea_runs`): only the sea is walked cell by cell.
    """
    rows, cols = vis.shape
    counts = np.zeros(rows, dtype=np.int64)
    omegas = np.zeros(rows, dtype=np.float64)
    for r in prange(rows):
        north = np.float64(orow - r)
        row = vis[r]
        if facing:
            # The half-plane in front of the facade is a column interval on each row.
            if abs(nx) < 1e-12:
                if north * ny < 0.0:
                    row[:] = 0
            else:
                edge = ocol - north * ny / nx
                if nx > 0:
                    row[: min(max(int(math.ceil(edge)), 0), cols)] = 0
                else:
                    row[min(max(int(math.floor(edge)) + 1, 0), cols) :] = 0
        cnt = 0
        for c in range(cols):
            cnt += row[c]
        counts[r] = cnt
        if cnt == 0:
            continue
        om = 0.0
        for k in range(sea_runs.shape[1] // 2):
            a, b = sea_runs[r, 2 * k], sea_runs[r, 2 * k + 1]
            if a >= b:
                break
            if r == orow and a <= ocol < b:
                # The observer's own cell is no view of the sea.
                om += _solid_angle(row, dsm[r], a, ocol, ocol, north, zeye, cs)
                om += _solid_angle(row, dsm[r], ocol + 1, b, ocol, north, zeye, cs)
            else:
                om += _solid_angle(row, dsm[r], a, b, ocol, north, zeye, cs)
            start = -1
            for c in range(a, b):
                s = row[c] != 0 and not (r == orow and c == ocol)
                if s and start < 0:
                    start = c
                if start >= 0 and (not s or c == b - 1):
                    end = c if s else c - 1
                    _mark(sectors, math.atan2(start - ocol, north), math.atan2(end - ocol, north))
                    start = -1
        omegas[r] = om * cs * cs
    return counts.sum(), omegas.sum()


_MAX_RUNS = 32


@njit(cache=True, parallel=True)
def _sea_run_table(sea, max_runs):
    rows, cols = sea.shape
    out = np.zeros((rows, 2 * max_runs), dtype=np.int32)
    for r in prange(rows):
        k = 0
        c = 0
        while c < cols:
            while c < cols and not sea[r, c]:
                c += 1
            if c >= cols:
                break
            a = c
            while c < cols and sea[r, c]:
                c += 1
            if k == max_runs:
                # A coast too ragged for the table: the last run stretches over the rest (counted as sea).
                out[r, 2 * k - 1] = c
            else:
                out[r, 2 * k] = a
                out[r, 2 * k + 1] = c
                k += 1
    return out


def _sea_runs(sea: np.ndarray) -> np.ndarray:
    """Row-wise run table of a sea mask: row r's runs are [t[r, 2k], t[r, 2k + 1]), ended by an empty pair."""
    return _sea_run_table(np.ascontiguousarray(sea), _MAX_RUNS)


@njit(cache=True, parallel=True)
def _clip_runs(table, r0, r1, c0, c1):
    out = np.zeros((r1 - r0, table.shape[1]), dtype=np.int32)
    for r in prange(r1 - r0):
        k = 0
        for j in range(table.shape[1] // 2):
            a, b = table[r0 + r, 2 * j], table[r0 + r, 2 * j + 1]
            if a >= b:
                break
            a, b = max(a, c0), min(b, c1)
            if a < b:
                out[r, 2 * k] = a - c0
                out[r, 2 * k + 1] = b - c0
                k += 1
    return out


def _window_runs(table: np.ndarray, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """The run table of the window [r0, r1) x [c0, c1), in window columns."""
    return _clip_runs(table, r0, r1, c0, c1)


@njit(cache=True, parallel=True)
def _diff(before, after, f, lost_blocks):
    """Cells seen before and not after (lost), and the reverse (gained); blocks of f x f holding a lost cell marked.

    before, after hold 0/1.
    """
    rows, cols = before.shape
    lost = np.zeros(rows, dtype=np.int64)
    gained = np.zeros(rows, dtype=np.int64)
    for r in prange(rows):
        x, y = before[r], after[r]
        a = 0
        b = 0
        for c in range(cols):
            a += x[c] & (1 - y[c])
            b += y[c] & (1 - x[c])
        lost[r] = a
        gained[r] = b
        if a:
            # Only the rows in the project's shadow: mark their blocks. Rows of one
            # block may run on two threads, but both only ever write 1.
            i = r // f
            for c in range(cols):
                if x[c] & (1 - y[c]):
                    lost_blocks[i, c // f] = 1
    return lost.sum(), gained.sum()


def _block_size(shape: tuple[int, int]) -> int:
    return max(1, math.ceil(max(shape) / GEOJSON_MAX_CELLS))


def _shape_of(small: np.ndarray, f: int, win: _Window, cell: float, to_lonlat: Transform) -> dict:
    """A mask given on blocks of f x f cells as a simplified GeoJSON MultiPolygon in lon/lat."""
    size = f * cell
    polys = polygonize(small, win.origin, size, tolerance=size * 0.75, min_area=1.5 * size * size)
    return to_geojson(polys, to_lonlat)


def _block_sample(vis: np.ndarray, f: int) -> np.ndarray:
    """The mask on blocks of f x f cells, each block taking its centre cell (the PNG keeps the detail)."""
    return vis[f // 2 :: f, f // 2 :: f] != 0 if f > 1 else vis != 0


def _numbers(
    win: _Window,
    vis: np.ndarray,
    sea_runs: np.ndarray,
    eye: Eye,
    cell: float,
    radius_m: float,
    n_az: int,
    landmarks: Sequence[Landmark],
    reuse: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[dict, np.ndarray]:
    """The numbers of one viewshed, and the horizon in radians.

    reuse: (horizon in radians, mask of the azimuths to walk again), when
    only the rays over a project's cells can differ from a known horizon.
    """
    oh = eye.z - float(win.dsm[win.orow, win.ocol])
    facing = eye.facing_deg is not None
    nx = math.sin(math.radians(eye.facing_deg)) if facing else 0.0
    ny = math.cos(math.radians(eye.facing_deg)) if facing else 0.0
    sectors = np.zeros(n_az, dtype=np.uint8)
    count, omega = _tally(vis, win.dsm, sea_runs, win.orow, win.ocol, eye.z, cell, nx, ny, facing, sectors)
    az = np.arange(n_az) * (2 * np.pi / n_az)
    kept = (np.sin(az) * nx + np.cos(az) * ny >= -1e-9) if facing else np.ones(n_az, dtype=bool)
    known, todo = reuse if reuse is not None else (None, None)
    horizon = horizon_profile(
        win.dsm, win.orow, win.ocol, oh, n_az, cell, max_distance=radius_m, max_height=win.zmax, known=known, todo=todo
    )
    # Behind the facade is the building itself: a wall up to the zenith for the sky view factor.
    svf = sky_view_factor(np.where(kept, horizon, np.pi / 2))
    seen = []
    if landmarks:
        pts = np.array([[lm.x, lm.y, lm.z] for lm in landmarks], dtype=np.float64)
        ok = landmarks_visible(win.dsm, win.orow, win.ocol, oh, pts, origin=win.origin, cell_size=cell)
        for lm, clear in zip(landmarks, ok):
            dx, dy = lm.x - eye.x, lm.y - eye.y
            in_front = (dx * nx + dy * ny >= 0.0) if facing else True
            seen.append(
                {
                    "id": lm.id,
                    "name": lm.name,
                    "slug": lm.slug,
                    "category": lm.category,
                    "distance_m": round(math.hypot(dx, dy), 1),
                    "azimuth_deg": round(math.degrees(math.atan2(dx, dy)) % 360.0, 1),
                    "in_field_of_view": bool(in_front),
                    "visible": bool(clear and in_front),
                }
            )
    return {
        "visible_area_m2": float(count) * cell * cell,
        "sea_share_of_azimuths": float(sectors[kept].sum()) / max(int(kept.sum()), 1),
        "sea_solid_angle_sr": float(omega),
        "sky_view_factor": float(svf),
        "horizon_deg": [round(math.degrees(h), 2) if k else None for h, k in zip(horizon, kept)],
        "landmarks": seen,
    }, horizon


def _coarser(patch: Patch, win: _Window) -> Patch:
    """The patch in the window's own cells (its origin moved to the window, pooled to its resolution)."""
    r0, c0 = patch.r0 - win.r0, patch.c0 - win.c0
    if win.factor == 1:
        return Patch(r0, c0, patch.heights)
    f = win.factor
    pr, pc = r0 % f, c0 % f  # pad so that blocks line up with the window's
    h, w = patch.heights.shape
    H, W = -(-(h + pr) // f) * f, -(-(w + pc) // f) * f
    padded = np.full((H, W), -np.inf, dtype=np.float32)
    padded[pr : pr + h, pc : pc + w] = patch.heights
    pooled = padded.reshape(H // f, f, W // f, f).max(axis=(1, 3))
    return Patch((r0 - pr) // f, (c0 - pc) // f, pooled)


def _landmarks_in_range(landmarks: Sequence[Landmark], eye: Eye, radius_m: float) -> list[Landmark]:
    return [lm for lm in landmarks if math.hypot(lm.x - eye.x, lm.y - eye.y) <= radius_m]


def compute_view(
    surface: SurfaceModel,
    eye: Eye,
    radius_m: float,
    to_lonlat: Transform,
    from_lonlat: Transform,
    patch: Patch | None = None,
    landmarks: Sequence[Landmark] = (),
    n_azimuths: int = 360,
    shapes: bool = True,
    resolution_m: float | None = None,
) -> dict:
    """Everything a balcony asks, before and (with `patch`) after a project.

    surface: the DSM and sea mask; eye: the observer (storage CRS, orthometric
    metres; `eye.facing_deg` keeps the half-plane in front of a facade).
    radius_m: range in metres. to_lonlat / from_lonlat: storage CRS <-> WGS84
    degrees, array in and out. patch: the project's DSM patch (raised cells).
    landmarks: points of interest (storage CRS). shapes: also trace GeoJSON
    and draw the PNG overlay. resolution_m: the DSM's cell (default) or a
    whole multiple of it; coarser cells take the highest DSM cell under them.

    Returns a JSON-ready dict: "before" and "after" (None without a patch)
    numbers, "change" (lost/gained m² and shapes), "overlay", "timings_ms".
    Areas are planimetric m²; solid angles in steradians; horizon angles in
    degrees above the horizontal for azimuths 360 * k / n_azimuths clockwise
    from grid north, None behind the facade.
    """
    times: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        times[name] = round((now - t) * 1000, 1)
        t = now

    factor = 1
    if resolution_m is not None:
        factor = int(round(resolution_m / surface.grid.cell))
        if factor < 1 or abs(factor * surface.grid.cell - resolution_m) > 1e-6:
            raise ObserverError(f"The resolution must be {surface.grid.cell:g} m or a whole multiple of it.")
    win = _window(surface, eye, radius_m, factor)
    cell = win.cell
    oh = eye.z - float(win.dsm[win.orow, win.ocol])
    lms = _landmarks_in_range(landmarks, eye, radius_m)
    lap("window")
    before = viewshed(win.dsm, win.orow, win.ocol, oh, max_distance=radius_m, cell_size=cell)
    lap("kernel_before")
    sea_runs = win.sea_runs if win.sea_runs is not None else _sea_runs(win.sea)
    numbers_before, horizon_before = _numbers(win, before, sea_runs, eye, cell, radius_m, n_azimuths, lms)
    lap("numbers_before")

    after = None
    numbers_after = None
    if patch is not None:
        # The window is our own copy: the project is burnt into it in place.
        region = None
        saved = None
        patch = _coarser(patch, win)
        h, w = patch.heights.shape
        ra, rb = max(patch.r0, 0), min(patch.r0 + h, win.dsm.shape[0])
        ca, cb = max(patch.c0, 0), min(patch.c0 + w, win.dsm.shape[1])
        if ra < rb and ca < cb:
            region = (slice(ra, rb), slice(ca, cb))
            saved = win.dsm[region].copy()
            patch.apply(win.dsm, 0, 0)
            if win.zmax is not None:
                win.zmax = max(win.zmax, float(np.max(patch.heights)))
        changed = np.argwhere(win.dsm[region] != saved) if region is not None else np.zeros((0, 2), int)
        if len(changed):
            rr = changed[:, 0] + region[0].start
            cc = changed[:, 1] + region[1].start
            if ((rr == win.orow) & (cc == win.ocol)).any():
                raise ObserverError("The project stands where the observer stands: choose another point.")
            sea_runs_after = sea_runs
            if win.sea[rr, cc].any():
                # The project stands in the water: its cells are no sea any more.
                sea_after = np.array(win.sea)
                sea_after[rr, cc] = False
                sea_runs_after = _sea_runs(sea_after)
            after = viewshed_update(
                win.dsm, before, win.orow, win.ocol, oh, rr, cc, max_distance=radius_m, cell_size=cell
            )
            lap("kernel_after")
            # Only the rays passing over the project's cells can see another horizon.
            todo = azimuths_crossing(rr, cc, win.orow, win.ocol, n_azimuths)
            numbers_after, _ = _numbers(
                win, after, sea_runs_after, eye, cell, radius_m, n_azimuths, lms, reuse=(horizon_before, todo)
            )
            lap("numbers_after")
        else:
            # The project is out of range (or below the surface): nothing changes.
            after = before
            numbers_after = dict(numbers_before)

    change = None
    if after is not None:
        f = _block_size(before.shape)
        lost_blocks = np.zeros((math.ceil(before.shape[0] / f), math.ceil(before.shape[1] / f)), dtype=np.uint8)
        lost, gained = _diff(before, after, f, lost_blocks) if after is not before else (0, 0)
        change = {"lost_m2": float(lost) * cell * cell, "gained_m2": float(gained) * cell * cell}
        lap("diff")

    overlay = None
    if shapes:
        f = _block_size(before.shape)
        numbers_before["visible_geojson"] = _shape_of(_block_sample(before, f), f, win, cell, to_lonlat)
        if after is not None:
            numbers_after["visible_geojson"] = (
                numbers_before["visible_geojson"]
                if after is before
                else _shape_of(_block_sample(after, f), f, win, cell, to_lonlat)
            )
            if change["lost_m2"] > 0:
                change["lost_geojson"] = _shape_of(lost_blocks != 0, f, win, cell, to_lonlat)
            else:
                change["lost_geojson"] = {"type": "MultiPolygon", "coordinates": []}
        lap("geojson")
        overlay = overlays(before, after, win.origin, cell, to_lonlat, from_lonlat)
        lap("overlay")
    return {
        "radius_m": float(radius_m),
        "resolution_m": float(cell),
        "cells": int(before.size),
        "before": numbers_before,
        "after": numbers_after,
        "change": change,
        "overlay": overlay,
        "timings_ms": times,
    }
