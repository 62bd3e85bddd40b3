"""Circuit records → twin.WalkingCircuit and its CircuitStops, keyed by source id, stops found by landmark name."""

from __future__ import annotations

from django.utils.text import slugify

from gis_sync.errors import FieldValueError
from gis_sync.records import CircuitRecord
from gis_sync.writers.base import WriteContext, WriteResult
from twin.models import CircuitStop, PointOfInterest, SourcedModel, WalkingCircuit


def write(records: list[CircuitRecord], ctx: WriteContext) -> WriteResult:
    """Circuits keyed by (source key, source id) with a content hash: a second delivery creates, updates and
    deletes exactly the circuits that changed. A new circuit is published; an unchanged one keeps the published
    flag an editor may have set since."""
    by_name = {p.name.casefold(): p for p in PointOfInterest.objects.all()}
    existing = {c.source_id: c for c in WalkingCircuit.objects.filter(source_key=ctx.source_key)}
    result = WriteResult()
    seen: set[str] = set()
    kept: set[int] = set()
    for rec in records:
        if rec.source_id in seen:
            raise FieldValueError(
                f"two circuits have the id {rec.source_id!r}",
                feature_id=rec.source_id,
                field="id",
                advice="give each circuit its own id, stable between deliveries",
            )
        seen.add(rec.source_id)
        stops = []
        for order, (landmark, text) in enumerate(rec.stops, start=1):
            poi = by_name.get(landmark.casefold())
            if poi is None:
                raise FieldValueError(
                    f"stop {order} names {landmark!r}, which is no point of interest",
                    feature_id=rec.source_id,
                    field="stops.landmark",
                    advice="import the landmarks first, or fix the name to match one exactly",
                )
            stops.append((order, poi.pk, text))
        digest = SourcedModel.hash_content(rec.name[:200], rec.description, stops)
        circuit = existing.get(rec.source_id) or _adoptable(rec)
        if circuit is None:
            circuit = WalkingCircuit.objects.create(
                slug=_free_slug(rec, ctx),
                name=rec.name[:200],
                description=rec.description,
                published=True,
                source_key=ctx.source_key,
                source_id=rec.source_id,
                content_hash=digest,
            )
            result.created += 1
        elif circuit.content_hash == digest and circuit.source_key == ctx.source_key:
            kept.add(circuit.pk)
            result.unchanged += 1
            continue
        else:
            circuit.name, circuit.description, circuit.content_hash = rec.name[:200], rec.description, digest
            if circuit.source_key != ctx.source_key:  # adopted: an import from before circuits kept their source
                circuit.published = True
            circuit.source_key, circuit.source_id = ctx.source_key, rec.source_id
            circuit.save()
            circuit.stops.all().delete()
            result.updated += 1
        kept.add(circuit.pk)
        CircuitStop.objects.bulk_create(
            [CircuitStop(circuit=circuit, order=o, poi_id=pk, text=t) for o, pk, t in stops]
        )
    # Only this source's circuits can be gone from it: those curated in the admin (no source) stay.
    gone = [c for c in existing.values() if c.pk not in kept]
    for circuit in gone:
        circuit.delete()
    result.deleted = len(gone)
    return result


def _adoptable(rec: CircuitRecord):
    """A circuit written by an import from before circuits kept their source: no source key, slug of this id."""
    return WalkingCircuit.objects.filter(slug=slugify(rec.source_id)[:50], source_key="", source_id="").first()


def _free_slug(rec: CircuitRecord, ctx: WriteContext) -> str:
    slug = slugify(rec.source_id)[:50] or slugify(rec.name)[:50]
    if WalkingCircuit.objects.filter(slug=slug).exists():
        slug = slugify(f"{rec.source_id} {ctx.source_key}")[:50]
    return slug
