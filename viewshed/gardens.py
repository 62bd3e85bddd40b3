"""Sun on gardens on 21 March (BR 209 3.3.17): hours of direct sun on every open cell, shared out per garden."""

from __future__ import annotations

import numpy as np

from viewshed.shadow import grid_azimuth, shadow_heights
from viewshed.sun import sun_positions

# With no garden or parcel survey, a dwelling's garden is taken as the open ground within this many
# metres of its footprint (other buildings and the project's site taken out).
GARDEN_DEPTH_M = 10.0
STEP_MINUTES = 15
EQUINOX = "2025-03-21"


def equinox_sun(
    lat: float, lon: float, grid_north_deg: float, step_minutes: int = STEP_MINUTES
) -> tuple[np.ndarray, np.ndarray]:
    """(azimuth in the grid's frame, elevation), degrees, every step_minutes of 21 March with the sun up."""
    start = np.datetime64(f"{EQUINOX}T00:00:00", "s")
    # The whole UTC day holds the city's daylight (UTC+1 in March): each position is its step's middle.
    times = start + (np.arange(24 * 60 // step_minutes) * step_minutes * 60 + step_minutes * 30).astype(
        "timedelta64[s]"
    )
    sun = sun_positions(times, lat, lon)
    return grid_azimuth(sun.azimuth[sun.up], grid_north_deg), sun.elevation[sun.up]


def sun_hours_grid(
    dsm: np.ndarray,
    cell: float,
    azimuth_deg: np.ndarray,
    elevation_deg: np.ndarray,
    step_minutes: float,
    cells: np.ndarray,
) -> np.ndarray:
    """Hours of direct sun on the surface of each cell where `cells` is True (0 elsewhere).

    dsm: heights (metres) on a north-up grid of `cell` metres; the sun positions in the grid's frame
    (degrees), each counting for step_minutes.
    """
    data = np.ascontiguousarray(dsm, np.float32)
    data_t = np.ascontiguousarray(data.T)
    lit = np.zeros(data.shape, np.int32)
    out = None
    rr, cc = np.nonzero(cells)
    ground = data[rr, cc]
    for az, el in zip(azimuth_deg, elevation_deg):
        heights, transposed = shadow_heights(data, cell, float(az), float(el), dsm_t=data_t, out=out)
        out = heights
        h = heights[cc, rr] if transposed else heights[rr, cc]
        lit[rr, cc] += h <= ground
    return lit * (step_minutes / 60.0)


def sunlit_shares(
    hours: np.ndarray, labels: np.ndarray, n_gardens: int, min_hours: float
) -> tuple[np.ndarray, np.ndarray]:
    """(share of each garden's cells with at least min_hours of sun, cell count per garden).

    labels: garden index per cell, -1 outside every garden.
    """
    inside = labels >= 0
    idx = labels[inside]
    count = np.bincount(idx, minlength=n_gardens)
    sunny = np.bincount(idx, weights=(hours[inside] >= min_hours).astype(np.float64), minlength=n_gardens)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, sunny / np.maximum(count, 1), np.nan), count
