"""Point-of-interest records → twin.PointOfInterest, z = ground + height above ground (orthometric), synced by id."""

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
from twin.models import PointOfInterest, SourcedModel

GROUND_FIELDS = ("ground_altitude_ngf", "ground_z", "altitude_sol", "z_sol")
HEIGHT_FIELDS = ("height_above_ground", "target_height", "hauteur")
DESCRIPTION_FIELDS = ("description", "description_fr", "desc")


def write(records: list[PoiRecord], ctx: WriteContext) -> WriteResult:
    """Points of interest keyed by (source key, source id) with a content hash: a second delivery creates, updates
    and deletes exactly what changed. Their slug comes from the name (circuits and routes name them)."""
    result = WriteResult()
    soft: Counter = Counter()
    existing = {p.source_id: p for p in PointOfInterest.objects.filter(source_key=ctx.source_key)}
    delivered = {rec.source_id for rec in records}
    taken = set(PointOfInterest.objects.exclude(source_key=ctx.source_key).values_list("slug", flat=True))
    # Rows of this source under an id no longer delivered, by slug: adopted by a delivered point of the same name
    # (points imported before source ids were kept, or an id scheme that changed), so circuits keep their stops.
    orphans = {p.slug: p for sid, p in existing.items() if sid not in delivered}
    seen_ids: set[str] = set()
    seen_slugs: set[str] = set()
    planned: list[tuple[PoiRecord, str, dict, str, object]] = []
    for rec in records:
        if not rec.name:
            raise FieldValueError(
                "a point of interest needs a name",
                feature_id=rec.source_id,
                field="name",
                advice="fill the name: circuits and the viewer refer to it",
            )
        if rec.source_id in seen_ids:
            raise FieldValueError(
                f"two points of interest have the source id {rec.source_id!r}",
                feature_id=rec.source_id,
                field="source id",
                advice="source ids must be unique and stable between deliveries; map another id "
                "field (options mapping.source_id) or fix the duplicates",
            )
        seen_ids.add(rec.source_id)
        slug = slugify(rec.name)[:50] or slugify(rec.source_id)[:50]
        if slug in taken:
            slug = slugify(f"{rec.name} {ctx.source_key}")[:50]
        if slug in seen_slugs:
            raise FieldValueError(
                f"two points of interest are named {rec.name!r}",
                feature_id=rec.source_id,
                field="name",
                advice="give each point of interest its own name",
            )
        seen_slugs.add(slug)
        x, y = _xy(rec.geometry_wkt)
        result.outside += outside((x, y, x, y), settings.JUMEAU_EXTENT)
        z = _ground(rec, ctx, x, y, soft) + _first_number(rec.attributes, HEIGHT_FIELDS, 0.0)
        values = {
            "name": rec.name[:200],
            "category": (rec.category or "")[:80],
            "slug": slug,
            "description": next((str(rec.attributes[k]) for k in DESCRIPTION_FIELDS if rec.attributes.get(k)), ""),
        }
        # Rounded to 0.1 mm: a terrain resampled to the same heights must not count as a change.
        digest = SourcedModel.hash_content(values, round(x, 4), round(y, 4), round(z, 4))
        old = existing.get(rec.source_id) or orphans.pop(slug, None)
        planned.append((rec, digest, values, Point(x, y, z, srid=rec.srid), old))

    kept = {old.pk for *_, old in planned if old is not None}
    gone = [p for p in existing.values() if p.pk not in kept]
    for poi in gone:  # first, so that a new point may take the slug of a removed one
        try:
            poi.delete()
        except ProtectedError:
            raise WriteError(
                f"point of interest {poi.name!r} is gone from the delivery but a walking circuit stops there",
                feature_id=poi.source_id or poi.slug,
                field="name",
                advice="remove it from the circuits (or sync the circuits first), then sync again",
            ) from None
    result.deleted = len(gone)
    for rec, digest, values, geom, old in planned:
        if old is None:
            PointOfInterest.objects.create(
                source_key=ctx.source_key, source_id=rec.source_id, content_hash=digest, geom=geom, **values
            )
            result.created += 1
        elif old.content_hash == digest and old.source_id == rec.source_id:
            result.unchanged += 1
        else:
            for key, value in values.items():
                setattr(old, key, value)
            old.geom, old.source_id, old.content_hash = geom, rec.source_id, digest
            old.save()
            result.updated += 1
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


def _xy(wkt: str) -> tuple[float, float]:
    nums = wkt.split("(", 1)[1].rstrip(") ").split()
    return float(nums[0]), float(nums[1])
