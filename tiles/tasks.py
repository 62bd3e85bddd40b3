"""A layer's tile build as a Celery job: one build of a layer at a time, on whichever machine."""
from __future__ import annotations

from celery import shared_task
from django.conf import settings

from twin.jobs import exclusive, reporter


@shared_task(bind=True, name="tiles.build_layer", soft_time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S,
          time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S + 60)
def build_layer(self, layer: str) -> dict:
    """Build and publish `layer` (its TileBuild records the attempt); a failure leaves the previous build
    serving and raises. A build queued while another of the same layer runs waits for it, then runs: it sees
    the changes that arrived meanwhile."""
    from tiles.build import build_layer as build

    with exclusive(self, f"tiles:{layer}"):
        record = build(layer, progress=reporter(self))
    return {"layer": layer, "build": record.pk, "version": record.version, "status": record.status,
            "features": record.features, "tiles": record.tiles, "tiles_written": record.tiles_rewritten,
            "bytes": record.bytes, "seconds": round(record.seconds, 2)}
