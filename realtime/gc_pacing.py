"""Full garbage collections paced by the hub: right after a broadcast, never in the middle of one.

With thousands of websockets an ASGI process tracks millions of objects,
and a full (generation 2) collection stops its event loop for that long:
660 ms measured here at 5,000 sockets. CPython starts one whenever enough
objects have survived younger collections, which under steady load lands
inside a broadcast often enough to own the p99 latency. Once ``install``-ed,
automatic full collections are off; the hub calls ``after_burst`` after a
large fan-out (the next one is seconds away) and a collection runs then, at
most every MIN_INTERVAL_S; a timer still runs one at least every
MAX_INTERVAL_S, so the cyclic garbage of closed connections is freed.
Younger generations are collected as usual.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger(__name__)

MIN_INTERVAL_S = 60.0
MAX_INTERVAL_S = 300.0
NEVER = 1 << 30  # a generation-2 threshold no process reaches


class _Pacing:
    def __init__(self) -> None:
        self.installed = False
        self.pending = False
        self.last = 0.0
        self.threshold: tuple[int, int, int] | None = None
        self.timer: asyncio.TimerHandle | None = None


_pacing = _Pacing()


def suited() -> bool:
    """Whether this process should pace its full collections.

    JUMEAU_GC_PACING=1 or 0 decides; ``auto`` (the default) paces only when
    the hub's publisher lives in this process (no REDIS_URL): a collection
    between two broadcasts then delays nothing a client waits for. With Redis
    the frames arrive from another process, and those arriving during a paced
    collection wait it out: at 5,000 sockets that measured p99 2.3x a bare
    server, against 0.9x with CPython's own schedule (bench/realtime.py).
    """
    from django.conf import settings  # read when asked: the pacing core itself needs no Django

    choice = settings.JUMEAU_GC_PACING
    if choice in ("1", "true", "yes", "on"):
        return True
    if choice in ("0", "false", "no", "off"):
        return False
    from realtime.hub import redis_url  # here, not at the top: the hub imports this module (a cycle)

    return not redis_url()


def install() -> None:
    """Pace full collections in this process (call from the running event loop, once the app is imported)."""
    if _pacing.installed:
        return
    # What is loaded now (Django, the URL map, models) lives as long as the process: no collection needs to scan it.
    gc.collect()
    gc.freeze()
    _pacing.threshold = gc.get_threshold()
    gc.set_threshold(_pacing.threshold[0], _pacing.threshold[1], NEVER)
    _pacing.installed = True
    _pacing.last = time.monotonic()
    _pacing.timer = asyncio.get_running_loop().call_later(MAX_INTERVAL_S, _fallback)


def uninstall() -> None:
    """Back to CPython's own schedule (tests)."""
    if not _pacing.installed:
        return
    if _pacing.timer is not None:
        _pacing.timer.cancel()
    gc.set_threshold(*_pacing.threshold)  # type: ignore[misc]
    gc.unfreeze()
    _pacing.__init__()


def after_burst() -> None:
    """The hub just wrote a large fan-out: collect soon, once its writes are flushed, if one is due."""
    if not _pacing.installed or _pacing.pending or time.monotonic() - _pacing.last < MIN_INTERVAL_S:
        return
    _pacing.pending = True
    asyncio.get_running_loop().call_later(0.05, _collect)


def _collect() -> None:
    started = time.perf_counter()
    gc.collect()
    _pacing.last = time.monotonic()
    _pacing.pending = False
    log.debug("full collection paced after a broadcast: %.0f ms", (time.perf_counter() - started) * 1000)


def _fallback() -> None:
    if time.monotonic() - _pacing.last >= MAX_INTERVAL_S - 1.0 and not _pacing.pending:
        _collect()
    _pacing.timer = asyncio.get_running_loop().call_later(MAX_INTERVAL_S, _fallback)
