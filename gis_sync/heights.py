"""Heights of a source versus the twin's orthometric storage: refuse what would silently drop the geoid."""
from __future__ import annotations

from typing import Any

from gis_sync import crs as crs_mod
from gis_sync.errors import CRSError


def carries_z(records: list[Any]) -> bool:
    """Whether the records bring heights from the source's coordinates (not from attributes or the terrain)."""
    for rec in records:
        kind = rec.record_type
        if kind == "segment" and any(len(c) > 2 for c in rec.coords[:1]):
            return True
        if kind == "node" and rec.z is not None and rec.z_kind in ("unknown", None):
            return True
        if kind == "street" and " Z " in f" {rec.geometry_wkt.split('(', 1)[0]} ":
            return True
        if kind in ("pointcloud",):
            return True
        if kind == "building" and rec.lod2_surfaces:
            return True
    return False


def check_heights(source_srid: int | None, records: list[Any], *, file: str) -> str | None:
    """Raise CRSError when the source's heights are ellipsoidal (a geographic 3D or geocentric CRS): storing
    them as orthometric would drop the geoid (~50 m near Antibes). Returns a warning for an orthometric
    datum other than the storage's, whose heights are kept as delivered."""
    if not source_srid or not carries_z(records):
        return None
    crs = crs_mod.crs_for(source_srid)
    # A geographic CRS without a vertical part measures heights on its ellipsoid (RFC 7946 GeoJSON, EPSG:4979).
    ellipsoidal = crs.is_geocentric or (crs.is_geographic and not crs.is_compound)
    if ellipsoidal:
        raise CRSError(
            f"the heights are ellipsoidal (EPSG:{source_srid}, {crs.name}); the twin stores orthometric heights "
            "and turning one into the other needs a geoid grid this import does not apply",
            file=file, field="z",
            advice="convert the heights to NGF-IGN69 with the official grid (e.g. RAF20 with cs2cs or "
            "gdalwarp) and deliver the file again, or deliver it in a compound CRS such as EPSG:2154+5720",
        )
    datum = crs_mod.vertical_datum_name(source_srid)
    if datum and "NGF" not in datum.upper() and "IGN69" not in datum.upper():
        return (f"heights are in {datum}: kept as delivered (no grid links it to NGF-IGN69; "
                "expect a difference of some decimetres)")
    return None
