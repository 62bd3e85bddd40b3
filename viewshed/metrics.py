"""Numbers read off a DSM around an observer: horizon, sky view factor, sea view, visible area, landmarks, exact line
of sight.

Conventions shared by every function here:
- `dsm` is a 2-D array of heights in metres, north up: row 0 is the northern
  edge, column 0 the western one, square cells of `cell_size` metres in a
  projected CRS.
- Pixel (row r, column c) covers the square [c, c + 1) x [r, r + 1) in
  continuous pixel coordinates (x to the east, y to the south); its centre is
  (c + 0.5, r + 0.5). The DSM is a field of flat-topped prisms: every point of
  a cell has the cell's height (no interpolation).
- CRS coordinates (x east, y north, metres) map to pixels through `origin`,
  the CRS coordinates (x_min, y_max) of the north-west corner of the raster.
- Azimuths are clockwise from grid north, in radians, `n` of them at
  2 * pi * k / n; elevation angles are radians above the horizontal.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from viewshed.kernel import viewshed


def _heights(dsm: np.ndarray) -> np.ndarray:
    """The DSM as a float array numba can walk, without copying a float32 or float64 one (16 M cells = 128 MB)."""
    if isinstance(dsm, np.ndarray) and dsm.dtype in (np.float32, np.float64) and dsm.ndim == 2:
        return dsm
    return np.asarray(dsm, dtype=np.float64)


@njit(cache=True)
def _clear(dsm, y0, x0, z0, y1, x1, z1) -> bool:
    """True when the segment (x0, y0, z0)-(x1, y1, z1), pixel units and metres, passes above every prism between its
    end cells."""
    rows, cols = dsm.shape
    r, c = int(math.floor(y0)), int(math.floor(x0))
    r_end, c_end = int(math.floor(y1)), int(math.floor(x1))
    dy, dx = y1 - y0, x1 - x0
    step_c = 1 if dx > 0 else -1
    step_r = 1 if dy > 0 else -1
    inf = np.inf
    # Amanatides-Woo traversal: t is the segment parameter, 0 at the eye.
    t_dc = abs(1.0 / dx) if dx != 0 else inf
    t_dr = abs(1.0 / dy) if dy != 0 else inf
    t_c = ((c + 1 - x0) if dx > 0 else (x0 - c)) * t_dc if dx != 0 else inf
    t_r = ((r + 1 - y0) if dy > 0 else (y0 - r)) * t_dr if dy != 0 else inf
    t_in = 0.0
    eps = 1e-12
    while True:
        t_out = min(t_c, t_r, 1.0)
        if t_out - t_in > eps and not (r == r_end and c == c_end) and t_in > 0.0:
            if 0 <= r < rows and 0 <= c < cols:
                # The segment is straight: its lowest point over the cell is
                # where it enters or leaves it.
                z_low = min(z0 + t_in * (z1 - z0), z0 + t_out * (z1 - z0))
                if z_low < dsm[r, c]:
                    return False
        if t_out >= 1.0:
            return True
        # Through a corner both indices advance; the diagonal cells it only
        # touches have zero length and are never tested.
        if t_c <= t_r + eps and t_r <= t_c + eps:
            c += step_c
            r += step_r
            t_c += t_dc
            t_r += t_dr
        elif t_c < t_r:
            c += step_c
            t_c += t_dc
        else:
            r += step_r
            t_r += t_dr
        t_in = t_out
        if r == r_end and c == c_end:
            return True


@njit(cache=True, parallel=True)
def _exact(dsm, orow, ocol, zeye, tgt, maxd2):
    rows, cols = dsm.shape
    out = np.zeros((rows, cols), dtype=np.uint8)
    for r in prange(rows):
        for c in range(cols):
            d2 = float((r - orow) ** 2 + (c - ocol) ** 2)
            if maxd2 > 0.0 and d2 > maxd2:
                continue
            if (r == orow and c == ocol) or _clear(
                dsm, orow + 0.5, ocol + 0.5, zeye, r + 0.5, c + 0.5, dsm[r, c] + tgt
            ):
                out[r, c] = 1
    return out


def exact_viewshed(
    dsm: np.ndarray,
    obs_row: int,
    obs_col: int,
    observer_height: float,
    target_height: float = 0.0,
    max_distance: float | None = None,
    cell_size: float = 1.0,
) -> np.ndarray:
    """Exact line-of-sight viewshed (reference R3): every cell tested by its own sight line.

    obs_row, obs_col: pixel indices of the observer cell; the eye is at its
    centre, `observer_height` metres above its DSM height. Each target is the
    centre of its cell, `target_height` metres above the DSM; the line is
    walked cell by cell (exact traversal of the prism DSM, the observer's and
    the target's own cells excluded). max_distance: metres between centres.
    O(cells x radius): meant for small rasters. Returns uint8, 1 visible.
    """
    data = np.ascontiguousarray(dsm, dtype=np.float64)
    maxd2 = (max_distance / cell_size) ** 2 if max_distance else 0.0
    return _exact(
        data, int(obs_row), int(obs_col), float(data[obs_row, obs_col] + observer_height), float(target_height), maxd2
    )


def crs_to_pixel(x: float, y: float, origin: tuple[float, float], cell_size: float) -> tuple[float, float]:
    """Continuous pixel coordinates (row, col) of CRS point (x, y) in metres; `origin` is the raster's
    (x_min, y_max)."""
    return (origin[1] - y) / cell_size, (x - origin[0]) / cell_size


def landmarks_visible(
    dsm: np.ndarray,
    obs_row: int,
    obs_col: int,
    observer_height: float,
    landmarks: np.ndarray,
    origin: tuple[float, float] = (0.0, 0.0),
    cell_size: float = 1.0,
) -> np.ndarray:
    """Is the straight sight line from the eye to each landmark clear of the DSM?

    obs_row, obs_col: pixel indices of the observer cell (eye at its centre,
    `observer_height` metres above the DSM there).
    landmarks: array (n, 3) of x, y in the DSM's CRS (metres, east and north)
    and z in metres in the DSM's vertical datum (e.g. the top of a bell tower).
    origin: CRS (x_min, y_max) of the raster's north-west corner; the default
    (0, 0) puts the raster's north edge at y = 0, south at negative y.
    The landmark's own cell is not tested, so a landmark standing on the DSM
    (its top at the DSM height) does not hide itself. Landmarks outside the
    raster are judged on the part of the line inside it.
    Returns a boolean array of length n.
    """
    pts = np.asarray(landmarks, dtype=np.float64).reshape(-1, 3)
    data = _heights(dsm)
    zeye = float(data[obs_row, obs_col]) + observer_height
    seen = np.empty(len(pts), dtype=bool)
    for k, (x, y, z) in enumerate(pts):
        r, c = crs_to_pixel(x, y, origin, cell_size)
        seen[k] = _clear(data, obs_row + 0.5, obs_col + 0.5, zeye, r, c, z)
    return seen


@njit(cache=True, parallel=True)
def _horizon(dsm, orow, ocol, zeye, n, max_px, cs, zmax, todo, known):
    rows, cols = dsm.shape
    top = (zmax - zeye) / cs  # no prism rises higher than this above the eye
    out = np.zeros(n, dtype=np.float64)
    for k in prange(n):
        if not todo[k]:
            out[k] = known[k]
            continue
        az = 2.0 * np.pi * k / n
        dx, dy = math.sin(az), -math.cos(az)
        r, c = orow, ocol
        step_c = 1 if dx > 0 else -1
        step_r = 1 if dy > 0 else -1
        t_dc = abs(1.0 / dx) if abs(dx) > 1e-15 else np.inf
        t_dr = abs(1.0 / dy) if abs(dy) > 1e-15 else np.inf
        t_c = 0.5 * t_dc
        t_r = 0.5 * t_dr
        # Compare slopes, not angles: one atan per ray instead of one per cell.
        best = -np.inf
        while True:
            t_in = min(t_c, t_r)
            if t_in > max_px:
                break
            # Nothing farther can rise above the steepest slope found: stop.
            if t_in > 0.0 and (top / t_in if top >= 0.0 else top / max_px) < best:
                break
            if t_c < t_r:
                c += step_c
                t_c += t_dc
            else:
                r += step_r
                t_r += t_dr
            if not (0 <= r < rows and 0 <= c < cols):
                break
            t_out = min(t_c, t_r, max_px)
            if t_out <= t_in:
                continue  # a corner the ray only touches
            dz = (dsm[r, c] - zeye) / cs
            # The steepest point of a prism is its near edge when it rises
            # above the eye, its far edge when it lies below.
            d = t_in if dz >= 0.0 else t_out
            a = dz / d if d > 0.0 else np.inf
            if a > best:
                best = a
        out[k] = math.atan(best)
    return out


def azimuths_crossing(rows: np.ndarray, cols: np.ndarray, obs_row: int, obs_col: int, n_azimuths: int) -> np.ndarray:
    """Which of the `n_azimuths` rays of `horizon_profile` can pass over any of the given cells (boolean mask).

    rows, cols: pixel indices of the cells; the rays start at the centre of
    cell (obs_row, obs_col). Conservative: the sector spanned by the cells'
    corners, widened a little; every ray when the cells surround the eye.
    """
    n = int(n_azimuths)
    r = np.asarray(rows, dtype=np.float64).ravel()
    c = np.asarray(cols, dtype=np.float64).ravel()
    if not r.size:
        return np.zeros(n, dtype=bool)
    y = np.concatenate([r, r + 1.0, r, r + 1.0]) - (obs_row + 0.5)  # rows grow southwards
    x = np.concatenate([c, c, c + 1.0, c + 1.0]) - (obs_col + 0.5)
    centre = math.atan2(float(x.mean()), float(-y.mean()))
    rel = (np.arctan2(x, -y) - centre + np.pi) % (2.0 * np.pi) - np.pi
    lo, hi = float(rel.min()), float(rel.max())
    if hi - lo >= np.pi - 1e-3:
        return np.ones(n, dtype=bool)
    az = 2.0 * np.pi * np.arange(n) / n
    d = (az - centre + np.pi) % (2.0 * np.pi) - np.pi
    return (d >= lo - 1e-6) & (d <= hi + 1e-6)


def horizon_profile(
    dsm: np.ndarray,
    obs_row: int,
    obs_col: int,
    observer_height: float,
    n_azimuths: int = 360,
    cell_size: float = 1.0,
    max_distance: float | None = None,
    max_height: float | None = None,
    known: np.ndarray | None = None,
    todo: np.ndarray | None = None,
) -> np.ndarray:
    """Horizon elevation angle (radians) for `n_azimuths` azimuths clockwise from grid north.

    obs_row, obs_col: pixel indices of the observer cell; the eye is at its
    centre, `observer_height` metres above its DSM height. Each azimuth's
    ray is walked cell by cell to the raster edge or `max_distance` metres;
    the angle is the highest under which a prism is seen, negative when the
    whole ray looks down. Element k is azimuth 2 * pi * k / n_azimuths.
    max_height: an upper bound of the DSM (metres), if known: a ray stops
    where nothing farther could rise above its horizon (default: the DSM's max).
    known, todo: angles already known (radians, length n_azimuths) and a
    boolean mask of the azimuths to walk anyway; the others are copied from
    `known` (e.g. after a change only some rays cross).
    """
    data = _heights(dsm)
    max_px = max_distance / cell_size if max_distance else np.inf
    zeye = float(data[obs_row, obs_col]) + observer_height
    # Heights are in metres but distances in pixels: height differences are scaled to pixels.
    if max_height is None:
        max_height = float(np.max(data))
    n = int(n_azimuths)
    if known is None or todo is None:
        known, todo = np.zeros(n, dtype=np.float64), np.ones(n, dtype=np.bool_)
    return _horizon(
        data,
        int(obs_row),
        int(obs_col),
        zeye,
        n,
        max_px,
        float(cell_size),
        float(max_height),
        np.asarray(todo, dtype=np.bool_),
        np.asarray(known, dtype=np.float64),
    )


def sky_view_factor(horizon: np.ndarray) -> float:
    """Sky view factor (0..1) from a horizon profile in radians over evenly spread azimuths.

    SVF = 1 - mean(sin^2(max(horizon, 0))). An azimuth that runs straight
    into a facade next to the observer has a horizon of pi/2 and counts as
    no sky at all, so a point against a vertical wall reaches at most 0.5,
    the hemisphere in front of the wall; horizons below the horizontal count
    as open sky (the factor of the upper hemisphere only).
    """
    h = np.clip(np.asarray(horizon, dtype=np.float64), 0.0, np.pi / 2)
    return float(1.0 - np.mean(np.sin(h) ** 2))


def visible_area_m2(visible: np.ndarray, cell_size: float = 1.0) -> float:
    """Planimetric area in square metres of the visible cells (visible: viewshed output, nonzero = seen)."""
    return float(np.count_nonzero(visible)) * cell_size * cell_size


def sea_view(
    dsm: np.ndarray,
    sea: np.ndarray,
    obs_row: int,
    obs_col: int,
    observer_height: float,
    n_azimuths: int = 360,
    cell_size: float = 1.0,
    visible: np.ndarray | None = None,
) -> tuple[float, float]:
    """Sea seen from the observer: (share of azimuths, solid angle in steradians).

    sea: boolean raster aligned with `dsm` (True on sea cells).
    obs_row, obs_col: pixel indices of the observer cell (eye at its centre,
    `observer_height` metres above the DSM). visible: a viewshed of the same
    observer if already computed (else it is computed with `viewshed`).
    The share counts the azimuth sectors (of `n_azimuths`, clockwise from
    grid north) holding at least one visible sea cell centre. The solid angle
    sums, over visible sea cells, cell area x |dz| / d^3: the flat cell as
    seen from the eye, dz the height of the eye over the cell, d the distance
    between eye and cell centre.
    """
    if sea.shape != dsm.shape:
        raise ValueError(f"sea mask shape {sea.shape} differs from DSM shape {dsm.shape}")
    if visible is None:
        visible = viewshed(dsm, obs_row, obs_col, observer_height, cell_size=cell_size)
    rr, cc = np.nonzero(np.logical_and(sea, visible != 0))
    rr, cc = rr[(rr != obs_row) | (cc != obs_col)], cc[(rr != obs_row) | (cc != obs_col)]
    if rr.size == 0:
        return 0.0, 0.0
    zeye = float(dsm[obs_row, obs_col]) + observer_height
    east = (cc - obs_col) * cell_size
    south = (rr - obs_row) * cell_size
    az = np.mod(np.arctan2(east, -south), 2 * np.pi)
    sectors = np.unique(np.floor(az / (2 * np.pi) * n_azimuths + 0.5).astype(np.int64) % n_azimuths)
    dz = np.abs(zeye - dsm[rr, cc].astype(np.float64))
    d = np.sqrt(east**2 + south**2 + dz**2)
    omega = float(np.sum(cell_size * cell_size * dz / d**3))
    return sectors.size / n_azimuths, omega
