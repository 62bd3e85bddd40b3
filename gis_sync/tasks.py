"""The sync of one source as a Celery job: locked per source, retried with backoff when a download fails."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from gis_sync.errors import DownloadError
from gis_sync.models import Source, SyncRun
from twin.jobs import exclusive, reporter
from twin.signals import made_stale


@shared_task(
    bind=True,
    name="gis_sync.sync_source",
    autoretry_for=(DownloadError,),
    max_retries=4,
    retry_backoff=settings.JUMEAU_JOB_RETRY_BACKOFF_S,
    retry_backoff_max=3600,
    retry_jitter=False,
    soft_time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S,
    time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S + 60,
)
def sync_source(self, key: str, allow_approximate_m: float | None = None) -> dict:
    """Sync the source `key`, then queue the rebuilds of what it made stale (tile layers and derived products); the
    result holds the run's counts and those jobs. A failed sync raises its SyncError: nothing is queued, the
    published tiles stay as they were."""
    source = Source.objects.filter(key=key).first()
    if source is None:
        raise LookupError(f"there is no source {key!r} any more (deleted in the admin?); remove its schedule")
    progress = reporter(self)
    with exclusive(self, f"sync:{key}"):
        run = source.sync(progress=progress, allow_approximate_m=allow_approximate_m)
    return {
        "source": key,
        "run": run.pk,
        "status": run.status,
        "created": run.created,
        "updated": run.updated,
        "deleted": run.deleted,
        "unchanged": run.unchanged,
        "rejected": run.rejected,
        "warnings": len(run.warnings),
        "dirty_layers": list(run.dirty_layers),
        "derived": list(run.derived),
        "seconds": run.seconds,
        "queued": queue_rebuilds(run),
    }


def queue_rebuilds(run: SyncRun) -> dict[str, str]:
    """Tell whoever keeps tiles and derived products (the project package wires their jobs) what the run made
    stale; returns the jobs they queued, {job: task id}."""
    queued: dict[str, str] = {}
    stale = made_stale.send(sender=SyncRun, tile_layers=list(run.dirty_layers), derived=list(run.derived))
    for _receiver, jobs in stale:
        queued.update(jobs or {})
    return queued
