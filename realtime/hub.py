"""Per-process fan-out of transit frames: serialised once by the worker, written to each socket of this process.

Channels' group_send costs about 1-1.5 ms per group member (one message per
member through the layer, serialised each time); at 5,000 clients that is
seconds of latency. Here the worker serialises each change once, and each
ASGI process hands the same string to its own connections:

- embedded (no REDIS_URL): the worker runs in the ASGI process and calls the
  hub directly (``LocalPublisher``);
- production (REDIS_URL): the worker publishes to one Redis pub/sub channel
  and keeps the current state of each topic in a Redis hash; every ASGI
  process subscribes once (``RedisBridge``) and fans out locally.

Each frame is also encoded once as websocket bytes, which uvicorn sockets get
as they are (``realtime.uvicorn_adapter``), and a large fan-out is where this process
takes its full garbage collections (``realtime.gc_pacing``).

A topic is ``stop:<stop_id>``, ``route:<route_id>``, ``vehicles`` (every
vehicle) or ``status``. Each change carries a per-topic ``seq`` (consecutive)
so a client that misses one asks for a new snapshot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.exceptions import RedisError

from realtime import gc_pacing
from realtime.wire import text_frame

log = logging.getLogger(__name__)

SEP = "\x1f"  # topic, seq and frame on the Redis wire; never inside JSON text (it would be escaped)


@dataclass(frozen=True, slots=True)
class Change:
    """One published change: the frame sent to subscribers and the topic's full state for snapshots (JSON)."""

    topic: str
    seq: int
    frame: str
    state: str


class StateUnavailable(OSError):
    """The transit state (Redis) cannot be read or subscribed to right now; the client should retry."""


READY_WAIT_S = 10.0
BURST = 500  # subscribers of one frame from which a full garbage collection may follow it (see gc_pacing)


class Subscriber(Protocol):
    def offer(self, topic: str, seq: int, frame: str, wire: bytes) -> None:
        """``frame`` is the JSON text; ``wire`` the same text as one websocket frame, header included."""


class Hub:
    """This process's subscribers per topic, and (embedded) the last state of every topic."""

    def __init__(self) -> None:
        self._subs: dict[str, set[Subscriber]] = {}
        self.state: dict[str, tuple[int, str]] = {}
        self._bridge: RedisBridge | None = None

    def join(self, subscriber: Subscriber, topics: Iterable[str]) -> None:
        for topic in topics:
            self._subs.setdefault(topic, set()).add(subscriber)

    def leave(self, subscriber: Subscriber, topics: Iterable[str]) -> None:
        for topic in topics:
            subs = self._subs.get(topic)
            if subs is not None:
                subs.discard(subscriber)
                if not subs:
                    del self._subs[topic]

    def subscriber_count(self, topic: str | None = None) -> int:
        if topic is not None:
            return len(self._subs.get(topic, ()))
        return len({s for subs in self._subs.values() for s in subs})

    def deliver(self, topic: str, seq: int, frame: str) -> None:
        """Hand one frame to every local subscriber of ``topic``; never blocks (each has its own outbox).

        The frame is encoded for the wire here, once for all subscribers.
        """
        subs = self._subs.get(topic)
        if not subs:
            return
        wire = text_frame(frame)
        for subscriber in tuple(subs):
            subscriber.offer(topic, seq, frame, wire)
        if len(subs) >= BURST:
            gc_pacing.after_burst()

    async def ready(self) -> None:
        """Make sure this process receives published changes (subscribes to Redis once, when configured).

        Raises StateUnavailable when the subscription is not up within READY_WAIT_S (Redis down).
        """
        if not redis_url():
            return
        loop = asyncio.get_running_loop()
        if self._bridge is None or self._bridge.loop is not loop or self._bridge.task.done():
            self._bridge = RedisBridge(self, loop)
        try:
            await asyncio.wait_for(self._bridge.subscribed.wait(), READY_WAIT_S)
        except TimeoutError:
            raise StateUnavailable(f"no subscription to Redis at {redis_url()} after {READY_WAIT_S:g} s") from None

    def _local_state(self, topics: list[str]) -> dict[str, tuple[int, str]] | None:
        """The answer without Redis (this process's state, or nothing asked), else None."""
        if not redis_url():
            return {t: self.state[t] for t in topics if t in self.state}
        return {} if not topics else None

    async def snapshot_state(self, topics: Iterable[str]) -> dict[str, tuple[int, str]]:
        """The current (seq, state JSON) of each topic that has one."""
        topics = list(topics)
        local = self._local_state(topics)
        if local is not None:
            return local
        try:
            return _states(topics, await redis_client().hmget(state_key(), topics))
        except RedisError as exc:
            raise StateUnavailable(f"cannot read the transit state from Redis: {exc}") from exc

    def snapshot_state_sync(self, topics: Iterable[str]) -> dict[str, tuple[int, str]]:
        """``snapshot_state`` for synchronous code (HTTP views): blocks on Redis when configured."""
        topics = list(topics)
        local = self._local_state(topics)
        if local is not None:
            return local
        try:
            return _states(topics, sync_redis_client().hmget(state_key(), topics))
        except RedisError as exc:
            raise StateUnavailable(f"cannot read the transit state from Redis: {exc}") from exc

    def reset(self) -> None:
        """Forget subscribers, state and the Redis subscription (tests)."""
        if self._bridge is not None and not self._bridge.loop.is_closed():
            self._bridge.task.cancel()
        _clients.clear()
        self.__init__()


