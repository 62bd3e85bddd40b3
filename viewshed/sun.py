"""Where the sun stands: NREL's Solar Position Algorithm (pvlib.spa), in the directions a north-up grid uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from pvlib import spa

# Standard atmosphere at sea level: refraction lifts a low sun by about half a degree,
# which lengthens or shortens a shadow at sunset by tens of metres.
PRESSURE_MBAR = 1013.25
TEMPERATURE_C = 15.0
ATMOS_REFRACT_DEG = 0.5667


@dataclass(frozen=True)
class SunPositions:
    """Sun directions at `times` (UTC): azimuth clockwise from true north and apparent elevation, degrees."""

    times: np.ndarray  # datetime64[s], UTC
    azimuth: np.ndarray
    elevation: np.ndarray

    @property
    def up(self) -> np.ndarray:
        """True where the sun's apparent centre is above the horizon."""
        return self.elevation > 0.0


def sun_positions(
    times_utc,
    lat: float,
    lon: float,
    height_m: float = 0.0,
    *,
    pressure_mbar: float = PRESSURE_MBAR,
    temperature_c: float = TEMPERATURE_C,
    delta_t: float | None = None,
) -> SunPositions:
    """The sun seen from (lat, lon) in WGS84 degrees at `height_m` metres, at each UTC time.

    times_utc: aware datetimes, or numpy datetime64 taken as UTC. Topocentric
    azimuth (degrees clockwise from true north) and elevation corrected for
    refraction in a standard atmosphere, by pvlib's implementation of Reda &
    Andreas (2004), accurate to 0.0003 degrees. delta_t (TT - UT1, seconds)
    defaults to pvlib's estimate for the month; pressure (mbar) and temperature
    (°C) set the refraction.
    """
    stamps = _as_datetime64(times_utc)
    unix = stamps.astype("datetime64[s]").astype(np.int64).astype(np.float64)
    years = stamps.astype("datetime64[Y]").astype(int) + 1970
    months = stamps.astype("datetime64[M]").astype(int) % 12 + 1
    if delta_t is None:
        delta_t = spa.calculate_deltat(years, months)
    _, _, elevation, _, azimuth, _ = spa.solar_position_numpy(
        unix, lat, lon, height_m, pressure_mbar, temperature_c, delta_t, ATMOS_REFRACT_DEG, 1
    )
    return SunPositions(stamps.astype("datetime64[s]"), np.asarray(azimuth, float), np.asarray(elevation, float))


def day_times(day: date, tz: str, step_minutes: int) -> np.ndarray:
    """UTC datetime64[s] of every `step_minutes` step of a local calendar day (DST days have 23 or 25 hours)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    count = int((end - start).total_seconds() // (step_minutes * 60))
    first = np.datetime64(start.replace(tzinfo=None), "s")
    return first + np.arange(count) * np.timedelta64(step_minutes * 60, "s")


def _as_datetime64(times) -> np.ndarray:
    if isinstance(times, datetime):
        times = [times]
    arr = np.asarray(times)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[s]").reshape(-1)
    out = []
    for t in arr.reshape(-1):
        if not isinstance(t, datetime) or t.tzinfo is None:
            raise ValueError(f"sun_positions needs timezone-aware datetimes (UTC or local with a zone), got {t!r}")
        out.append(np.datetime64(t.astimezone(UTC).replace(tzinfo=None), "s"))
    return np.asarray(out, dtype="datetime64[s]")
