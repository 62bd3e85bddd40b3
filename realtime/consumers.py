"""Websocket consumers: /ws/transit/ (departures, vehicles, feed status), /ws/routes/ (walks, circuits) and
/ws/layers/ (new tile builds).

Consumers stay thin: they check size and rate, join topics or groups, and
write frames that were serialised once elsewhere. Protocol (JSON text):

/ws/transit/
  client → {"type": "subscribe", "stops": [stop_id...], "routes": [route_id... | "*"], "bbox": [w, s, e, n]}
           (replaces the subscription; "*" is every vehicle; a bbox adds its stops and the routes serving them)
  client → {"type": "resync"}            a new snapshot of the current subscription
  server → {"type": "snapshot", "topics": {topic: seq}, "feed_timestamp": t, "status": {...},
            "departures": {stop_id: [...]}, "vehicles": [...]}
  server → {"type": "departures" | "vehicles" | "status", "topic": topic, "seq": n, "feed_timestamp": t, ...}
           seq is per topic and consecutive: a client that sees seq > last + 1 sends "resync".
/ws/routes/
  client → {"type": "route", "id": any, "from": {"poi": slug} | {"lon", "lat"}, "to": {...},
            "shade": "none" | "some" | "most", "max_detour": 0.2, "depart": ISO 8601 with zone (default now)}
           max_detour: the longest detour, a share of the fastest walk's length and of its minutes.
  server → {"type": "route", "id": ..., "feature": GeoJSON Feature} | {"type": "error", "id": ..., "message": ...}
  server → {"type": "circuits", "features": [...]} on connect, {"type": "circuit", "feature": ...} when one is
           published, {"type": "circuit_removed", "slug": ...} when unpublished, and every shade slot
           {"type": "circuits_shade", "circuits": [{"slug", "shade_by_hour": [{"depart", "shade_share"}]}]}
           as the sun moves (each circuit's share in shade if started now and in the coming hours).
/ws/layers/
  server → {"type": "layers", "layers": [{"layer", "version", "url"}...]} on connect: what this user may load now
  server → {"type": "layer_published", "layer": name, "version": v, "url": ...} when a build of a layer this user
           may load is published (by any process: tiles/announce.py); versions sort in build order.
  client → {"type": "ping", "t": any}    server → {"type": "pong", "t": ...}
Messages over 16 KiB close the socket with 1009; more than RATE_PER_S messages a second (burst RATE_BURST) with 4029;
a socket that cannot keep up with 4013; when the transit state (Redis) cannot be read, with 1013: reconnect later.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from realtime.hub import StateUnavailable, hub
from realtime.models import Route, Stop
from realtime.pedestrian import RouteError, circuits_shade, parse_depart, published_circuits, route_feature
from realtime.uvicorn_adapter import frame_writer
from realtime.worker import dumps
from tiles.announce import layer_watch  # the tiles app's interface for new builds

MAX_MESSAGE_BYTES = 16 * 1024
# The shade table changes every 15-minute slot: pushing circuits' shade more often tells nothing new.
CIRCUIT_SHADE_PUSH_S = 15 * 60
RATE_PER_S = 5.0
RATE_BURST = 20
MAX_STOPS = 200
MAX_ROUTES = 100
MAX_BACKLOG = 2000  # frames queued for one socket before it counts as too slow
CLOSE_TOO_BIG = 1009
CLOSE_RATE = 4029
CLOSE_TOO_SLOW = 4013
CLOSE_TRY_AGAIN = 1013  # RFC 6455 registry: "Try Again Later"
CIRCUITS_GROUP = "circuits"


class GuardedConsumer(AsyncWebsocketConsumer):
    """Size and rate limits shared by both endpoints; subclasses implement ``handle(message)``."""

    async def connect(self) -> None:
        self._tokens = float(RATE_BURST)
        self._refilled = time.monotonic()
        self._closing = False
        await self.accept()

    def _allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(float(RATE_BURST), self._tokens + (now - self._refilled) * RATE_PER_S)
        self._refilled = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    async def refuse(self, code: int, reason: str) -> None:
        if not self._closing:
            self._closing = True
            await self.close(code=code, reason=reason)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self._closing:
            return
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > MAX_MESSAGE_BYTES:
            await self.refuse(CLOSE_TOO_BIG, f"message of {size} bytes; the limit is {MAX_MESSAGE_BYTES}")
            return
        if not self._allow():
            await self.refuse(CLOSE_RATE, f"more than {RATE_PER_S:g} messages per second")
            return
        try:
            message = json.loads(text_data if text_data is not None else bytes_data)
        except (TypeError, ValueError):
            await self.send(text_data=dumps({"type": "error", "message": "messages are JSON objects"}))
            return
        if not isinstance(message, dict):
            await self.send(text_data=dumps({"type": "error", "message": "messages are JSON objects"}))
            return
        await self.handle(message)

    async def handle(self, message: dict) -> None:
        """One client message, already parsed and size/rate checked: each consumer defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define handle()")