hub = Hub()


# --- publishers (the worker's side) ------------------------------------------------


class Publisher(Protocol):
    async def publish(self, changes: list[Change]) -> None: ...


class LocalPublisher:
    """Embedded mode: the worker and the sockets share the process."""

    def __init__(self, target: Hub | None = None) -> None:
        self.hub = target or hub

    async def publish(self, changes: list[Change]) -> None:
        for change in changes:
            self.hub.state[change.topic] = (change.seq, change.state)
            self.hub.deliver(change.topic, change.seq, change.frame)


class RedisPublisher:
    """Production: one PUBLISH per change on one channel, states kept in one hash for snapshots."""

    async def publish(self, changes: list[Change]) -> None:
        if not changes:
            return
        async with redis_client().pipeline(transaction=False) as pipe:
            for change in changes:
                pipe.hset(state_key(), change.topic, f"{change.seq}{SEP}{change.state}")
                pipe.publish(channel_name(), f"{change.topic}{SEP}{change.seq}{SEP}{change.frame}")
            await pipe.execute()


def default_publisher() -> Publisher:
    return RedisPublisher() if redis_url() else LocalPublisher()


# --- Redis plumbing -----------------------------------------------------------------


def redis_url() -> str:
    return settings.REDIS_URL or ""


def prefix() -> str:
    # Several twins (or parallel test runs) may share one Redis: every key is namespaced.
    return settings.REALTIME_REDIS_PREFIX


def channel_name() -> str:
    return prefix() + "transit"


def state_key() -> str:
    return prefix() + "transit:state"


def _states(topics: list[str], values: list[bytes | None]) -> dict[str, tuple[int, str]]:
    out = {}
    for topic, value in zip(topics, values):
        if value is not None:
            seq, _, state = value.decode().partition(SEP)
            out[topic] = (int(seq), state)
    return out


_clients: dict[int, tuple[asyncio.AbstractEventLoop, object]] = {}  # by id(loop); the loop kept to spot a reused id
_sync_clients: dict[str, object] = {}


def sync_redis_client():
    """A blocking redis client (thread-safe connection pool), one per URL."""
    url = redis_url()
    client = _sync_clients.get(url)
    if client is None:
        client = _sync_clients[url] = redis.Redis.from_url(url, health_check_interval=30)
    return client


REDIS_POOL_SIZE = 32
REDIS_POOL_WAIT_S = 10.0


def redis_client():
    """A redis.asyncio client for the running event loop (clients are bound to the loop that made them).

    Its pool is bounded and makes callers wait for a free connection: a crowd
    subscribing at once (hundreds of snapshots a second after a restart)
    would otherwise open a connection each, and past the pool's limit fail.
    """
    loop = asyncio.get_running_loop()
    key = id(loop)
    owner, client = _clients.get(key, (None, None))
    if owner is not loop:
        pool = aioredis.BlockingConnectionPool.from_url(
            redis_url(), max_connections=REDIS_POOL_SIZE, timeout=REDIS_POOL_WAIT_S, health_check_interval=30
        )
        client = aioredis.Redis.from_pool(pool)
        _clients[key] = (loop, client)
    return client


class RedisBridge:
    """One Redis subscription per process, relaying every published change into the local hub."""

    def __init__(self, target: Hub, loop: asyncio.AbstractEventLoop) -> None:
        self.hub = target
        self.loop = loop
        self.subscribed = asyncio.Event()
        self.task = loop.create_task(self._run(), name="transit-redis-bridge")

    async def _run(self) -> None:
        delay = 0.5
        while True:
            client = aioredis.from_url(redis_url())
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel_name())
                self.subscribed.set()
                delay = 0.5
                while True:
                    message = await pubsub.get_message(timeout=30.0)
                    if message is None or message.get("type") != "message":
                        continue
                    topic, seq, frame = message["data"].decode().split(SEP, 2)
                    self.hub.deliver(topic, int(seq), frame)
            except asyncio.CancelledError:
                raise
            # Redis restarts, whatever they raise, must not take the websockets down.
            except Exception as exc:  # noqa: BLE001
                log.warning("transit bridge lost Redis (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except Exception:  # noqa: BLE001 - closing a broken connection
                    pass
