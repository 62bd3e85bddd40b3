"""Shadows cast on a DSM by the sun, and hours of direct sun at a point (numba sweeps along the sun's azimuth).

Every function works on a north-up grid (viewshed.surface.Grid: row 0 is the
north edge, square cells of `cell` metres) with heights in metres. The sun's
direction is given in the grid's own frame: azimuth in degrees clockwise from
grid north (true azimuth plus `grid_north_deg`, the grid azimuth of true north
at the city, see `grid_azimuth`), elevation in degrees above the horizon.

The sun line through a cell. Stepping from the cell towards the sun along the
grid axis the sun is closest to (columns when it is more east or west than
north or south, rows otherwise), the k-th step moves k cells along that axis
and round(k * t) cells across it, t = tan of the angle to the axis, counted
from the grid edge the sun is over: every cell of one "sun line" shares the
same rounding, so the rounding error is less than half a cell and one pass
along each line gives every cell's horizon (a sweep, O(cells)). Step k lies
k * cell * sqrt(1 + t^2) metres away horizontally. A cell's shadow height is
the highest of h(step k) - (k - 1/2) * step * tan(elevation) over every step
k >= 1 up the line (a DSM cell is a flat-topped column whose near edge stands
half a step closer than its centre): a point lower than it is in shadow. `shadow_height_at` follows one
line from one cell (the brute force the sweep must agree with).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from viewshed.surface import Patch

__all__ = [
    "shadow_heights_at_cells",
    "COVER_CLEARANCE_M",
    "SunLine",
    "grid_azimuth",
    "shadow_heights",
    "shadow_mask",
    "shadow_height_at",
    "shaded_points",
    "sun_line",
]

# A point whose own cell stands this much above it is under a roof, an arcade or a tree: covered.
COVER_CLEARANCE_M = 2.5


@dataclass(frozen=True)
class SunLine:
    """The digital sun line for one sun direction on one grid shape (see the module docstring).

    transposed: lines run along rows (the sun is more north or south); the sweep
    then reads the grid transposed. sign: +1 when the sun is over the last
    column (east, or south when transposed), -1 over column 0. t: cells across
    per cell along, towards the sun. step_m: horizontal metres per step.
    drop_m: metres a horizon falls per step (step_m * tan(elevation)).
    """

    transposed: bool
    sign: int
    t: float
    step_m: float
    drop_m: float


def grid_azimuth(true_azimuth_deg, grid_north_deg: float):
    """Azimuth in the grid frame (degrees clockwise from grid north) of a true azimuth (degrees from true north).

    grid_north_deg: the grid azimuth of true north where the sun is seen from (about -3 degrees in
    Lambert-93 at Antibes, east of the projection's central meridian).
    """
    return (np.asarray(true_azimuth_deg, float) + grid_north_deg) % 360.0


def sun_line(azimuth_deg: float, elevation_deg: float, cell: float) -> SunLine | None:
    """The sun line for a sun at `azimuth_deg` (grid frame) and `elevation_deg`; None when the sun is down."""
    if elevation_deg <= 0.0:
        return None
    a = math.radians(azimuth_deg)
    east, north = math.sin(a), math.cos(a)
    # Towards the sun, columns grow eastwards and rows southwards.
    d_col, d_row = east, -north
    transposed = abs(d_row) > abs(d_col)
    along, across = (d_row, d_col) if transposed else (d_col, d_row)
    t = across / abs(along)
    step = cell * math.sqrt(1.0 + t * t)
    return SunLine(transposed, 1 if along > 0 else -1, t, step, step * math.tan(math.radians(elevation_deg)))


@njit(cache=True, inline="always")
def _offset(k: int, t: float) -> int:
    # Rows across at k steps away from the sun-side edge; the same floor(x + 0.5) everywhere.
    return int(math.floor(-k * t + 0.5))


@njit(cache=True)
def _first_in(off, j, rows, lo, hi_k):
    """Smallest k in [lo, hi_k) with 0 <= j + off[k] < rows, given off monotone; hi_k if none (binary search)."""
    # off is monotone, so "row already inside or past it" is monotone in k on the side the line enters from.
    a, b = lo, hi_k
    entering_from_top = off[hi_k - 1] <= off[lo] if hi_k > lo else True
    while a < b:
        m = (a + b) // 2
        r = j + off[m]
        ok = r < rows if entering_from_top else r >= 0
        if ok:
            b = m
        else:
            a = m + 1
    return a


@njit(cache=True)
def _offsets(cols, t):
    off = np.empty(cols, np.int64)
    for k in range(cols):
        off[k] = _offset(k, t)
    return off


@njit(cache=True, parallel=True)
def _sweep(dsm, sign, t, drop, out, last):
    """out[r, c] = shadow height of cell (r, c), lines along columns (the canonical orientation).

    last[line]: the last step to sweep on each line (-1: skip the line); None: every step of every line.
    """
    rows, cols = dsm.shape
    off = _offsets(cols, t)
    lo = min(0, off[cols - 1])
    hi = max(0, off[cols - 1])
    n_lines = rows + hi - lo
    for li in prange(n_lines):
        j = li - hi
        stop = cols if last is None else last[li] + 1
        # The line crosses the grid over one run of steps: skip straight to it.
        k = _first_in(off, j, rows, 0, cols) if stop > 0 else cols
        # The highest h(k) + k * drop so far: subtracting k0 * drop at step k0 gives the shadow height
        # with the very operations _height_at uses, so both agree to the last bit.
        best = -np.inf
        while k < stop:
            r = j + off[k]
            if r < 0 or r >= rows:
                break
            c = cols - 1 - k if sign > 0 else k
            out[r, c] = best - k * drop + 0.5 * drop
            h = np.float64(dsm[r, c]) + k * drop
            if h > best:
                best = h
            k += 1
    return out


@njit(cache=True)
def _height_at(dsm, r, c, sign, t, drop, patch, pr0, pc0):
    """Shadow height of cell (r, c) by walking its sun line to the grid edge (canonical orientation).

    patch: heights to raise the DSM to (max) from cell (pr0, pc0) on; -inf cells leave it as is.
    """
    rows, cols = dsm.shape
    ph, pw = patch.shape
    k0 = cols - 1 - c if sign > 0 else c
    j = r - _offset(k0, t)
    best = -np.inf
    for k in range(k0 - 1, -1, -1):
        cc = cols - 1 - k if sign > 0 else k
        rr = j + _offset(k, t)
        if rr < 0 or rr >= rows:
            break  # lines cross rows monotonically: once out, out for good
        h = np.float64(dsm[rr, cc])
        if 0 <= rr - pr0 < ph and 0 <= cc - pc0 < pw:
            p = np.float64(patch[rr - pr0, cc - pc0])
            if p > h:
                h = p
        h += k * drop
        if h > best:
            best = h
    return best - k0 * drop + 0.5 * drop


@njit(cache=True, parallel=True)
def _heights_at(dsm, rr, cc, sign, t, drop, patch, pr0, pc0, out):
    for i in prange(rr.shape[0]):
        out[i] = _height_at(dsm, rr[i], cc[i], sign, t, drop, patch, pr0, pc0)
    return out


def shadow_heights(
    dsm: np.ndarray,
    cell: float,
    azimuth_deg: float,
    elevation_deg: float,
    dsm_t: np.ndarray | None = None,
    out: np.ndarray | None = None,
    only: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, bool]:
    """Shadow height (metres) of every cell for the sun at `azimuth_deg` (grid frame), `elevation_deg`.

    Returns (heights, transposed): when `transposed` the array is indexed [col, row]. dsm_t: the DSM
    transposed and C-contiguous, reused by a caller sweeping many sun positions; out: an array to
    write into, of the shape returned. only: (rows, cols) of the cells wanted: the sweep then stops
    each sun line at its last wanted cell and skips lines with none, leaving other cells unwritten.
    A sun below the horizon gives +inf everywhere.
    """
    line = sun_line(azimuth_deg, elevation_deg, cell)
    if line is None:
        shape = dsm.shape
        res = out if out is not None and out.shape == shape else np.empty(shape)
        res.fill(np.inf)
        return res, False
    grid = dsm
    if line.transposed:
        grid = dsm_t if dsm_t is not None else np.ascontiguousarray(dsm.T)
    if out is None or out.shape != grid.shape:
        out = np.empty(grid.shape)
    last = None
    if only is not None:
        rr, cc = (
            (np.asarray(only[1], np.int64), np.asarray(only[0], np.int64))
            if line.transposed
            else (np.asarray(only[0], np.int64), np.asarray(only[1], np.int64))
        )
        n_rows, n_cols = grid.shape
        off = _offsets(n_cols, line.t)
        hi = max(0, int(off[-1]))
        k0 = n_cols - 1 - cc if line.sign > 0 else cc
        last = np.full(n_rows + hi - min(0, int(off[-1])), -1, np.int64)
        np.maximum.at(last, rr - off[k0] + hi, k0)
    return _sweep(grid, line.sign, line.t, line.drop_m, out, last), line.transposed


@njit(cache=True, parallel=True)
def _sweep_cells(dsm, sign, t, drop, line_of, starts, k_sorted, idx_sorted, out):
    """out[idx] = shadow height of each wanted cell, sweeping only the lines holding one, to their last.

    Wanted cells are grouped by line (line_of[g]: the line of group g, starts[g]..starts[g + 1]: its cells in
    k_sorted / idx_sorted, by step). The same operations as _sweep, so both agree to the last bit; nothing
    is written for the other cells, which the dense sweep spends as much time writing as reading the DSM.
    """
    rows, cols = dsm.shape
    off = _offsets(cols, t)
    hi = max(0, off[cols - 1])
    for g in prange(line_of.shape[0]):
        j = line_of[g] - hi
        a = starts[g]
        b = starts[g + 1]
        stop = k_sorted[b - 1] + 1
        k = _first_in(off, j, rows, 0, cols)
        best = -np.inf
        while k < stop:
            r = j + off[k]
            if r < 0 or r >= rows:
                break
            c = cols - 1 - k if sign > 0 else k
            while a < b and k_sorted[a] == k:
                out[idx_sorted[a]] = best - k * drop + 0.5 * drop
                a += 1
            h = np.float64(dsm[r, c]) + k * drop
            if h > best:
                best = h
            k += 1
    return out


def shadow_heights_at_cells(
    dsm: np.ndarray, cell: float, azimuth_deg: float, elevation_deg: float, rows, cols, dsm_t: np.ndarray | None = None
) -> np.ndarray:
    """Shadow heights (metres) of the cells (rows[i], cols[i]) alone, equal to `shadow_heights` at them.

    One sweep of the lines through those cells (many cells, many suns: a street net's samples each slot of a
    day), not one walk per cell. dsm_t: the DSM transposed and C-contiguous, reused across sun positions.
    A sun below the horizon gives +inf.
    """
    rr = np.asarray(rows, np.int64).reshape(-1)
    cc = np.asarray(cols, np.int64).reshape(-1)
    line = sun_line(azimuth_deg, elevation_deg, cell)
    out = np.empty(len(rr))
    if line is None:
        out.fill(np.inf)
        return out
    grid = dsm
    if line.transposed:
        grid = dsm_t if dsm_t is not None else np.ascontiguousarray(dsm.T)
        rr, cc = cc, rr
    if not len(rr):
        return out
    n_cols = grid.shape[1]
    off = _offsets(n_cols, line.t)
    hi = max(0, int(off[-1]))
    k0 = n_cols - 1 - cc if line.sign > 0 else cc
    li = rr - off[k0] + hi
    order = np.argsort(li * n_cols + k0, kind="stable")
    li_sorted = li[order]
    first = np.flatnonzero(np.concatenate([[True], li_sorted[1:] != li_sorted[:-1]]))
    starts = np.append(first, len(order)).astype(np.int64)
    return _sweep_cells(grid, line.sign, line.t, line.drop_m, li_sorted[first], starts, k0[order], order, out)


def shadow_mask(dsm: np.ndarray, cell: float, azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """True where the DSM surface itself is in the shadow of higher cells (bool, shaped like `dsm`)."""
    heights, transposed = shadow_heights(dsm, cell, azimuth_deg, elevation_deg)
    if transposed:
        heights = heights.T
    return heights > dsm


_NO_PATCH = np.full((1, 1), -np.inf, np.float32)


def shadow_height_at(
    dsm: np.ndarray, cell: float, rows, cols, azimuth_deg: float, elevation_deg: float, patch: Patch | None = None
) -> np.ndarray:
    """Shadow heights (metres) of the cells (rows[i], cols[i]) alone, each by walking its sun line.

    patch: a project variant (viewshed.dsm.variant_patch) raised into the DSM on the fly, without a copy.
    """
    rr = np.ascontiguousarray(rows, np.int64).reshape(-1)
    cc = np.ascontiguousarray(cols, np.int64).reshape(-1)
    line = sun_line(azimuth_deg, elevation_deg, cell)
    if line is None:
        return np.full(len(rr), np.inf)
    heights, pr0, pc0 = (
        (_NO_PATCH, 0, 0) if patch is None else (np.ascontiguousarray(patch.heights, np.float32), patch.r0, patch.c0)
    )
    grid = dsm
    if line.transposed:
        # Walking one line touches a cell per row: a strided view costs no more than a copy would.
        grid, rr, cc, heights, pr0, pc0 = dsm.T, cc, rr, np.ascontiguousarray(heights.T), pc0, pr0
    return _heights_at(grid, rr, cc, line.sign, line.t, line.drop_m, heights, pr0, pc0, np.empty(len(rr)))


def shaded_points(shadow: np.ndarray, own: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Which points at heights `z` (metres) are out of direct sun.

    shadow: the shadow height of each point's cell; own: the DSM height of that cell. A point lower
    than its shadow height is in a shadow; one whose own cell rises COVER_CLEARANCE_M above it stands
    under something (an arcade, a roof it was drawn under).
    """
    return (shadow > z) | (own > z + COVER_CLEARANCE_M)


def sun_hours(
    dsm: np.ndarray,
    cell: float,
    row: int,
    col: int,
    azimuth_deg: np.ndarray,
    elevation_deg: np.ndarray,
    step_minutes: float,
    patch: Patch | None = None,
    z: float | None = None,
) -> float:
    """Hours of direct sun at cell (row, col) over the given sun positions (grid frame), `step_minutes` apart.

    z: the height of the point (metres; the DSM there by default, the ground a visitor stands on). Each
    position in sun counts for one step. patch: a project variant burnt in (viewshed.dsm.variant_patch).
    """
    own = float(dsm[row, col])
    if patch is not None:
        pr, pc = row - patch.r0, col - patch.c0
        if 0 <= pr < patch.heights.shape[0] and 0 <= pc < patch.heights.shape[1]:
            own = max(own, float(patch.heights[pr, pc]))
    point = own if z is None else float(z)
    lit = 0
    for az, el in zip(np.asarray(azimuth_deg, float), np.asarray(elevation_deg, float)):
        if el <= 0.0:
            continue
        h = shadow_height_at(dsm, cell, [row], [col], az, el, patch)[0]
        lit += not shaded_points(np.array([h]), np.array([own]), np.array([point]))[0]
    return lit * step_minutes / 60.0
