"""A layer's tile build as Celery jobs: one build of a layer at a time, on whichever machines share the tiles folder.

A splittable layer (tiles.split) is built as two chords: its rows scanned in parts, then planned once; its tiles
written in parts, then published once. Any worker runs any part; the layer's lock is held by the build itself
from the first job to the publish (or the abandon), not by one worker.

A worker killed mid-build: each step renews the build's lease while it runs (JUMEAU_JOB_LEASE_S). A part whose
worker process died is delivered again where the broker keeps unacknowledged messages (task_acks_late with
task_reject_on_worker_lost: a prefork child killed, or Redis after its visibility timeout); with the filesystem
broker, or a whole worker killed, the part is lost and its chord never ends. Then the lease lapses, and the first
of `recover_builds` (every minute, and whenever a worker starts), a later step of that build, or the layer's next
build abandons it (tiles.split.reap_dead) and queues the layer's build again. The published tiles change only at
a publish, so readers see the previous build throughout.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager

from celery import Task, chord, group, shared_task
from django.conf import settings
from django.utils import timezone

from tiles import split
from tiles.build import build_layer as build
from tiles.errors import BuildGone
from tiles.models import TileBuild
from tiles.publish import new_version
from twin.job_lock import JobLocked, acquire, heartbeat, holder, release, renew
from twin.jobs import LOCK_WAIT_MAX_RETRIES, exclusive, lease_s, lock_wait_s, reporter
from twin.models import JobLock

TIME_LIMITS = {"soft_time_limit": settings.JUMEAU_JOB_TIME_LIMIT_S, "time_limit": settings.JUMEAU_JOB_TIME_LIMIT_S + 60}
# A part whose worker process was killed goes back to the queue instead of being acknowledged (the parts can run
# twice: each writes files of its own, by rename). Capped by tiles.split.MAX_ATTEMPTS.
PART = {"acks_late": True, "reject_on_worker_lost": True}


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

    parts: how many jobs scan a splittable layer's rows (default JUMEAU_TILE_BUILD_PARTS; its tiles are written by
    up to three times as many, tiles.split.WRITES_PER_SCAN); 1 builds it in this job alone. A split build replaces
    this job with its parts: this job's id ends when the build is published (or failed), with the publish job's
    result."""
    parts = settings.JUMEAU_TILE_BUILD_PARTS if parts is None else int(parts)
    if parts > 1 and split.splittable(layer):
        return _start_split(self, layer, parts)
    with exclusive(self, split.lock_key(layer)):
        record = build(layer, progress=reporter(self))
    return _summary(record)


def _start_split(task, layer: str, parts: int) -> dict:
    version = new_version()
    key, owner = split.lock_key(layer), split.lock_owner(layer, version)
    # A build a dead worker left would hold the layer until its lease lapses, then never end: this one replaces it.
    split.reap_dead(layer, lease_s())
    if not acquire(key, owner, lease_s()):
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


@contextmanager
def _step(layer: str, version: str, name: str) -> Iterator[None]:
    """Run one step of a live build, its lease renewed meanwhile; BuildGone (after recovering the layer) when the
    build's lease lapsed before the step started: the build is abandoned, not continued by a part of it."""
    key, owner = split.lock_key(layer), split.lock_owner(layer, version)
    if not renew(key, owner, lease_s()):
        recover_layer(layer)
        raise BuildGone(
            f"Build {version} of layer {layer!r} was abandoned (no step of it ran for {lease_s():g} s: a worker "
            "died mid-build); the layer's build is queued again."
        )
    split.SplitBuild(layer, version).attempt(name)
    with heartbeat(key, owner, lease_s()):
        yield


def recover_layer(layer: str) -> dict:
    """Abandon the layer's builds a dead worker left and, if there was one, queue the layer's build again."""
    gone = split.reap_dead(layer, lease_s())
    if not gone:
        return {}
    return {"abandoned": gone, "queued": build_layer.delay(layer).id}


