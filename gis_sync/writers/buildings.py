"""Building records → twin.Building: ground and roof heights, storeys, use, year, LOD2 surfaces."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry

from gis_sync.errors import GeometryError
from gis_sync.records import BuildingRecord
from gis_sync.writers.base import Row, WriteContext, WriteResult, sync_rows
from twin import derived
from twin.models import Building

LAYER = "buildings"
STOREY_HEIGHT_M = 3.0
# A building whose source knows nothing of its height still has to stand: one storey, flagged 'default'.
DEFAULT_HEIGHT_M = 3.0
NAME_FIELDS = ("name", "nom", "NOM", "toponyme", "TOPONYME")


def write(records: list[BuildingRecord], ctx: WriteContext) -> WriteResult:
    soft: Counter = Counter()
    rows = [_row(r, ctx, soft) for r in records]
    for message, count in soft.items():
        ctx.warn(f"{message} ({count} buildings)")
    return sync_rows(
        Building,
        rows,
        ctx,
        geom_field="footprint",
        layer=LAYER,
        what="buildings",
        extent=settings.JUMEAU_EXTENT,
        derived=(derived.SURFACE,),
    )


def _row(rec: BuildingRecord, ctx: WriteContext, soft: Counter) -> Row:
    # Shapely here, GEOS objects only for rows that get written: Django's GEOS calls cost ~0.4 ms a building.
    footprint = shapely.from_wkt(rec.footprint_wkt)
    if footprint.geom_type == "Polygon":
        footprint = shapely.MultiPolygon([footprint])
    elif footprint.geom_type != "MultiPolygon":
        raise GeometryError(
            f"a footprint must be a polygon, got {footprint.geom_type}", feature_id=rec.source_id, field="geometry"
        )
    ground = rec.ground_z
    if ground is None:
        ground = _ground_under(footprint, ctx)
        if ground is None:
            soft["ground height unknown (no Z_MIN_SOL, no terrain under the footprint): 0 m used"] += 1
            ground = 0.0
    if rec.roof_z is not None:
        roof, source = rec.roof_z, "lod2" if rec.lod2_surfaces else "field"
    elif rec.height is not None:
        roof, source = ground + rec.height, "storeys" if rec.height_estimated else "field"
    elif rec.storeys:
        roof, source = ground + rec.storeys * STOREY_HEIGHT_M, "storeys"
    else:
        roof, source = ground + DEFAULT_HEIGHT_M, "default"
        soft[f"no height, roof altitude nor storeys: {DEFAULT_HEIGHT_M:g} m assumed (height_source 'default')"] += 1
    lod2_wkt = _lod2_wkt(rec.lod2_surfaces) if rec.lod2_surfaces else None
    name = next((str(rec.attributes[k]) for k in NAME_FIELDS if rec.attributes.get(k)), "")
    values = {
        "ground_z": float(ground),
        "roof_z": float(roof),
        "storeys": rec.storeys if rec.storeys and rec.storeys > 0 else None,
        "use": (rec.use or "")[:80],
        "year": rec.year if rec.year and 0 < rec.year < 32767 else None,
        "name": name[:200],
        "height_source": source,
        "attributes": rec.attributes,
    }
    digest = Building.hash_content(
        rec.footprint_wkt,
        values["ground_z"],
        values["roof_z"],
        values["storeys"],
        values["use"],
        values["year"],
        values["name"],
        lod2_wkt,
        source,
        rec.attributes,
    )

    def with_geometries() -> dict:
        return {
            **values,
            "footprint": GEOSGeometry(memoryview(footprint.wkb), srid=rec.srid),
            "lod2": GEOSGeometry(lod2_wkt, srid=rec.srid) if lod2_wkt else None,
        }

    return Row(rec.source_id, digest, with_geometries, tuple(footprint.bounds))


def _ground_under(footprint: shapely.MultiPolygon, ctx: WriteContext) -> float | None:
    """Lowest terrain height under the footprint's outline (orthometric m): where the building meets the ground."""
    if ctx.terrain_z is None:
        return None
    pts = shapely.get_coordinates(shapely.get_exterior_ring(list(footprint.geoms)))
    zs = np.asarray(ctx.terrain_z(pts[:, 0], pts[:, 1]), dtype=float)
    zs = zs[np.isfinite(zs)]
    return float(zs.min()) if zs.size else None


def _lod2_wkt(surfaces: list[dict]) -> str | None:
    """LOD2 surfaces ({'type', 'rings': [[(x, y, z), ...], ...]}) as a MULTIPOLYGON Z, rings closed."""
    polys = []
    for surface in surfaces:
        rings = []
        for ring in surface["rings"]:
            pts = [tuple(map(float, p)) for p in ring]
            if len(pts) < 3 or not all(math.isfinite(v) for p in pts for v in p):
                continue
            if pts[0] != pts[-1]:
                pts.append(pts[0])
            if len(pts) < 4:
                continue
            rings.append("(" + ", ".join(f"{x!r} {y!r} {z!r}" for x, y, z in pts) + ")")
        if rings:
            polys.append("(" + ", ".join(rings) + ")")
    return "MULTIPOLYGON Z (" + ", ".join(polys) + ")" if polys else None
