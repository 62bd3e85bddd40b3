"""Tree records → twin.Tree: the foot on the ground (given, else the terrain), the crown in metres above it."""

from __future__ import annotations

import math
from collections import Counter

import shapely
from django.conf import settings
from django.contrib.gis.geos import Point

from gis_sync.records import TreeRecord
from gis_sync.writers.base import Row, WriteContext, WriteResult, sync_rows
from twin import derived
from twin.models import Tree

# Trees have no tile layer, so no change-log entry (a tile build reads every change-log layer as one to build): a run
# that changed any makes the shade stale, whose job compares the trees a table was cast with to the current ones
# (Tree.objects.fingerprint).
LAYER = None


def write(records: list[TreeRecord], ctx: WriteContext) -> WriteResult:
    soft: Counter = Counter()
    rows = [_row(r, ctx, soft) for r in records]
    for message, count in soft.items():
        ctx.warn(f"{message} ({count} trees)")
    return sync_rows(
        Tree,
        rows,
        ctx,
        geom_field="location",
        layer=LAYER,
        what="trees",
        extent=settings.JUMEAU_EXTENT,
        derived=(derived.SHADE,),
    )


def _row(rec: TreeRecord, ctx: WriteContext, soft: Counter) -> Row:
    point = shapely.from_wkt(rec.geometry_wkt)
    x, y = float(point.x), float(point.y)
    ground = rec.ground_z
    if ground is None and ctx.terrain_z is not None:
        z = float(ctx.terrain_z([x], [y])[0])
        ground = z if math.isfinite(z) else None
    if ground is None:
        soft["ground height unknown (not given, no terrain under it): 0 m used"] += 1
        ground = 0.0
    values = {
        "location": Point(x, y, srid=rec.srid),
        "ground_z": ground,
        "height_m": rec.height_m,
        "crown_base_m": rec.crown_base_m,
        "crown_radius_m": rec.crown_radius_m,
        "species": (rec.species or "")[:200],
        "attributes": rec.attributes,
    }
    # Rounded to 0.1 mm: a terrain resampled to the same heights must not count as a change.
    digest = Tree.hash_content(
        round(x, 4),
        round(y, 4),
        round(ground, 4),
        rec.height_m,
        rec.crown_base_m,
        rec.crown_radius_m,
        values["species"],
    )
    r = rec.crown_radius_m
    return Row(rec.source_id, digest, values, (x - r, y - r, x + r, y + r))
