"""Resolve a source's CRS (declared wins, configured fills in), check its area of use, move it to storage.

Every operation comes from twin.geodesy (PROJ's best operation whose grids are here, never a ballpark);
its errors become CRSError here, at the app's boundary. A CRS is an EPSG code (int) or, for a compound CRS
without a code of its own, the string 'EPSG:h+v' (LV95 + LN02 is 'EPSG:2056+5728').
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Sequence

import numpy as np
from pyproj import CRS, Proj
from pyproj.exceptions import CRSError as ProjCRSError

from gis_sync.errors import CRSError
from twin import geodesy

STORAGE_SRID = 2154
# Heights are stored orthometric in the national height system of the storage CRS.
STORAGE_VERTICAL = {2154: 5720, 28992: 5709, 2056: 5728, 25832: 7837}
# A little slack: PROJ's areas of use are drawn tight to land borders, coastal data may sit just outside.
AREA_MARGIN_DEG = 0.5

SRID = int | str
_EPSG_PATTERNS = (
    re.compile(r"^EPSG:+(\d+)$", re.I),
    re.compile(r"^urn:ogc:def:crs:EPSG:[\d.]*:(\d+)$", re.I),
    re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/[\d.]+/(\d+)$", re.I),
    re.compile(r"^https?://www\.opengis\.net/gml/srs/epsg\.xml#(\d+)$", re.I),
)
# Compound CRS named by its parts: 'EPSG:2056+5728', a CityJSON or GML compound URN / URL.
_COMPOUND_PATTERNS = (
    re.compile(r"^EPSG:+(\d+)\s*\+\s*(?:EPSG:+)?(\d+)$", re.I),
    re.compile(r"^urn:ogc:def:crs,crs:EPSG:[\d.]*:(\d+),crs:EPSG:[\d.]*:(\d+)$", re.I),
    re.compile(r"^https?://www\.opengis\.net/def/crs-compound\?1=.*?/EPSG/[\d.]+/(\d+)&2=.*?/EPSG/[\d.]+/(\d+)$", re.I),
)


def srid_from_name(name: str | None) -> SRID | None:
    """EPSG code named by an srsName, URN, OGC URL, 'EPSG:n', WKT or PROJ string; None if it names none.

    A compound CRS without an EPSG code of its own comes back as 'EPSG:h+v'."""
    if not name:
        return None
    text = name.strip()
    for pattern in _EPSG_PATTERNS:
        m = pattern.match(text)
        if m:
            return int(m.group(1))
    for pattern in _COMPOUND_PATTERNS:
        m = pattern.match(text)
        if m:
            return _compound_code(int(m.group(1)), int(m.group(2)))
    if text.isdigit():
        return int(text)
    if text.startswith("#") or len(text) < 4:
        return None
    try:
        crs = CRS.from_user_input(text)
    except ProjCRSError:
        return None
    return code_of(crs)


def code_of(crs: CRS) -> SRID | None:
    """The EPSG code of a CRS, or 'EPSG:h+v' for a compound CRS whose parts have codes; None otherwise."""
    code = crs.to_epsg(min_confidence=70)
    if code:
        return code
    if crs.is_compound:
        parts = [s.to_epsg(min_confidence=70) for s in crs.sub_crs_list]
        if len(parts) == 2 and all(parts):
            return _compound_code(parts[0], parts[1])
    return None


def _compound_code(h: int, v: int) -> SRID:
    crs = crs_for(f"EPSG:{h}+{v}")
    return crs.to_epsg(min_confidence=90) or f"EPSG:{h}+{v}"


def resolve_srid(
    declared: SRID | None,
    configured: SRID | None,
    *,
    file: str | None = None,
    what: str = "the file",
) -> SRID:
    """The SRID to read a source in: the declared one wins, the configured one fills in, neither is an error."""
    for value in (declared, configured):
        if value:
            return int(value) if isinstance(value, int) or str(value).isdigit() else value
    raise CRSError(
        f"{what} declares no coordinate reference system and none is configured",
        file=file,
        advice="pass --srid (e.g. --srid 2154 for Lambert-93, 7415 for RD New + NAP) "
        "or set the project's default source SRID",
    )


def crs_for(srid: SRID | CRS) -> CRS:
    if isinstance(srid, CRS):
        return srid
    try:
        return geodesy.crs_from(int(srid) if isinstance(srid, int) or str(srid).isdigit() else srid)
    except geodesy.GeodesyError as exc:
        raise CRSError(f"EPSG:{srid} is not a known CRS ({exc})", advice="use an EPSG code PROJ knows") from None


def horizontal_srid(srid: SRID) -> SRID:
    """The horizontal part of a compound CRS (7415 → 28992); other SRIDs unchanged."""
    crs = crs_for(srid)
    if crs.is_compound:
        return geodesy.horizontal(crs).to_epsg() or srid
    return srid


def vertical_datum_name(srid: SRID) -> str | None:
    """Name of the vertical CRS of a compound or vertical CRS, None for 2D CRSs."""
    v = geodesy.vertical(crs_for(srid))
    return v.name if v is not None else None


def storage_crs(storage_srid: int = STORAGE_SRID) -> CRS:
    """The storage CRS with its height system (Lambert-93 + NGF-IGN69 height = EPSG:5698)."""
    vertical = STORAGE_VERTICAL.get(storage_srid)
    if vertical is None:
        return crs_for(storage_srid)
    return geodesy.compound(crs_for(storage_srid), crs_for(vertical))


def storage_vertical_name(storage_srid: int = STORAGE_SRID) -> str | None:
    return vertical_datum_name(STORAGE_VERTICAL[storage_srid]) if storage_srid in STORAGE_VERTICAL else None


def axis_is_northing_first(srid: SRID) -> bool:
    """True when the CRS's official axis order puts latitude/northing first (EPSG:4326 in a GML URN)."""
    axes = crs_for(srid).axis_info
    return bool(axes) and axes[0].direction.lower() in ("north", "south")


