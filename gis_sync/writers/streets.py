"""Street records → twin.StreetSegment: 3D lines (Z, else Z_INI/Z_FIN, else the terrain) and a walking kind."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import LineString

from gis_sync.errors import GeometryError
from gis_sync.records import StreetRecord
from gis_sync.writers.base import Row, WriteContext, WriteResult, sync_rows
from twin import derived
from twin.models import StreetSegment

# Streets have no tile layer of their own: they feed the pedestrian graph, not the tiler. The shade table is kept
# per edge of that graph and used only while it fits it, so a change of streets makes the shade stale.
LAYER = None


def kind_of(nature: str | None) -> str:
    """BD TOPO NATURE → the pedestrian graph's kind: stairs, footpath or street."""
    text = (nature or "").lower()
    if "escalier" in text:
        return "stairs"
    if "chemin" in text or "sentier" in text:
        return "footpath"
    return "street"


def write(records: list[StreetRecord], ctx: WriteContext) -> WriteResult:
    soft: Counter = Counter()
    rows = [_row(r, ctx, soft) for r in records]
    for message, count in soft.items():
        ctx.warn(f"{message} ({count} street segments)")
    return sync_rows(
        StreetSegment,
        rows,
        ctx,
        geom_field="geom",
        layer=LAYER,
        what="street segments",
        extent=settings.JUMEAU_EXTENT,
        derived=(derived.SHADE,),
    )


def _row(rec: StreetRecord, ctx: WriteContext, soft: Counter) -> Row:
    geom = shapely.from_wkt(rec.geometry_wkt)
    if geom.geom_type == "MultiLineString":
        if len(geom.geoms) != 1:
            geom = shapely.line_merge(geom)
        if geom.geom_type == "MultiLineString":
            if len(geom.geoms) != 1:
                raise GeometryError(
                    "a street segment must be one line; this one has several parts",
                    feature_id=rec.source_id,
                    field="geometry",
                    advice="split it into one feature per part",
                )
            geom = geom.geoms[0]
    coords = shapely.get_coordinates(geom, include_z=True)
    if not geom.has_z or not np.isfinite(coords[:, 2]).all():
        coords[:, 2] = _heights(rec, coords, ctx, soft)
    xyz = [tuple(map(float, c)) for c in coords]
    values = {
        "name": (rec.name or "")[:200],
        "kind": kind_of(rec.nature),
        "geom": LineString(xyz, srid=rec.srid),
        "attributes": rec.attributes,
    }
    digest = StreetSegment.hash_content(xyz, values["name"], values["kind"], rec.attributes)
    return Row(
        rec.source_id, digest, values, (coords[:, 0].min(), coords[:, 1].min(), coords[:, 0].max(), coords[:, 1].max())
    )


def _heights(rec: StreetRecord, coords: np.ndarray, ctx: WriteContext, soft: Counter) -> np.ndarray:
    """Z_INI/Z_FIN interpolated along the line, else the terrain, else 0 with a warning."""
    z_ini, z_fin = rec.attributes.get("Z_INI"), rec.attributes.get("Z_FIN")
    if _number(z_ini) and _number(z_fin):
        steps = np.r_[0.0, np.cumsum(np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1])))]
        t = steps / steps[-1] if steps[-1] > 0 else np.zeros_like(steps)
        return float(z_ini) + t * (float(z_fin) - float(z_ini))
    if ctx.terrain_z is not None:
        zs = np.asarray(ctx.terrain_z(coords[:, 0], coords[:, 1]), dtype=float)
        if np.isfinite(zs).all():
            return zs
        if np.isfinite(zs).any():
            soft["terrain missing under part of the line: nearest known height used"] += 1
            known = np.flatnonzero(np.isfinite(zs))
            return np.interp(np.arange(len(zs)), known, zs[known])
    soft["no height (no Z, no Z_INI/Z_FIN, no terrain): drawn at 0 m"] += 1
    return np.zeros(len(coords))


def _number(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
