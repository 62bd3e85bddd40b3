"""Sun at windows and points: probable sunlight hours at windows (BR 209 section 3.2), the sun's year against each
window's obstruction horizon, and hours of direct sun at a point over one day."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
from numba import njit, prange

from viewshed.shadow import grid_azimuth, sun_hours
from viewshed.sun import day_times, sun_positions
from viewshed.surface import Patch, SurfaceModel

# Sun positions every this many minutes through a year; against 5-minute steps, the demo city's windows
# around variant B moved by at most 0.66 points of APSH (0.37 of winter hours).
STEP_MINUTES = 20
# Any non-leap year: from one year to the next the sun's path moves by less than the steps above.
YEAR = 2025


@dataclass(frozen=True)
class SunYear:
    """The sun above the horizon through a year, seen from one place, in the grid's frame.

    azimuth: radians clockwise from grid north; elevation: radians; winter: between 21 September
    and 21 March (BR 209's winter period).
    """

    azimuth: np.ndarray
    elevation: np.ndarray
    winter: np.ndarray


def sun_year(
    lat: float, lon: float, grid_north_deg: float, step_minutes: int = STEP_MINUTES, year: int = YEAR
) -> SunYear:
    """Every `step_minutes` of `year` with the sun up at (lat, lon) (WGS84 degrees).

    grid_north_deg: grid azimuth of true north there (degrees), to turn true azimuths into the grid's.
    """
    start = np.datetime64(f"{year}-01-01T00:00:00", "s")
    n = int((np.datetime64(f"{year + 1}-01-01T00:00:00", "s") - start) / np.timedelta64(step_minutes * 60, "s"))
    # Each position stands for the middle of its step.
    times = start + (np.arange(n) * step_minutes * 60 + step_minutes * 30).astype("timedelta64[s]")
    sun = sun_positions(times, lat, lon)
    up = sun.up
    month_day = (
        (times.astype("datetime64[M]").astype(int) % 12 + 1) * 100
        + (times.astype("datetime64[D]") - times.astype("datetime64[M]")).astype(int)
        + 1
    )
    winter = (month_day >= 921) | (month_day < 321)
    return SunYear(np.radians(grid_azimuth(sun.azimuth[up], grid_north_deg)), np.radians(sun.elevation[up]), winter[up])


@njit(cache=True, parallel=True)
def _sunlit(horizons, facing, az, el, winter, annual, winter_out):
    n_w, n = horizons.shape
    sector = np.pi / n
    for w in prange(n_w):
        a = 0
        b = 0
        for s in range(az.shape[0]):
            rel = (az[s] - facing[w] + np.pi) % (2.0 * np.pi) - np.pi
            if rel <= -np.pi / 2 or rel >= np.pi / 2:
                continue  # behind the facade
            k = int((rel + np.pi / 2) / sector)
            if k >= n:
                k = n - 1
            if el[s] > horizons[w, k]:
                a += 1
                if winter[s]:
                    b += 1
        annual[w] = a
        winter_out[w] = b


def probable_sunlight(horizons: np.ndarray, facing_rad: np.ndarray, sun: SunYear) -> tuple[np.ndarray, np.ndarray]:
    """(annual, winter) probable sunlight hours at each window, as percentages of the annual total.

    horizons: (windows, n) radians over n equal front sectors (`facade_horizons`); facing_rad: the
    windows' normals (radians clockwise from grid north). Every sun position weighs the same: without
    a sunshine climatology for the city, the probability of sun is taken as even through the year, and
    the annual total is the hours the sun is up on unobstructed ground.
    """
    h = np.ascontiguousarray(horizons, np.float64)
    annual = np.zeros(len(h), np.int64)
    winter = np.zeros(len(h), np.int64)
    if len(h) and len(sun.azimuth):
        _sunlit(h, np.asarray(facing_rad, np.float64), sun.azimuth, sun.elevation, sun.winter, annual, winter)
    total = max(len(sun.azimuth), 1)
    return 100.0 * annual / total, 100.0 * winter / total


def facing_south(facing_rad: np.ndarray, grid_north_deg: float) -> np.ndarray:
    """Windows whose normal is within 90 degrees of due (true) south: BR 209 3.2.3 tests only those."""
    true_az = np.asarray(facing_rad, np.float64) - math.radians(grid_north_deg)
    return np.cos(true_az - np.pi) > 1e-9


def daily_sun_hours(
    surface: SurfaceModel,
    x: float,
    y: float,
    day: date,
    tz: str,
    lat: float,
    lon: float,
    grid_north_deg: float,
    patch: Patch | None = None,
    step_minutes: int = 10,
    z: float | None = None,
) -> float:
    """Hours of direct sun at storage-CRS x, y (metres) over a local calendar day, every `step_minutes`.

    day: a date in time zone `tz`; lat, lon: WGS84
    degrees the sun is seen from; grid_north_deg: the grid azimuth of true north there; patch: a project
    variant burnt in (viewshed.dsm.variant_patch) for the "with the project" figure; z: the point's
    height in metres (the surface there by default). Each step counts with the sun at its middle.
    """
    cell = surface.grid.cell_of(x, y)
    if cell is None:
        raise ValueError(f"({x:.1f}, {y:.1f}) lies outside the surface model: choose a point in the city's extent")
    times = day_times(day, tz, step_minutes) + np.timedelta64(step_minutes * 30, "s")
    sun = sun_positions(times, lat, lon)
    return sun_hours(
        surface.dsm,
        surface.grid.cell,
        cell[0],
        cell[1],
        grid_azimuth(sun.azimuth, grid_north_deg),
        sun.elevation,
        step_minutes,
        patch,
        z,
    )
