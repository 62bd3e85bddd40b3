"""Circuit records → twin.WalkingCircuit and its CircuitStops, published, stops found by landmark name."""
from __future__ import annotations

from django.utils.text import slugify

from gis_sync.errors import FieldValueError
from gis_sync.records import CircuitRecord
from gis_sync.writers.base import WriteContext, WriteResult


def write(records: list[CircuitRecord], ctx: WriteContext) -> WriteResult:
    from twin.models import CircuitStop, PointOfInterest, WalkingCircuit

    by_name = {p.name.casefold(): p for p in PointOfInterest.objects.all()}
    result = WriteResult()
    for rec in records:
        stops = []
        for order, (landmark, text) in enumerate(rec.stops, start=1):
            poi = by_name.get(landmark.casefold())
            if poi is None:
                raise FieldValueError(f"stop {order} names {landmark!r}, which is no point of interest",
                                      feature_id=rec.source_id, field="stops.landmark",
                                      advice="import the landmarks first, or fix the name to match one exactly")
            stops.append((order, poi.pk, text))
        slug = slugify(rec.source_id)[:50]
        circuit = WalkingCircuit.objects.filter(slug=slug).first()
        if circuit is None:
            circuit = WalkingCircuit.objects.create(slug=slug, name=rec.name[:200], description=rec.description,
                                                    published=True)
            result.created += 1
        else:
            current = [(s.order, s.poi_id, s.text) for s in circuit.stops.order_by("order")]
            if (circuit.name, circuit.description, current, circuit.published) == \
                    (rec.name[:200], rec.description, stops, True):
                result.unchanged += 1
                continue
            circuit.name, circuit.description, circuit.published = rec.name[:200], rec.description, True
            circuit.save()
            circuit.stops.all().delete()
            result.updated += 1
        CircuitStop.objects.bulk_create(
            [CircuitStop(circuit=circuit, order=o, poi_id=pk, text=t) for o, pk, t in stops])
    # Circuits of other sources (curated in the admin) are not this delivery's to delete.
    return result
