"""Resolve a source's CRS (declared wins, configured fills in), check its area of use, transform to storage."""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError

from gis_sync.errors import CRSError

STORAGE_SRID = 2154
# A little slack: PROJ's areas of use are drawn tight to land borders, coastal data may sit just outside.
AREA_MARGIN_DEG = 0.5

_EPSG_PATTERNS = (
    re.compile(r"^EPSG:+(\d+)$", re.I),
    re.compile(r"^urn:ogc:def:crs:EPSG:[\d.]*:(\d+)$", re.I),
    re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/[\d.]+/(\d+)$", re.I),
    re.compile(r"^https?://www\.opengis\.net/gml/srs/epsg\.xml#(\d+)$", re.I),
)


def srid_from_name(name: str | None) -> int | None:
    """EPSG code named by an srsName, URN, OGC URL, 'EPSG:n', WKT or PROJ string; None if it names none."""
    if not name:
        return None
    text = name.strip()
    for pattern in _EPSG_PATTERNS:
        m = pattern.match(text)
        if m:
            return int(m.group(1))
    if text.isdigit():
        return int(text)
    if text.startswith("#") or len(text) < 4:
        return None
    try:
        crs = CRS.from_user_input(text)
    except ProjCRSError:
        return None
    return crs.to_epsg(min_confidence=70)


def resolve_srid(
    declared: int | None,
    configured: int | None,
    *,
    file: str | None = None,
    what: str = "the file",
) -> int:
    """The SRID to read a source in: the declared one wins, the configured one fills in, neither is an error."""
    if declared:
        return int(declared)
    if configured:
        return int(configured)
    raise CRSError(
        f"{what} declares no coordinate reference system and none is configured",
        file=file,
        advice="pass --srid (e.g. --srid 2154 for Lambert-93, 7415 for RD New + NAP) "
        "or set the project's default source SRID",
    )


@lru_cache(maxsize=64)
def crs_for(srid: int) -> CRS:
    try:
        return CRS.from_epsg(srid)
    except ProjCRSError as exc:
        raise CRSError(f"EPSG:{srid} is not a known CRS ({exc})", advice="use an EPSG code PROJ knows") from None


def horizontal_srid(srid: int) -> int:
    """The horizontal part of a compound CRS (7415 → 28992); other SRIDs unchanged."""
    crs = crs_for(srid)
    if crs.is_compound:
        for sub in crs.sub_crs_list:
            if not sub.is_vertical:
                code = sub.to_epsg()
                if code:
                    return code
    return srid


def vertical_datum_name(srid: int) -> str | None:
    """Name of the vertical datum of a compound or vertical CRS, None for 2D CRSs."""
    crs = crs_for(srid)
    subs = crs.sub_crs_list if crs.is_compound else [crs]
    for sub in subs:
        if sub.is_vertical:
            return sub.name
    return None


def axis_is_northing_first(srid: int) -> bool:
    """True when the CRS's official axis order puts latitude/northing first (EPSG:4326 in a GML URN)."""
    axes = crs_for(srid).axis_info
    return bool(axes) and axes[0].direction.lower() in ("north", "south")


@lru_cache(maxsize=64)
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(crs_for(src), crs_for(dst), always_xy=True)


def check_area_of_use(
    srid: int,
    bounds: Sequence[float],
    *,
    file: str | None = None,
    feature_id: str | None = None,
) -> None:
    """Raise CRSError when an extent (minx, miny, maxx, maxy in `srid` units) lies outside the CRS's area of use.

    This is how longitude/latitude read as metres, or metres declared as degrees, shows up.
    """
    minx, miny, maxx, maxy = bounds[:4]
    crs = crs_for(srid)
    area = crs.area_of_use
    if area is None:
        return
    if crs.is_geographic:
        corners = [(minx, miny), (maxx, maxy)]
    else:
        tr = _transformer(srid, 4326)
        corners = [tr.transform(x, y) for x, y in ((minx, miny), (minx, maxy), (maxx, miny), (maxx, maxy))]
    ok = all(
        math.isfinite(lon) and math.isfinite(lat)
        and area.west - AREA_MARGIN_DEG <= lon <= area.east + AREA_MARGIN_DEG
        and area.south - AREA_MARGIN_DEG <= lat <= area.north + AREA_MARGIN_DEG
        for lon, lat in corners
    )
    if not ok:
        hint = ""
        if -180 <= minx <= 180 and -90 <= miny <= 90 and -180 <= maxx <= 180 and -90 <= maxy <= 90:
            hint = " (they look like longitude/latitude degrees)"
        raise CRSError(
            f"coordinates {minx:.6g},{miny:.6g} .. {maxx:.6g},{maxy:.6g} lie outside the area of use of "
            f"EPSG:{srid} ({crs.name}: {area.name}){hint}",
            file=file,
            feature_id=feature_id,
            advice="declare the CRS the coordinates really are in (e.g. EPSG:4326 for degrees) or pass --srid",
        )


def transform_xy(
    xs: Iterable[float], ys: Iterable[float], src: int, dst: int
) -> tuple[list[float], list[float]]:
    """Transform planimetric coordinates from EPSG:src to EPSG:dst (x = easting/longitude first)."""
    xs, ys = list(xs), list(ys)
    src_h, dst_h = horizontal_srid(src), horizontal_srid(dst)
    if src_h == dst_h:
        return xs, ys
    out_x, out_y = _transformer(src_h, dst_h).transform(xs, ys)
    return list(out_x), list(out_y)


def transform_coords(
    coords: Sequence[Sequence[float]], src: int, dst: int
) -> list[tuple[float, ...]]:
    """Transform (x, y[, z]) tuples planimetrically; z is kept as is because height datums need grids
    that PROJ lacks offline (see PITFALLS: a 'ballpark' transform would silently leave z unchanged anyway)."""
    if not coords:
        return []
    xs, ys = transform_xy([c[0] for c in coords], [c[1] for c in coords], src, dst)
    return [(x, y, *c[2:]) for x, y, c in zip(xs, ys, coords)]


def lonlat_to(srid: int, lon: float, lat: float) -> tuple[float, float]:
    """Project a WGS84 longitude/latitude (degrees) to EPSG:srid."""
    x, y = _transformer(4326, horizontal_srid(srid)).transform(lon, lat)
    return float(x), float(y)


def grid_convergence_deg(srid: int, lon: float, lat: float) -> float:
    """Meridian convergence (degrees) of a projected CRS at a point: the angle between grid and true north."""
    crs = crs_for(horizontal_srid(srid))
    if crs.is_geographic:
        return 0.0
    from pyproj import Proj

    return float(Proj(crs).get_factors(lon, lat).meridian_convergence)
