"""Locks that hold across processes and machines: one build of a layer at a time, one sync of a source.

The lock is a row with a unique key in the database every worker shares. Taking it is an INSERT that the
unique constraint lets through once. A holder that died is found by its expiry: a job holds its lock as a short
lease that a heartbeat thread renews while it runs (`heartbeat`), so a killed worker's lock lapses within one
lease (minutes), not after the longest time a job may run.
Why not the alternatives: SELECT ... FOR UPDATE is a no-op on SQLite; a Redis lock needs Redis, which the
embedded demo has none of; a file lock under var/ only holds where var/ is one file system (flock over NFS
is not reliable), while the database is shared by construction.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from twin.models import JobLock


class JobLocked(RuntimeError):
    """Another job holds the lock; try again after it ends."""

    def __init__(self, key: str, holder: str):
        self.key, self.holder = key, holder
        super().__init__(f"{key} is running elsewhere ({holder}); this one waits for it to end")


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire(key: str, owner: str, ttl_s: float) -> bool:
    """Take the lock `key` for `ttl_s` seconds; False when someone else holds an unexpired one."""
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
    JobLock.objects.filter(key=key, owner=owner).delete()


def renew(key: str, owner: str, ttl_s: float) -> bool:
    """Extend `owner`'s hold on `key` to `ttl_s` seconds from now; False when its lease has lapsed (a lapsed lease
    is never revived: a reaper may already be undoing the holder's work, which is no longer its own)."""
    now = timezone.now()
    return bool(
        JobLock.objects.filter(key=key, owner=owner, expires_at__gte=now).update(
            expires_at=now + timedelta(seconds=ttl_s)
        )
    )


def held(key: str, owner: str) -> bool:
    """Whether `owner` holds `key` with an unexpired lease."""
    return JobLock.objects.filter(key=key, owner=owner, expires_at__gte=timezone.now()).exists()


def reap(key: str, owner: str) -> bool:
    """Drop `owner`'s lease on `key` if it has lapsed; True when `owner` holds `key` no more (reaped now, or
    before). One DELETE: of several workers reaping at once, the holder renewing first wins."""
    JobLock.objects.filter(key=key, owner=owner, expires_at__lt=timezone.now()).delete()
    return not JobLock.objects.filter(key=key, owner=owner).exists()


class Heartbeat:
    """Renew a lease every `every_s` seconds from a thread of its own while the holder works.

    A thread, not a timer of the worker's event loop: a solo-pool worker runs a job in its main thread and turns
    no loop until the job ends. The thread has its own database connection, closed when it stops."""

    def __init__(self, key: str, owner: str, ttl_s: float, every_s: float):
        self.key, self.owner, self.ttl_s, self.every_s = key, owner, ttl_s, every_s
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease {key}", daemon=True)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every_s):
                try:
                    if not renew(self.key, self.owner, self.ttl_s):
                        self.lost = True
                        return
                except DatabaseError:  # a busy database: try again at the next beat, the lease has slack
                    close_old_connections()
        finally:
            connection.close()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def heartbeat(key: str, owner: str, ttl_s: float) -> Heartbeat:
    """Keep `owner`'s lease on `key` alive for the block: renewed every ttl_s / 4 seconds."""
    return Heartbeat(key, owner, ttl_s, every_s=ttl_s / 4)


def holder(key: str) -> str:
    lock = JobLock.objects.filter(key=key).first()
    return str(lock) if lock else "nobody"


@contextmanager
def job_lock(key: str, ttl_s: float, owner: str | None = None) -> Iterator[str]:
    """Hold `key` for the block, its lease renewed while the block runs; JobLocked when another job holds it.
    ttl_s: the lease, seconds a dead holder keeps the lock."""
    owner = owner or default_owner()
    if not acquire(key, owner, ttl_s):
        raise JobLocked(key, holder(key))
    try:
        with heartbeat(key, owner, ttl_s):
            yield owner
    finally:
        release(key, owner)
