"""The impact report's windows as CSV and GeoJSON (RFC 7946, WGS84 lon/lat), for a GIS or a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import numpy as np

WINDOW_COLUMNS = (
    "index",
    "building_id",
    "building_source_id",
    "facade",
    "floor",
    "x",
    "y",
    "z",
    "azimuth_deg",
    "residential",
    "vsc_before",
    "vsc_after",
    "vsc_fails",
)
OPTIONAL_COLUMNS = ("apsh_before", "apsh_after", "winter_before", "winter_after", "apsh_fails")


def _columns(windows: list[dict]) -> tuple[str, ...]:
    extra = tuple(c for c in OPTIONAL_COLUMNS if windows and c in windows[0])
    return WINDOW_COLUMNS + extra


def _cell(value):
    # A source id such as "=HYPERLINK(...)" must reach a spreadsheet as text, never as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def windows_csv(project_slug: str, variant_slug: str, windows: list[dict]) -> str:
    """One row per window; x, y in the storage CRS (metres), z orthometric, VSC in percent."""
    out = io.StringIO()
    columns = _columns(windows)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("project", "variant", *columns))
    for w in windows:
        writer.writerow((project_slug, variant_slug, *(_cell(w.get(c)) for c in columns)))
    return out.getvalue()


def windows_geojson(
    report_meta: dict, windows: list[dict], to_geographic: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple]
) -> dict:
    """A FeatureCollection of window points: lon, lat (degrees) and ellipsoidal height (m) from
    to_geographic(xs, ys, zs); the properties as in the CSV; `report` holds the variant and the method."""
    columns = _columns(windows)
    if windows:
        xs = np.array([w["x"] for w in windows], float)
        ys = np.array([w["y"] for w in windows], float)
        zs = np.array([w["z"] for w in windows], float)
        lon, lat, h = to_geographic(xs, ys, zs)
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [round(float(lon[k]), 7), round(float(lat[k]), 7), round(float(h[k]), 2)],
            },
            "properties": {c: w.get(c) for c in columns},
        }
        for k, w in enumerate(windows)
    ]
    return {"type": "FeatureCollection", "report": report_meta, "features": features}
