"""Point-of-interest records → twin.PointOfInterest, z = ground + height above ground (orthometric)."""
from __future__ import annotations

import math
from collections import Counter

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db.models import ProtectedError
from django.utils.text import slugify

from gis_sync.errors import FieldValueError, WriteError
from gis_sync.records import PoiRecord
from gis_sync.writers.base import WriteContext, WriteResult, outside

GROUND_FIELDS = ("ground_altitude_ngf", "ground_z", "altitude_sol", "z_sol")
HEIGHT_FIELDS = ("height_above_ground", "target_height", "hauteur")
DESCRIPTION_FIELDS = ("description", "description_fr", "desc")


def write(records: list[PoiRecord], ctx: WriteContext) -> WriteResult:
    """Points of interest are keyed by the slug of their name within the source (circuits name them)."""
    from twin.models import PointOfInterest

    result = WriteResult()
    soft: Counter = Counter()
    existing = {p.slug: p for p in PointOfInterest.objects.filter(source_key=ctx.source_key)}
    taken = set(PointOfInterest.objects.exclude(source_key=ctx.source_key).values_list("slug", flat=True))
    seen: set[str] = set()
    for rec in records:
        if not rec.name:
            raise FieldValueError("a point of interest needs a name", feature_id=rec.source_id, field="name",
                                  advice="fill the name: circuits and the viewer refer to it")
        slug = slugify(rec.name)[:50] or slugify(rec.source_id)[:50]
        if slug in taken:
            slug = slugify(f"{rec.name} {ctx.source_key}")[:50]
        if slug in seen:
            raise FieldValueError(f"two points of interest are named {rec.name!r}", feature_id=rec.source_id,
                                  field="name", advice="give each point of interest its own name")
        seen.add(slug)
        x, y = _xy(rec.geometry_wkt)
        result.outside += outside((x, y, x, y), settings.JUMEAU_EXTENT)
        z = _ground(rec, ctx, x, y, soft) + _first_number(rec.attributes, HEIGHT_FIELDS, 0.0)
        values = {
            "name": rec.name[:200], "category": (rec.category or "")[:80],
            "description": next((str(rec.attributes[k]) for k in DESCRIPTION_FIELDS if rec.attributes.get(k)), ""),
            "geom": Point(x, y, z, srid=rec.srid), "source_key": ctx.source_key,
        }
        old = existing.get(slug)
        if old is None:
            PointOfInterest.objects.create(slug=slug, **values)
            result.created += 1
        elif _same(old, values):
            result.unchanged += 1
        else:
            for key, value in values.items():
                setattr(old, key, value)
            old.save()
            result.updated += 1
    gone = [p for slug, p in existing.items() if slug not in seen]
    for poi in gone:
        try:
            poi.delete()
        except ProtectedError:
            raise WriteError(f"point of interest {poi.name!r} is gone from the delivery but a walking circuit "
                             "stops there", feature_id=poi.slug, field="name",
                             advice="remove it from the circuits (or sync the circuits first), then sync again") \
                from None
    result.deleted = len(gone)
    for message, count in soft.items():
        ctx.warn(f"{message} ({count} points of interest)")
    return result


def _ground(rec: PoiRecord, ctx: WriteContext, x: float, y: float, soft: Counter) -> float:
    given = _first_number(rec.attributes, GROUND_FIELDS, None)
    if given is not None:
        return given
    if ctx.terrain_z is not None:
        z = float(ctx.terrain_z([x], [y])[0])
        if math.isfinite(z):
            return z
    soft["ground height unknown (not given, no terrain under it): 0 m used"] += 1
    return 0.0


def _first_number(attrs: dict, names: tuple[str, ...], default):
    for name in names:
        value = attrs.get(name)
        if isinstance(value, (int, float)) and math.isfinite(value):
            return float(value)
    return default


def _same(poi, values: dict) -> bool:
    g = poi.geom
    new = values["geom"]
    return (poi.name, poi.category, poi.description) == (values["name"], values["category"], values["description"]) \
        and max(abs(g.x - new.x), abs(g.y - new.y), abs((g.z or 0.0) - new.z)) < 1e-4


def _xy(wkt: str) -> tuple[float, float]:
    nums = wkt.split("(", 1)[1].rstrip(") ").split()
    return float(nums[0]), float(nums[1])
