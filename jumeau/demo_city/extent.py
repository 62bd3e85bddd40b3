"""The demo city's footprint: EPSG:2154 bounding box, grid and the lon/lat -> Lambert-93 transform."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from twin import geodesy

DEMO_SRID = 2154
DEMO_VERTICAL_SRID = 5720  # NGF-IGN69 heights
# Old town, Port Vauban, Fort Carré, La Salis, the whole Cap and eastern Juan-les-Pins: 6 km x 8 km.
DEMO_EXTENT: tuple[float, float, float, float] = (1030200.0, 6279200.0, 1036200.0, 6287200.0)
CELL_SIZE = 5.0

_TO_L93 = geodesy.operation(4326, DEMO_SRID, max_error_m=geodesy.DEFAULT_MAX_ERROR_M, record=False).transformer
_TO_WGS84 = geodesy.operation(DEMO_SRID, 4326, max_error_m=geodesy.DEFAULT_MAX_ERROR_M, record=False).transformer


def to_l93(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 degrees (lon, lat) -> EPSG:2154 metres (x, y)."""
    x, y = _TO_L93.transform(lon, lat)
    return float(x), float(y)


def to_wgs84(x: float, y: float) -> tuple[float, float]:
    """EPSG:2154 metres (x, y) -> WGS84 degrees (lon, lat)."""
    lon, lat = _TO_WGS84.transform(x, y)
    return float(lon), float(lat)


def lonlats_to_l93(points: Iterable[Sequence[float]]) -> list[tuple[float, float]]:
    """Many WGS84 (lon, lat) pairs -> EPSG:2154 (x, y) pairs."""
    return [to_l93(p[0], p[1]) for p in points]
