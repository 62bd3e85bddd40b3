"""Number checks every reader runs on the whole input before anything is written: finite, and in a range that a
place on Earth or a measure of a network or a building can have."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from gis_sync.errors import FieldValueError, GeometryError

# Projected coordinates are metres from a false origin (Lambert-93 northings reach 7.2e6, UTM 1e7); degrees stay
# far below. A larger magnitude is a corrupt or mistyped number, not a place.
COORD_ABS_MAX = 1e8
# Heights (m): the deepest ocean trench to well above the highest summit.
Z_RANGE = (-12_000.0, 10_000.0)


def _at(line: int | None) -> str:
    return f"line {line}: " if line else ""


def _bad(value: float) -> str | None:
    """Why a coordinate is unusable, or None."""
    if math.isnan(value):
        return "is not a number (NaN)"
    if math.isinf(value):
        return "is infinite"
    if abs(value) > COORD_ABS_MAX:
        return f"is beyond ±{COORD_ABS_MAX:.0e}"
    return None


def check_coords(
    coords: Iterable[Sequence[float]], *, feature_id: str | None, field: str, line: int | None = None
) -> None:
    """GeometryError naming the feature, field and line (XML) for the first position with a non-finite or
    out-of-range coordinate. coords: (x, y[, z]) in the file's CRS; z in metres."""
    for k, position in enumerate(coords):
        for axis, value in zip("xyz", position):
            value = float(value)
            why = _bad(value)
            if why is None and axis == "z" and not Z_RANGE[0] <= value <= Z_RANGE[1]:
                why = f"is outside {Z_RANGE[0]:.0f} .. {Z_RANGE[1]:.0f} m"
            if why:
                raise GeometryError(
                    f"{_at(line)}{axis} of position {k + 1} ({value!r}) {why}",
                    feature_id=feature_id,
                    field=field,
                    advice="fix the coordinate in the source and export again",
                )


def bad_rows(array: np.ndarray) -> np.ndarray:
    """Indices of the rows of an (n, 2 or 3) array holding a non-finite or out-of-range coordinate."""
    a = np.asarray(array, dtype=float)
    bad = ~np.isfinite(a) | (np.abs(np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)) > COORD_ABS_MAX)
    if a.ndim == 2 and a.shape[1] > 2:
        z = np.nan_to_num(a[:, 2], nan=0.0, posinf=0.0, neginf=0.0)
        bad[:, 2] |= (z < Z_RANGE[0]) | (z > Z_RANGE[1])
    return np.flatnonzero(bad.any(axis=1)) if a.ndim == 2 else np.flatnonzero(bad)


def check_number(
    value: float,
    *,
    feature_id: str | None,
    field: str,
    line: int | None = None,
    low: float | None = None,
    high: float | None = None,
    unit: str = "",
) -> float:
    """`value` when finite and within [low, high]; FieldValueError naming feature, field and line otherwise."""
    value = float(value)
    if not math.isfinite(value):
        raise FieldValueError(f"{_at(line)}{value!r} is not a finite number", feature_id=feature_id, field=field)
    if (low is not None and value < low) or (high is not None and value > high):
        span = (
            f"{low:g} .. {high:g}"
            if low is not None and high is not None
            else (f">= {low:g}" if low is not None else f"<= {high:g}")
        )
        raise FieldValueError(f"{_at(line)}{value:g}{unit} is outside {span}{unit}", feature_id=feature_id, field=field)
    return value


def check_raster_heights(values: np.ndarray, *, nodata: float | None) -> None:
    """FieldValueError when a raster's cells (nodata cells left out) hold non-finite or implausible heights (m):
    usually a fill value the file does not declare as nodata."""
    values = np.asarray(values, dtype=float)
    low, high = Z_RANGE
    finite = np.isfinite(values)
    bad = ~finite | (np.where(finite, values, 0.0) < low) | (np.where(finite, values, 0.0) > high)
    count = int(bad.sum())
    if count:
        sample = float(values[bad][0])
        raise FieldValueError(
            f"{count} cells hold {sample!r} or other heights that are not finite or outside {low:.0f} .. {high:.0f} m"
            f" (nodata is {nodata!r})",
            field="band 1",
            advice="declare the fill value as nodata (gdal_translate -a_nodata VALUE) and import again",
        )
