"""The obstruction horizon seen from many facade points at once, over the half-space in front of each facade."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

# Azimuths per window across the 180 degrees in front of it: 2 degrees each. Against 360 (0.5 degree),
# the demo city's windows around variant B moved by at most 0.39 points of VSC (99 % within 0.26),
# for a third of the time.
DEFAULT_AZIMUTHS = 90


def front_azimuths(facing_rad: np.ndarray, n: int = DEFAULT_AZIMUTHS) -> np.ndarray:
    """(windows, n) azimuths (radians, clockwise from grid north) at the middle of n equal sectors
    spanning -90..+90 degrees about each window's facing."""
    offsets = -np.pi / 2 + (np.arange(n) + 0.5) * (np.pi / n)
    return np.asarray(facing_rad, np.float64)[:, None] + offsets[None, :]


@njit(cache=True, parallel=True)
def _horizons(dsm, xmin, ymax, cs, xs, ys, zs, facing, n, max_px, zmax, todo, out):
    rows, cols = dsm.shape
    for w in prange(xs.shape[0]):
        if not todo[w]:
            continue
        # Continuous pixel coordinates: columns east, rows south.
        px = (xs[w] - xmin) / cs
        py = (ymax - ys[w]) / cs
        zeye = zs[w]
        top = (zmax - zeye) / cs
        c0 = int(math.floor(px))
        r0 = int(math.floor(py))
        for k in range(n):
            az = facing[w] - np.pi / 2 + (k + 0.5) * (np.pi / n)
            dx = math.sin(az)
            dy = -math.cos(az)
            c, r = c0, r0
            step_c = 1 if dx > 0 else -1
            step_r = 1 if dy > 0 else -1
            t_dc = abs(1.0 / dx) if abs(dx) > 1e-12 else np.inf
            t_dr = abs(1.0 / dy) if abs(dy) > 1e-12 else np.inf
            t_c = ((c0 + 1 - px) if dx > 0 else (px - c0)) * t_dc if abs(dx) > 1e-12 else np.inf
            t_r = ((r0 + 1 - py) if dy > 0 else (py - r0)) * t_dr if abs(dy) > 1e-12 else np.inf
            best = -np.inf
            while True:
                t_in = min(t_c, t_r)
                if t_in > max_px:
                    break
                # Nothing farther can rise above the steepest slope found so far.
                if t_in > 0.0 and top / t_in < best:
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
                    continue
                dz = (dsm[r, c] - zeye) / cs
                # A prism above the eye is steepest at its near edge, one below at its far edge.
                d = t_in if dz >= 0.0 else t_out
                a = dz / d if d > 0.0 else np.inf
                if a > best:
                    best = a
            out[w, k] = math.atan(best) if best > -np.inf else -np.pi / 2


def facade_horizons(
    dsm: np.ndarray,
    origin: tuple[float, float],
    cell: float,
    xs: np.ndarray,
    ys: np.ndarray,
    zs: np.ndarray,
    facing_rad: np.ndarray,
    n_azimuths: int = DEFAULT_AZIMUTHS,
    max_distance_m: float = 500.0,
    todo: np.ndarray | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Horizon elevation (radians; negative when a ray only looks down) per window and front azimuth.

    dsm: heights (metres, orthometric) on a north-up grid whose NW corner is
    origin = (x_min, y_max) in the storage CRS, square cells of `cell` metres.
    xs, ys, zs: the windows' reference points (storage CRS, orthometric metres),
    outside any building; facing_rad: azimuth of each outward normal (radians,
    clockwise from grid north). Azimuth k of a window is the middle of the k-th
    of n equal sectors from -90 to +90 degrees about its facing (`front_azimuths`).
    Each ray starts at the exact point and is walked cell by cell to the grid's
    edge or `max_distance_m`. todo: a mask of the windows to compute; the
    others keep their row of `out` (a previous result).
    """
    data = np.ascontiguousarray(dsm, dtype=np.float32)
    n_w = len(xs)
    if out is None:
        out = np.full((n_w, n_azimuths), -np.pi / 2)
    if todo is None:
        todo = np.ones(n_w, dtype=np.bool_)
    if n_w and data.size:
        _horizons(
            data,
            float(origin[0]),
            float(origin[1]),
            float(cell),
            np.asarray(xs, np.float64),
            np.asarray(ys, np.float64),
            np.asarray(zs, np.float64),
            np.asarray(facing_rad, np.float64),
            int(n_azimuths),
            float(max_distance_m) / float(cell),
            float(np.max(data)),
            np.asarray(todo, np.bool_),
            out,
        )
    return out