def operation(src: SRID | CRS, dst: SRID | CRS, *, file: str | None = None) -> geodesy.Operation:
    """twin.geodesy's operation, its refusal turned into a CRSError that names the file."""
    try:
        return geodesy.operation(crs_for(src), crs_for(dst))
    except geodesy.GeodesyError as exc:
        raise CRSError(exc.message, file=file, advice=exc.advice) from None


def check_area_of_use(
    srid: SRID,
    bounds: Sequence[float],
    *,
    file: str | None = None,
    feature_id: str | None = None,
) -> None:
    """Raise CRSError when an extent (minx, miny, maxx, maxy in `srid` units) lies outside the CRS's area of use.

    This is how longitude/latitude read as metres, or metres declared as degrees, shows up.
    """
    minx, miny, maxx, maxy = bounds[:4]
    crs = geodesy.horizontal(crs_for(srid))
    area = crs_for(srid).area_of_use or crs.area_of_use
    if area is None:
        return
    if crs.is_geographic:
        corners = [(minx, miny), (maxx, maxy)]
    else:
        # Only to locate the extent on the map: a projection's own inverse, no datum change.
        lon, lat = geodesy.operation(crs, crs.geodetic_crs, max_error_m=math.inf, record=False).transform(
            [minx, minx, maxx, maxx], [miny, maxy, miny, maxy]
        )
        corners = list(zip(lon.tolist(), lat.tolist()))
    ok = all(
        math.isfinite(lon)
        and math.isfinite(lat)
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
            f"EPSG:{srid} ({crs_for(srid).name}: {area.name}){hint}",
            file=file,
            feature_id=feature_id,
            advice="declare the CRS the coordinates really are in (e.g. EPSG:4326 for degrees) or pass --srid",
        )


def transform_xy(
    xs: Iterable[float], ys: Iterable[float], src: SRID, dst: SRID, *, file: str | None = None
) -> tuple[list[float], list[float]]:
    """Transform planimetric coordinates from src to dst (x = easting/longitude first)."""
    xs, ys = list(xs), list(ys)
    src_h, dst_h = geodesy.horizontal(crs_for(src)), geodesy.horizontal(crs_for(dst))
    if src_h == dst_h:
        return xs, ys
    out_x, out_y = operation(src_h, dst_h, file=file).transform(xs, ys)
    _check_finite(out_x, out_y, src, dst, file)
    return out_x.tolist(), out_y.tolist()


