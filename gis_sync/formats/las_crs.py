"""The CRS and height unit a LAS/LAZ header declares: its WKT VLR and its GeoTIFF keys, both read.

LAS 1.4 files may carry an OGC WKT VLR and GeoTIFF keys at once; either may hold only the horizontal part,
and the vertical unit may be stated only by VerticalUnitsGeoKey (US survey feet over NAVD88 is common).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from gis_sync import crs as crs_mod
from twin import geodesy

PROJECTED_CS, GEOGRAPHIC_CS, PROJ_LINEAR_UNITS = 3072, 2048, 3076
VERTICAL_CS, VERTICAL_UNITS = 4096, 4099
USER_DEFINED = 32767
# EPSG linear units (GeoKey values) in metres.
LINEAR_UNITS_M = {9001: 1.0, 9002: 0.3048, 9003: 1200 / 3937, 9030: 1852.0, 9036: 1000.0}
UNIT_NAMES = {9001: "metre", 9002: "foot", 9003: "US survey foot"}


@dataclass
class LasCRS:
    """What a header says: the CRS (EPSG code or 'EPSG:h+v'), metres per z unit, and how it was read."""

    srid: crs_mod.SRID | None = None
    z_unit_m: float | None = None  # None: the file states no height unit
    name: str | None = None
    sources: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_las_crs(header) -> LasCRS:
    """The CRS of a laspy header from its WKT VLR (record 2112) and GeoKeyDirectory (record 34735)."""
    out = LasCRS()
    wkt_crs = _wkt_crs(header, out)
    keys = _geo_keys(header)
    if keys:
        out.sources.append("GeoTIFF keys")
    key_h = _epsg(keys.get(PROJECTED_CS)) or _epsg(keys.get(GEOGRAPHIC_CS))
    key_v = _epsg(keys.get(VERTICAL_CS))
    horizontal = geodesy.horizontal(wkt_crs) if wkt_crs is not None else _crs(key_h, out)
    vertical = geodesy.vertical(wkt_crs) if wkt_crs is not None else None
    if vertical is None and key_v:
        vertical = _crs(key_v, out)
    if horizontal is None:
        return out
    full = geodesy.compound(horizontal, vertical) if vertical is not None else horizontal
    out.srid = crs_mod.code_of(full)
    out.name = full.name
    if out.srid is None:
        out.problems.append(f"the file's CRS ({full.name}) has no EPSG code")
    unit_key = keys.get(VERTICAL_UNITS)
    if unit_key in LINEAR_UNITS_M:
        out.z_unit_m = LINEAR_UNITS_M[unit_key]
    elif unit_key is not None and unit_key != USER_DEFINED:
        out.problems.append(f"VerticalUnitsGeoKey {unit_key} is not a linear unit this reader knows")
    elif vertical is not None:
        out.z_unit_m = geodesy.vertical_unit_m(full)
    return out


def _wkt_crs(header, out: LasCRS) -> CRS | None:
    for vlr in list(header.vlrs) + list(getattr(header, "evlrs", None) or []):
        if getattr(vlr, "record_id", None) == 2112 and hasattr(vlr, "string"):
            text = vlr.string.strip("\x00 \n")
            try:
                crs = CRS.from_wkt(text)
            except ProjCRSError as exc:
                out.problems.append(f"the WKT VLR cannot be parsed ({exc})")
                return None
            out.sources.append("WKT VLR")
            return crs
    return None


def _geo_keys(header) -> dict[int, int]:
    for vlr in header.vlrs:
        if getattr(vlr, "record_id", None) == 34735 and hasattr(vlr, "geo_keys"):
            # Keys stored inline (tiff_tag_location 0) hold their value in value_offset.
            return {k.id: k.value_offset for k in vlr.geo_keys if k.tiff_tag_location == 0}
    return {}


def _epsg(value: int | None) -> int | None:
    return value if value and value not in (0, USER_DEFINED) else None


def _crs(code: int | None, out: LasCRS) -> CRS | None:
    if not code:
        return None
    try:
        return geodesy.crs_from(code)
    except geodesy.GeodesyError:
        out.problems.append(f"GeoTIFF key names EPSG:{code}, which PROJ does not know")
        return None
