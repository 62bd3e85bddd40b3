"""What every background job shares: one lock per job name across machines, and progress in the worker log."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings

from twin.job_lock import JobLocked, acquire, default_owner, heartbeat, holder, release

# Retries of a job that found its lock held, `lock_wait_s` apart: together longer than any job may run.
LOCK_WAIT_MAX_RETRIES = 500


def lease_s() -> float:
    """Seconds a job's lock outlives a dead holder (a live one renews it)."""
    return float(settings.JUMEAU_JOB_LEASE_S)


def lock_wait_s() -> float:
    return float(settings.JUMEAU_JOB_LOCK_WAIT_S)


@contextmanager
def exclusive(task, key: str) -> Iterator[None]:
    """Run the block of a bound Celery task while holding `key`; when another job holds it, the task is
    retried later (Retry is raised), so a second build of a layer waits for the first instead of racing it."""
    owner = getattr(task.request, "id", None) or default_owner()
    if not acquire(key, owner, lease_s()):
        raise task.retry(exc=JobLocked(key, holder(key)), countdown=lock_wait_s(), max_retries=LOCK_WAIT_MAX_RETRIES)
    try:
        with heartbeat(key, owner, lease_s()):
            yield
    finally:
        release(key, owner)


def task_logger(task) -> logging.Logger:
    """The logger a job writes its progress lines to (the worker log names the task and its id)."""
    return logging.getLogger(f"jumeau.jobs.{task.name}")


def reporter(task, every_s: float = 2.0) -> Callable[[str], None]:
    """A job's progress callback: every line to the worker log, and the latest one (at most every `every_s`
    seconds) on the job's row in the admin while it runs."""
    log = task_logger(task)
    last = -every_s

    def say(message: str) -> None:
        nonlocal last
        log.info(message)
        now = time.monotonic()
        if getattr(task.request, "id", None) and now - last >= every_s:
            last = now
            task.update_state(state="STARTED", meta={"progress": message.strip()})

    return say