@shared_task(bind=True, name="tiles.recover_builds")
def recover_builds(self, watch: bool = False) -> dict:
    """Abandon the split builds whose worker died (their lease lapsed) and queue their layers again.

    watch: while a split build is running, look again once its lease could have lapsed (a worker that starts
    right after another died sends this, so that the dead one's build is redone without waiting for beat)."""
    out = {layer: done for layer in sorted(split.SPLITTABLE) if (done := recover_layer(layer))}
    running = TileBuild.objects.filter(layer__in=split.SPLITTABLE, status=TileBuild.Status.BUILDING)
    if watch and running.exists():
        ends = JobLock.objects.filter(key__in=[split.lock_key(lay) for lay in split.SPLITTABLE]).values_list(
            "expires_at", flat=True
        )
        wait = max([(end - timezone.now()).total_seconds() for end in ends] + [0.0]) + 0.5
        self.apply_async(kwargs={"watch": True}, countdown=min(wait, lease_s()), **_queue_of(self))
    return out


@shared_task(bind=True, name="tiles.scan_part", **TIME_LIMITS, **PART)
def scan_part(self, layer: str, version: str, part: int, lo: int, hi: int) -> int:
    with _step(layer, version, f"scan-{part}"):
        return split.scan(layer, version, part, (lo, hi), progress=reporter(self))


@shared_task(bind=True, name="tiles.plan_build", **TIME_LIMITS, **PART)
def plan_build(self, layer: str, version: str) -> dict:
    """Plan the build, then hand over to its write parts and, once all are written, its publish (which takes
    this job's id, and so the build job's)."""
    queue = _queue_of(self)
    # For a worker that would idle while this one plans: it decodes the scans it did not read meanwhile, not after.
    preload_build.si(layer, version).apply_async(**queue)
    with _step(layer, version, "plan"):
        count = split.plan(layer, version, progress=reporter(self))
    writes = group(write_part.si(layer, version, i).set(**queue) for i in range(count))
    then = publish_build.s(layer, version).set(**queue).on_error(abandon_build.s(layer=layer, version=version))
    return self.replace(chord(writes, then))


@shared_task(name="tiles.preload_build", **TIME_LIMITS)
def preload_build(layer: str, version: str) -> int:
    """Load a build's arrays into this worker ahead of its write parts (tiles.split.preload); 0 when the build has
    ended already (published, or abandoned), a job with nothing left to do."""
    try:
        with _step(layer, version, "preload"):
            return split.preload(layer, version)
    except BuildGone:
        return 0


@shared_task(bind=True, name="tiles.write_part", **TIME_LIMITS, **PART)
def write_part(self, layer: str, version: str, part: int) -> list:
    with _step(layer, version, f"write-{part}"):
        return split.write(layer, version, part, progress=reporter(self))


class _Publish(Task):
    """The publish job of a split build: the build's work folder is removed and the arrays this process holds are
    freed once the job has ended and its result is stored (~0.2 s for 200,000 buildings: the build's end need not
    wait for it), in this job alone: other jobs of the worker pay nothing."""

    def after_return(self, status, retval, task_id, args, kwargs, einfo) -> None:
        call = inspect.signature(self.run).bind(*(args or ()), **(kwargs or {})).arguments
        split.done(call["layer"], call["version"])


@shared_task(bind=True, base=_Publish, name="tiles.publish_build", **TIME_LIMITS)
def publish_build(self, outputs: list, layer: str, version: str) -> dict:
    """Publish the build once every part is written, and let go of the layer."""
    try:
        with _step(layer, version, "publish"):
            record = split.publish(layer, version, outputs, progress=reporter(self))
    finally:
        release(split.lock_key(layer), split.lock_owner(layer, version))
    return _summary(record)


@shared_task(name="tiles.abandon_build")
def abandon_build(request, exc, traceback, layer: str, version: str) -> None:
    """A part failed (Celery calls this with the failed job's request and error): the build is dropped, the
    previous one still serves, and the layer is free for the next build."""
    try:
        split.abandon(layer, version, exc if isinstance(exc, BaseException) else str(exc))
    finally:
        release(split.lock_key(layer), split.lock_owner(layer, version))
