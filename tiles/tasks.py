"""A layer's tile build as Celery jobs: one build of a layer at a time, on whichever machines share the tiles folder.

A splittable layer (tiles.split) is built as two chords: its rows scanned in parts, then planned once; its tiles
written in parts, then published once. Any worker runs any part; the layer's lock is held by the build itself
from the first job to the publish (or the abandon), not by one worker.
"""

from __future__ import annotations

from celery import chord, group, shared_task
from django.conf import settings

from tiles import split
from tiles.publish import new_version
from twin.job_lock import JobLocked, acquire, holder, release
from twin.jobs import LOCK_WAIT_MAX_RETRIES, exclusive, lock_wait_s, reporter

TIME_LIMITS = {"soft_time_limit": settings.JUMEAU_JOB_TIME_LIMIT_S, "time_limit": settings.JUMEAU_JOB_TIME_LIMIT_S + 60}


def _queue_of(task) -> dict:
    """A build's parts go to the queue its job came from: tile builds can have workers of their own."""
    queue = (task.request.delivery_info or {}).get("routing_key")
    return {"queue": queue} if queue else {}


def _summary(record) -> dict:
    return {
        "layer": record.layer,
        "build": record.pk,
        "version": record.version,
        "status": record.status,
        "features": record.features,
        "tiles": record.tiles,
        "tiles_written": record.tiles_rewritten,
        "bytes": record.bytes,
        "seconds": round(record.seconds, 2),
    }


@shared_task(bind=True, name="tiles.build_layer", **TIME_LIMITS)
def build_layer(self, layer: str, parts: int | None = None) -> dict:
    """Build and publish `layer` (its TileBuild records the attempt); a failure leaves the previous build
    serving. A build queued while another of the same layer runs waits for it, then runs: it sees the changes
    that arrived meanwhile.

    parts: how many jobs write a splittable layer's tiles (default JUMEAU_TILE_BUILD_PARTS); 1 builds it in this
    job alone. A split build replaces this job with its parts: this job's id ends when the build is published (or
    failed), with the publish job's result."""
    from tiles.build import build_layer as build

    parts = settings.JUMEAU_TILE_BUILD_PARTS if parts is None else int(parts)
    if parts > 1 and split.splittable(layer):
        return _start_split(self, layer, parts)
    with exclusive(self, f"tiles:{layer}"):
        record = build(layer, progress=reporter(self))
    return _summary(record)


def _start_split(task, layer: str, parts: int) -> dict:
    version = new_version()
    key, owner = f"tiles:{layer}", split.lock_owner(layer, version)
    if not acquire(key, owner, settings.JUMEAU_JOB_TIME_LIMIT_S + 600):
        raise task.retry(exc=JobLocked(key, holder(key)), countdown=lock_wait_s(), max_retries=LOCK_WAIT_MAX_RETRIES)
    try:
        ranges = split.start(layer, version, parts)
    except Exception:
        release(key, owner)
        raise
    reporter(task)(f"  {layer}: build {version} split over {len(ranges)} scan jobs")
    queue = _queue_of(task)
    scans = group(scan_part.si(layer, version, i, lo, hi).set(**queue) for i, (lo, hi) in enumerate(ranges))
    then = plan_build.si(layer, version).set(**queue).on_error(abandon_build.s(layer=layer, version=version))
    return task.replace(chord(scans, then))


@shared_task(bind=True, name="tiles.scan_part", **TIME_LIMITS)
def scan_part(self, layer: str, version: str, part: int, lo: int, hi: int) -> int:
    return split.scan(layer, version, part, (lo, hi), progress=reporter(self))


@shared_task(bind=True, name="tiles.plan_build", **TIME_LIMITS)
def plan_build(self, layer: str, version: str) -> dict:
    """Plan the build, then hand over to its write parts and, once all are written, its publish (which takes
    this job's id, and so the build job's)."""
    count = split.plan(layer, version, progress=reporter(self))
    queue = _queue_of(self)
    writes = group(write_part.si(layer, version, i).set(**queue) for i in range(count))
    then = publish_build.s(layer, version).set(**queue).on_error(abandon_build.s(layer=layer, version=version))
    return self.replace(chord(writes, then))


@shared_task(bind=True, name="tiles.write_part", **TIME_LIMITS)
def write_part(self, layer: str, version: str, part: int) -> list:
    return split.write(layer, version, part, progress=reporter(self))


@shared_task(bind=True, name="tiles.publish_build", **TIME_LIMITS)
def publish_build(self, outputs: list, layer: str, version: str) -> dict:
    """Publish the build once every part is written, and let go of the layer."""
    try:
        record = split.publish(layer, version, outputs, progress=reporter(self))
    finally:
        release(f"tiles:{layer}", split.lock_owner(layer, version))
    return _summary(record)


@shared_task(name="tiles.abandon_build")
def abandon_build(request, exc, traceback, layer: str, version: str) -> None:
    """A part failed (Celery calls this with the failed job's request and error): the build is dropped, the
    previous one still serves, and the layer is free for the next build."""
    try:
        split.abandon(layer, version, exc if isinstance(exc, BaseException) else str(exc))
    finally:
        release(f"tiles:{layer}", split.lock_owner(layer, version))