def to_storage(
    xs, ys, zs, src: SRID, storage_srid: int = STORAGE_SRID, *, z_unit_m: float | None = None, file: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y (storage CRS metres) and orthometric heights (m, storage height system) of source coordinates.

    src: the source CRS; a compound one brings its heights to the storage height system through PROJ
    (RD New + NAP → Lambert-93 + NGF-IGN69: 0.55 m stated). z_unit_m: metres per z unit when the file states
    a unit its CRS does not (a LAS in feet over a vertical CRS in metres). A 2D or ellipsoidal source keeps
    its heights here (gis_sync.heights handles ellipsoidal ones; the run notes what was assumed).
    """
    x, y, z = (np.asarray(a, float) for a in (xs, ys, zs))
    crs = crs_for(src)
    vertical = geodesy.vertical(crs)
    unit = geodesy.vertical_unit_m(crs)
    if z_unit_m is not None and not math.isclose(z_unit_m, unit, rel_tol=1e-9):
        # The file's unit differs from its vertical CRS's: bring z to the CRS's unit first.
        z = z * (z_unit_m / unit)
    if vertical is None:
        if z_unit_m is not None and z_unit_m != 1.0:
            z = z * z_unit_m
        if not (crs.is_geographic or crs.is_geocentric):
            geodesy.note(
                f"{os.path.basename(file) if file else 'the source'}: {crs.name} states no height "
                f"system; heights taken as {storage_vertical_name(storage_srid) or 'the storage heights'}"
            )
        x, y = (np.asarray(a, float) for a in transform_xy(x, y, src, storage_srid, file=file))
        return x, y, z
    target = storage_crs(storage_srid)
    op = operation(crs, target, file=file)
    x, y, z = op.transform(x, y, z)
    _check_finite(x, y, src, storage_srid, file)
    return x, y, z


def heights_moved_in_session(src: SRID, storage_srid: int = STORAGE_SRID) -> bool:
    """Whether the current sync session moved heights from src's height system to the storage one."""
    session = geodesy.current_session()
    if session is None or geodesy.vertical(crs_for(src)) is None:
        return False
    source, target = geodesy.label(crs_for(src)), geodesy.label(storage_crs(storage_srid))
    return any(op.source == source and op.target == target for op in session.operations)


def transform_coords(
    coords: Sequence[Sequence[float]], src: SRID, dst: SRID, *, file: str | None = None
) -> list[tuple[float, ...]]:
    """Transform (x, y[, z]) tuples to dst; z follows the source's height system when it states one
    (see to_storage), and is kept as delivered otherwise."""
    if not coords:
        return []
    has_z = all(len(c) > 2 and c[2] is not None for c in coords)
    if has_z and geodesy.vertical(crs_for(src)) is not None and isinstance(dst, int) and dst in STORAGE_VERTICAL:
        x, y, z = to_storage(
            [c[0] for c in coords], [c[1] for c in coords], [c[2] for c in coords], src, dst, file=file
        )
        return [(float(a), float(b), float(h), *c[3:]) for a, b, h, c in zip(x, y, z, coords)]
    xs, ys = transform_xy([c[0] for c in coords], [c[1] for c in coords], src, dst, file=file)
    return [(x, y, *c[2:]) for x, y, c in zip(xs, ys, coords)]


def _check_finite(xs, ys, src: SRID, dst: SRID, file: str | None) -> None:
    if not (np.isfinite(np.asarray(xs, float)).all() and np.isfinite(np.asarray(ys, float)).all()):
        raise CRSError(
            f"coordinates from EPSG:{src} cannot be placed in EPSG:{dst}: outside the area PROJ's operation covers",
            file=file,
            advice="check the file's CRS; data far from the storage CRS's area cannot be stored",
        )


def lonlat_to(srid: SRID, lon: float, lat: float) -> tuple[float, float]:
    """Project a WGS84 longitude/latitude (degrees) to srid's horizontal CRS."""
    x, y = operation(4326, geodesy.horizontal(crs_for(srid))).transform(lon, lat)
    return float(x), float(y)


def grid_convergence_deg(srid: SRID, lon: float, lat: float) -> float:
    """Meridian convergence (degrees) of a projected CRS at a point: the angle between grid and true north."""
    crs = geodesy.horizontal(crs_for(srid))
    if crs.is_geographic:
        return 0.0
    return float(Proj(crs).get_factors(lon, lat).meridian_convergence)
