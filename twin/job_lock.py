"""Locks that hold across processes and machines: one build of a layer at a time, one sync of a source.

The lock is a row with a unique key in the database every worker shares. Taking it is an INSERT that the
unique constraint lets through once; a holder that died is found by its expiry, not by a heartbeat.
Why not the alternatives: SELECT ... FOR UPDATE is a no-op on SQLite; a Redis lock needs Redis, which the
embedded demo has none of; a file lock under var/ only holds where var/ is one file system (flock over NFS
is not reliable), while the database is shared by construction.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone


class JobLocked(RuntimeError):
    """Another job holds the lock; try again after it ends."""

    def __init__(self, key: str, holder: str):
        self.key, self.holder = key, holder
        super().__init__(f"{key} is running elsewhere ({holder}); this one waits for it to end")


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire(key: str, owner: str, ttl_s: float) -> bool:
    """Take the lock `key` for `ttl_s` seconds; False when someone else holds an unexpired one."""
    from twin.models import JobLock

    now = timezone.now()
    JobLock.objects.filter(key=key, expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            JobLock.objects.create(key=key, owner=owner, acquired_at=now, expires_at=now + timedelta(seconds=ttl_s))
    except IntegrityError:
        return False
    return True


def release(key: str, owner: str) -> None:
    """Free the lock if `owner` still holds it (after an expiry another job may have taken it)."""
    from twin.models import JobLock

    JobLock.objects.filter(key=key, owner=owner).delete()


def holder(key: str) -> str:
    from twin.models import JobLock

    lock = JobLock.objects.filter(key=key).first()
    return str(lock) if lock else "nobody"


@contextmanager
def job_lock(key: str, ttl_s: float, owner: str | None = None) -> Iterator[str]:
    """Hold `key` for the block; JobLocked when another job holds it. ttl_s: seconds, beyond the job's time
    limit, so that only a dead holder's lock ever expires."""
    owner = owner or default_owner()
    if not acquire(key, owner, ttl_s):
        raise JobLocked(key, holder(key))
    try:
        yield owner
    finally:
        release(key, owner)