def _strings(value: object, limit: int, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 200 for v in value):
        raise ValueError(f"{what} must be a list of ids")
    if len(value) > limit:
        raise ValueError(f"at most {limit} {what} per connection")
    return list(dict.fromkeys(value))


def _stops_in_bbox(bbox: list[float]) -> tuple[list[str], list[str]]:
    """Stop ids of the active feed inside a lon/lat box, and the routes that call at them."""
    stops = list(
        Stop.objects.current()
        .in_bbox(*bbox)
        .filter(location_type=0)
        .order_by("stop_id")
        .values_list("stop_id", flat=True)[:MAX_STOPS]
    )
    routes = list(
        Route.objects.filter(feed__active=True, trips__stop_times__stop__stop_id__in=stops)
        .distinct()
        .order_by("route_id")
        .values_list("route_id", flat=True)[:MAX_ROUTES]
    )
    return stops, routes


class TransitConsumer(GuardedConsumer):
    """Joins hub topics and writes the hub's frames to its socket, in order, without blocking the hub.

    Under uvicorn the hub's already-encoded frame bytes go straight to the
    socket's transport (``realtime.uvicorn_adapter``): no per-client encoding,
    no coroutine. Otherwise, and whenever that is not possible for a frame
    (its transport is paused, say), the frame goes into the outbox, which a
    task writes in order through the consumer's ASGI send; later frames queue
    behind it until the outbox is empty again.
    """

    # No channel layer: the hub fans out (see realtime/hub.py); a layer channel per socket would cost for nothing.
    channel_layer_alias = "__transit_hub__"

    async def connect(self) -> None:
        self.topics: set[str] = set()
        self.seen: dict[str, int] = {}
        self.outbox: deque[tuple[str, int, str]] = deque()
        self.busy = False  # the writer task is writing the outbox: new frames queue behind
        self.reading = False  # a snapshot is being read (Redis): changes wait in the outbox, behind it
        self.writer: asyncio.Task | None = None
        await super().connect()
        self._write = frame_writer(self)

    async def disconnect(self, code: int) -> None:
        hub.leave(self, self.topics)
        self.topics = set()
        self.outbox.clear()
        if self.writer is not None:
            self.writer.cancel()

    def offer(self, topic: str, seq: int, frame: str, wire: bytes) -> None:
        """Called by the hub for every change of a subscribed topic; never blocks."""
        if self._closing:
            return
        if self.busy or self.outbox or self.reading:
            if len(self.outbox) >= MAX_BACKLOG:
                self.outbox.clear()
                hub.leave(self, self.topics)
                asyncio.get_running_loop().create_task(
                    self.refuse(CLOSE_TOO_SLOW, "the connection cannot keep up; reconnect")
                )
                return
            self.outbox.append((topic, seq, frame))
            return
        if seq <= self.seen.get(topic, 0):
            return  # already in the snapshot the client holds
        if self._write is not None and self._write(wire):
            self.seen[topic] = seq
            return
        self._send_through_asgi(topic, seq, frame)

    def _send_through_asgi(self, topic: str, seq: int, frame: str) -> None:
        """A frame the direct write could not take: the writer task sends it, and queued frames after it."""
        self.outbox.append((topic, seq, frame))
        self._start_writer()

    def _start_writer(self) -> None:
        if not self.busy:
            self.busy = True
            self.writer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        """Write the outbox in order through the ASGI send; the socket is idle again at the end."""
        try:
            while self.outbox:
                topic, seq, frame = self.outbox.popleft()
                if topic:
                    if seq <= self.seen.get(topic, 0):
                        continue
                    self.seen[topic] = seq
                await self.send(text_data=frame)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the client left; websocket.disconnect follows
            self.outbox.clear()
        finally:
            self.busy = False

    def _queue_first(self, frame: str) -> None:
        """Put a frame ahead of everything queued (a snapshot) and make sure someone writes it."""
        self.outbox.appendleft(("", 0, frame))
        self._start_writer()

    async def handle(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "subscribe":
            try:
                topics = await self._topics(message)
            except ValueError as exc:
                await self.send(text_data=dumps({"type": "error", "message": str(exc)}))
                return
            try:
                await hub.ready()
            except StateUnavailable as exc:
                await self.refuse(CLOSE_TRY_AGAIN, str(exc)[:120])
                return
            hub.leave(self, self.topics - topics)
            hub.join(self, topics)
            self.topics = topics
            await self._snapshot()
        elif kind == "resync":
            await self._snapshot()
        elif kind == "ping":
            await self.send(text_data=dumps({"type": "pong", "t": message.get("t")}))
        else:
            await self.send(text_data=dumps({"type": "error", "message": f"unknown message type {kind!r}"}))

    async def _topics(self, message: dict) -> set[str]:
        stops = _strings(message.get("stops"), MAX_STOPS, "stops")
        routes = _strings(message.get("routes"), MAX_ROUTES, "routes")
        bbox = message.get("bbox")
        if bbox is not None:
            if not (
                isinstance(bbox, list)
                and len(bbox) == 4
                and all(isinstance(v, (int, float)) for v in bbox)
                and bbox[0] < bbox[2]
                and bbox[1] < bbox[3]
            ):
                raise ValueError("bbox is [west, south, east, north] in degrees")
            in_box, serving = await database_sync_to_async(_stops_in_bbox)([float(v) for v in bbox])
            stops = list(dict.fromkeys(stops + in_box))[:MAX_STOPS]
            routes = list(dict.fromkeys(routes + serving))[:MAX_ROUTES]
        topics = {"status"} | {f"stop:{s}" for s in stops}
        topics |= {"vehicles"} if "*" in routes else {f"route:{r}" for r in routes}
        return topics

    async def _snapshot(self) -> None:
        # While the state is read, changes may arrive (Redis): they must reach the client after the snapshot.
        self.reading = True
        try:
            states = await hub.snapshot_state(self.topics)
        except StateUnavailable as exc:
            # The client reconnects and subscribes again; a socket without its snapshot would show stale boards.
            self.outbox.clear()
            await self.refuse(CLOSE_TRY_AGAIN, str(exc)[:120])
            return
        finally:
            self.reading = False
        departures: dict[str, list] = {}
        vehicles: dict[str, dict] = {}
        status: dict = {}
        feed_ts = None
        for topic, (seq, text) in states.items():
            state = json.loads(text)
            self.seen[topic] = max(self.seen.get(topic, 0), seq)
            feed_ts = state.get("feed_timestamp") if feed_ts is None else feed_ts
            if topic.startswith("stop:"):
                departures[topic[5:]] = state["departures"]
            elif topic == "vehicles" or topic.startswith("route:"):
                vehicles.update((v["id"], v) for v in state["vehicles"])
            elif topic == "status":
                status = state
                feed_ts = state.get("feed_timestamp")
        snapshot = {
            "type": "snapshot",
            "topics": {t: states[t][0] if t in states else 0 for t in sorted(self.topics)},
            "feed_timestamp": feed_ts,
            "status": status,
            "departures": departures,
            "vehicles": list(vehicles.values()),
        }
        # Ahead of any queued change: the writer then drops the changes the snapshot already contains.
        self._queue_first(dumps(snapshot))


class RoutesConsumer(GuardedConsumer):
    """Walks on demand, and circuits pushed to everyone when the city publishes them (group "circuits")."""

    groups = [CIRCUITS_GROUP]

    async def connect(self) -> None:
        await super().connect()
        try:
            collection = await database_sync_to_async(published_circuits)()
        except Exception as exc:  # noqa: BLE001 - an empty street table must not refuse the socket
            collection = {"type": "FeatureCollection", "features": [], "error": str(exc)}
        await self.send(text_data=dumps({**collection, "type": "circuits"}))
        self._shade_task = asyncio.get_running_loop().create_task(self._push_circuit_shade())

    async def disconnect(self, code: int) -> None:
        task = getattr(self, "_shade_task", None)
        if task is not None:
            task.cancel()
        await super().disconnect(code)

    async def _push_circuit_shade(self) -> None:
        """Every shade slot, each published circuit's shade share for the coming hours, as the sun moved."""
        while True:
            await asyncio.sleep(CIRCUIT_SHADE_PUSH_S)
            try:
                circuits = await database_sync_to_async(circuits_shade)()
            except Exception as exc:  # noqa: BLE001 - a failed refresh must not close the walks socket
                await self.send(text_data=dumps({"type": "error", "message": f"circuit shade not refreshed: {exc}"}))
                continue
            await self.send(text_data=dumps({"type": "circuits_shade", "circuits": circuits}))

    async def handle(self, message: dict) -> None:
        if message.get("type") != "route":
            await self.send(
                text_data=dumps({"type": "error", "message": f"unknown message type {message.get('type')!r}"})
            )
            return
        request_id = message.get("id")
        try:
            depart = parse_depart(message.get("depart"))
            feature = await database_sync_to_async(route_feature)(
                message.get("from"), message.get("to"), message.get("shade"), message.get("max_detour"), depart
            )
        except RouteError as exc:
            await self.send(text_data=dumps({"type": "error", "id": request_id, "message": str(exc)}))
            return
        await self.send(text_data=dumps({"type": "route", "id": request_id, "feature": feature}))

    async def circuit_published(self, event: dict) -> None:
        await self.send(text_data=event["frame"])


class LayersConsumer(GuardedConsumer):
    """Tells an open app of each new build of a layer its user may load (tiles.announce does the watching)."""

    # No channel layer: each server process watches the tiles folder itself (tiles/announce.py says why).
    channel_layer_alias = "__layer_watch__"

    async def connect(self) -> None:
        await super().connect()
        await self.send(text_data=await layer_watch.join(self, self.scope.get("user")))

    async def disconnect(self, code: int) -> None:
        layer_watch.leave(self)

    async def handle(self, message: dict) -> None:
        if message.get("type") == "ping":
            await self.send(text_data=dumps({"type": "pong", "t": message.get("t")}))
            return
        await self.send(text_data=dumps({"type": "error", "message": f"unknown message type {message.get('type')!r}"}))

    async def layer_published(self, frame: str) -> None:
        if not self._closing:
            await self.send(text_data=frame)
