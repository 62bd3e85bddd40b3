"""The transit schedule (GTFS) import as a Celery job: one at a time, a failed download retried with backoff."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from realtime.gtfs_import import GTFSDownloadError, import_feed
from twin.jobs import exclusive, reporter
from twin.models import StreetSegment


@shared_task(
    bind=True,
    name="realtime.import_gtfs",
    autoretry_for=(GTFSDownloadError,),
    max_retries=4,
    retry_backoff=settings.JUMEAU_JOB_RETRY_BACKOFF_S,
    retry_backoff_max=3600,
    retry_jitter=False,
    soft_time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S,
    time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S + 60,
)
def import_gtfs(self, source: str, force: bool = False) -> dict:
    """Import the GTFS zip, folder or URL `source` and make it the active feed (the old one stays on failure)."""
    with exclusive(self, "realtime:gtfs"):
        report = import_feed(source, progress=reporter(self), force=force)
    return {
        "feed": report.feed_id,
        "unchanged": report.unchanged,
        "counts": report.counts,
        "sha256": report.checksum,
        "seconds": round(report.seconds, 2),
    }


@shared_task(
    bind=True,
    name="realtime.compute_shade",
    soft_time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S,
    time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S + 60,
)
def compute_shade(self, force: bool = False) -> dict:
    """The share in shade of every street edge per 15-minute slot, today and tomorrow (realtime/shade_store.py);
    queued after the surface model when buildings or terrain changed, on its own when only trees changed, and each
    night by beat to roll the days."""
    # Here, not at the top: the shade sweep loads pvlib and pandas (viewshed.sun), 0.36 s measured with
    # `python -X importtime`, which every worker would otherwise pay at start for a nightly job.
    from realtime.shade_store import refresh_shade

    if not StreetSegment.objects.exists():  # a city that imported no street yet has no walk to shade
        return {"status": "no streets", "edges": 0, "slots": 0, "seconds": 0.0}
    with exclusive(self, "realtime:shade"):
        return refresh_shade(progress=reporter(self), force=force)
