"""The GTFS-realtime worker: poll a feed, merge it with the schedule, publish only what changed.

Every ``interval_s`` the worker reads the feed (http(s) URL, file:// URL or
path), keeps the last good FeedMessage, computes the next departures of every
stop (timetable + propagated delays) and the vehicles, diffs them against what
it published before and publishes the changes, each serialised once, with a
per-topic sequence number and the feed's timestamp. A feed that is down,
stale or garbage never stops it: departures fall back to the timetable,
vehicles to the positions the timetable gives them (``"estimated": true``),
and a ``status`` change tells clients "updated N s ago". A feed with trip
updates but no vehicle positions gets estimated vehicles too, delays applied.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from channels.db import database_sync_to_async

from realtime.feed_clock import DepartureClock, ShapeLine
from realtime.gtfs_feed import GTFSFeed
from realtime.gtfs_rt import FeedError, FeedSnapshot, VehiclePositionRecord, parse_feed
from realtime.hub import Change, Publisher, default_publisher
from realtime.models import Feed

__all__ = ["FeedWorker", "TransitState", "dumps"]

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 32 * 1024 * 1024
BOARD_LIMIT = 8
BOARD_HORIZON_S = 2 * 3600
PATH_MAX_POINTS = 64
PATH_MAX_JUMP_M = 3000.0


def dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def age_text(age_s: float | None) -> str:
    if age_s is None:
        return "never updated"
    return f"updated {max(0, round(age_s))} s ago"


@dataclass
class TransitState:
    """What clients currently know, per topic, and the arithmetic that turns new data into changes.

    Pure: no Django, no I/O. ``now`` values are POSIX seconds.
    """

    schedule: GTFSFeed | None = None
    seq_base: int = field(default_factory=lambda: int(time.time() * 1000))
    stale_after_s: float = 90.0
    _clock: DepartureClock | None = None
    _seq: dict[str, int] = field(default_factory=dict)
    _boards: dict[str, str] = field(default_factory=dict)
    _vehicles: dict[str, dict] = field(default_factory=dict)
    _fixes: dict[str, tuple[float, float, str]] = field(default_factory=dict)
    _shapes: dict[str, ShapeLine] = field(default_factory=dict)
    _status: tuple | None = None
    _stop_ids: list[str] = field(default_factory=list)
    _along: dict[str, tuple[str, float]] = field(default_factory=dict)  # estimated vehicle -> (trip, metres along)

    def __post_init__(self) -> None:
        self.set_schedule(self.schedule)

    def set_schedule(self, schedule: GTFSFeed | None) -> None:
        self.schedule = schedule
        self._clock = DepartureClock(schedule) if schedule is not None and schedule.agencies else None
        self._shapes = {}
        if self._clock is None:
            self._stop_ids = []
            return
        served = set(self._clock._index)  # stops with at least one departure
        parents = {schedule.stops[s].parent_station for s in served if schedule.stops[s].parent_station}
        self._stop_ids = sorted(served | parents)

    def next_seq(self, topic: str) -> int:
        seq = self._seq.get(topic, self.seq_base) + 1
        self._seq[topic] = seq
        return seq

    def _change(self, topic: str, body: dict, state: dict, feed_ts: int | None, published_at: float) -> Change:
        seq = self.next_seq(topic)
        frame = dumps(
            {
                "topic": topic,
                "seq": seq,
                "feed_timestamp": feed_ts,
                "published_at": round(published_at * 1000, 1),
                **body,
            }
        )
        return Change(topic, seq, frame, dumps({"seq": seq, "feed_timestamp": feed_ts, **state}))

    # --- departures -------------------------------------------------------------

    def boards(
        self, now: float, snapshot: FeedSnapshot | None, stop_ids: list[str] | None = None
    ) -> dict[str, list[dict]]:
        """stop_id -> next departures (timetable shifted by the snapshot's delays when given), every served stop by
        default."""
        if self._clock is None:
            return {}
        at = datetime.fromtimestamp(now, UTC)
        updates: dict[str, list] = {}
        for tu in snapshot.trip_updates if snapshot is not None else ():
            updates.setdefault(tu.trip_id, []).append(tu)
        routes = self._clock.feed.routes
        out = {}
        for stop_id in self._stop_ids if stop_ids is None else stop_ids:
            rows = []
            for d in self._clock.next_departures(stop_id, at, updates, limit=BOARD_LIMIT, horizon_s=BOARD_HORIZON_S):
                route = routes[d.route_id]
                rows.append(
                    {
                        "trip": d.trip_id,
                        "route": d.route_id,
                        "line": route.short_name or route.long_name,
                        "color": route.color,
                        "text_color": route.text_color,
                        "headsign": d.headsign,
                        "stop": d.stop_id,
                        "scheduled": int(d.scheduled.timestamp()),
                        "expected": int(d.expected.timestamp()),
                        "delay": d.delay,
                        "realtime": d.realtime,
                    }
                )
            out[stop_id] = rows
        return out

    def departure_changes(self, boards: dict[str, list[dict]], feed_ts: int | None, now: float) -> list[Change]:
        changes = []
        for stop_id, rows in boards.items():
            text = dumps(rows)
            if self._boards.get(stop_id) == text:
                continue
            self._boards[stop_id] = text
            body = {"type": "departures", "stop": stop_id, "departures": rows}
            changes.append(self._change(f"stop:{stop_id}", body, {"departures": rows}, feed_ts, now))
        return changes

    # --- vehicles ---------------------------------------------------------------

    def _shape_of(self, trip_id: str) -> ShapeLine | None:
        if self.schedule is None:
            return None
        trip = self.schedule.trips.get(trip_id.partition("@")[0])
        if trip is None or not trip.shape_id or trip.shape_id not in self.schedule.shapes:
            return None
        line = self._shapes.get(trip.shape_id)
        if line is None:
            raw = self.schedule.shapes[trip.shape_id]
            if len(raw.lon) < 2:
                return None
            line = self._shapes[trip.shape_id] = ShapeLine.from_lonlat(raw.lon, raw.lat)
        return line

    def _path(self, vehicle_id: str, vp: VehiclePositionRecord) -> list[list[float]] | None:
        """The shape's vertices from the previous fix to this one, so clients move buses along the street."""
        previous = self._fixes.get(vehicle_id)
        if previous is None or previous[2] != vp.trip_id:
            return None
        line = self._shape_of(vp.trip_id)
        if line is None:
            return None
        d0 = line.project(previous[0], previous[1])
        d1 = line.project(vp.lon, vp.lat, d0)
        if d1 - d0 > PATH_MAX_JUMP_M or d1 <= d0:
            return None
        points = [*line.vertices_between(d0, d1, PATH_MAX_POINTS)[:-1], (vp.lon, vp.lat)]
        return [[round(float(x), 6), round(float(y), 6)] for x, y in points]

    def vehicles(self, snapshot: FeedSnapshot | None) -> dict[str, dict]:
        if snapshot is None:
            return {}
        routes = self.schedule.routes if self.schedule is not None else {}
        trips = self.schedule.trips if self.schedule is not None else {}
        out = {}
        for vp in snapshot.vehicle_positions:
            vehicle_id = vp.vehicle_id or vp.entity_id or vp.trip_id
            route_id = vp.route_id or (trips[vp.trip_id].route_id if vp.trip_id in trips else "")
            route = routes.get(route_id)
            out[vehicle_id] = {
                "id": vehicle_id,
                "trip": vp.trip_id,
                "route": route_id,
                "label": vp.label or (route.short_name if route else ""),
                "color": route.color if route else "FFFFFF",
                "lon": round(vp.lon, 6),
                "lat": round(vp.lat, 6),
                "bearing": None if vp.bearing is None else round(vp.bearing, 1),
                "speed": vp.speed,
                "status": vp.current_status,
                "stop": vp.stop_id,
                "t": vp.timestamp or snapshot.timestamp,
                "path": self._path(vehicle_id, vp),
                "estimated": False,
            }
        return out

    def estimated_vehicles(self, now: float, snapshot: FeedSnapshot | None) -> dict[str, dict]:
        """Vehicles where the timetable puts them at ``now`` (POSIX s), shifted by the snapshot's delays when given.

        Flagged ``"estimated": true``; ids are ``schedule:<service day>:<trip>``,
        never a live vehicle's. ``path`` follows the trip's shape from the
        previous estimate, as for live fixes.
        """
        if self._clock is None:
            return {}
        updates = snapshot.trip_updates if snapshot is not None else ()
        routes = self._clock.feed.routes
        out: dict[str, dict] = {}
        along: dict[str, tuple[str, float]] = {}
        for p in self._clock.positions_at(datetime.fromtimestamp(now, UTC), updates):
            vehicle_id = f"schedule:{p.service_day:%Y%m%d}:{p.trip_id}"
            route = routes.get(p.route_id)
            path = None
            previous = self._along.get(vehicle_id)
            line = self._clock.path_of(p.trip_id)
            if (
                previous is not None
                and line is not None
                and previous[0] == p.trip_id
                and 0 < p.distance - previous[1] <= PATH_MAX_JUMP_M
            ):
                path = [
                    [round(x, 6), round(y, 6)]
                    for x, y in line.shape.vertices_between(previous[1], p.distance, PATH_MAX_POINTS)
                ]
            along[vehicle_id] = (p.trip_id, p.distance)
            out[vehicle_id] = {
                "id": vehicle_id,
                "trip": p.trip_id,
                "route": p.route_id,
                "label": route.short_name if route else "",
                "color": route.color if route else "FFFFFF",
                "lon": round(p.lon, 6),
                "lat": round(p.lat, 6),
                "bearing": round(p.bearing, 1),
                "speed": None,
                "status": p.status,
                "stop": p.stop_id,
                "t": int(now),
                "path": path,
                "estimated": True,
                "delay": p.delay,
            }
        self._along = along
        return out

    def vehicle_changes(self, current: dict[str, dict], feed_ts: int | None, now: float) -> list[Change]:
        def moved(a: dict, b: dict) -> bool:
            keys = ("lon", "lat", "bearing", "status", "stop", "trip", "route")
            return any(a[k] != b[k] for k in keys)

        changed = [v for vid, v in current.items() if vid not in self._vehicles or moved(self._vehicles[vid], v)]
        removed = [vid for vid in self._vehicles if vid not in current]
        previous_routes = {vid: v["route"] for vid, v in self._vehicles.items()}
        self._vehicles = current
        self._fixes = {vid: (v["lon"], v["lat"], v["trip"]) for vid, v in current.items()}
        if not changed and not removed:
            return []
        changes = [
            self._change(
                "vehicles",
                {"type": "vehicles", "vehicles": changed, "removed": removed},
                {"vehicles": list(current.values())},
                feed_ts,
                now,
            )
        ]
        touched_routes = {v["route"] for v in changed} | {previous_routes[vid] for vid in removed}
        for route_id in sorted(touched_routes):
            of_route = [v for v in current.values() if v["route"] == route_id]
            body = {
                "type": "vehicles",
                "route": route_id,
                "vehicles": [v for v in changed if v["route"] == route_id],
                "removed": [vid for vid in removed if previous_routes[vid] == route_id],
            }
            changes.append(self._change(f"route:{route_id}", body, {"vehicles": of_route}, feed_ts, now))
        return changes

    # --- status -----------------------------------------------------------------

    def status_change(
        self, state: str, feed_ts: int | None, now: float, detail: str = "", positions: str = "live"
    ) -> list[Change]:
        """A status change when the state changes, and every cycle while the feed is not fresh (the age moves).

        ``positions`` says where vehicles come from: "live" (the feed's
        vehicle positions) or "estimated" (the timetable).
        """
        age = None if feed_ts is None else now - feed_ts
        key = (state, detail, positions)
        if key == self._status and state == "ok":
            return []
        self._status = key
        body = {
            "type": "status",
            "state": state,
            "age_s": None if age is None else round(age),
            "message": age_text(age),
            "detail": detail,
            "positions": positions,
        }
        return [self._change("status", body, {k: v for k, v in body.items() if k != "type"}, feed_ts, now)]

    def step(self, now: float, last_good: FeedSnapshot | None, state: str, detail: str = "") -> list[Change]:
        """All changes for one cycle. ``last_good`` is the newest parsed FeedMessage, however old."""
        fresh = last_good is not None and (now - last_good.timestamp) <= self.stale_after_s and last_good.timestamp > 0
        if last_good is not None and not fresh and state == "ok":
            state = "stale"
        usable = last_good if fresh else None
        feed_ts = last_good.timestamp if last_good is not None else None
        changes = self.departure_changes(self.boards(now, usable), feed_ts, now)
        vehicles = self.vehicles(usable)
        positions = "live"
        if not vehicles:  # no live position (feed down, stale, garbage, or without VehiclePositions): the timetable's
            vehicles, positions = self.estimated_vehicles(now, usable), "estimated"
        else:
            self._along = {}
        changes += self.vehicle_changes(vehicles, feed_ts, now)
        changes += self.status_change(state, feed_ts, now, detail, positions)
        return changes


def read_feed_bytes(url: str, timeout_s: float) -> bytes:
    """The bytes at an http(s) URL, a file:// URL or a path (blocking; run it in a thread)."""
    if url.startswith(("http://", "https://")):
        request = urllib.request.Request(
            url, headers={"User-Agent": "jumeau-transit-worker/0.1", "Accept": "application/x-protobuf"}
        )
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            data = response.read(MAX_FEED_BYTES + 1)
    else:
        data = Path(url.removeprefix("file://")).read_bytes()
    if len(data) > MAX_FEED_BYTES:
        raise FeedError(f"the feed is larger than {MAX_FEED_BYTES >> 20} MiB")
    return data


def load_active_schedule() -> tuple[str, GTFSFeed | None]:
    """(checksum, GTFSFeed) of the active feed, or ("", None); synchronous ORM."""
    feed = Feed.objects.current()
    if feed is None:
        return "", None
    return feed.checksum, feed.to_gtfs()


class FeedWorker:
    """The async loop around TransitState: fetch, parse, compute, publish; never raises out of ``run``."""

    def __init__(
        self,
        feed_url: str,
        interval_s: float = 5.0,
        *,
        publisher: Publisher | None = None,
        schedule: GTFSFeed | None = None,
        stale_after_s: float = 90.0,
        schedule_check_s: float = 60.0,
        clock=time.time,
    ) -> None:
        self.feed_url = feed_url
        self.interval_s = interval_s
        self.publisher = publisher
        self.clock = clock
        self.state = TransitState(stale_after_s=stale_after_s)
        self._fixed_schedule = schedule
        self._schedule_checksum: str | None = None
        self._schedule_checked = -1e18
        self.schedule_check_s = schedule_check_s
        self.last_good: FeedSnapshot | None = None
        self.last_error = ""
        self.cycles = 0

    async def _refresh_schedule(self) -> None:
        if self._fixed_schedule is not None:
            if self.state.schedule is not self._fixed_schedule:
                await asyncio.to_thread(self.state.set_schedule, self._fixed_schedule)
            return
        if time.monotonic() - self._schedule_checked < self.schedule_check_s:
            return
        self._schedule_checked = time.monotonic()

        current = await database_sync_to_async(
            lambda: Feed.objects.filter(active=True).values_list("checksum", flat=True).first()
        )()
        if current == self._schedule_checksum:
            return
        checksum, schedule = await database_sync_to_async(load_active_schedule)()
        await asyncio.to_thread(self.state.set_schedule, schedule)
        self._schedule_checksum = checksum
        log.info("transit worker: schedule %s", checksum[:12] if checksum else "none (no GTFS feed imported)")

    async def fetch(self) -> tuple[str, str]:
        """Read and parse the feed; returns (state, detail) and keeps the snapshot when it is good."""
        try:
            data = await asyncio.to_thread(read_feed_bytes, self.feed_url, max(2.0, self.interval_s * 2))
        except (OSError, urllib.error.URLError, ValueError) as exc:
            return "down", f"{self.feed_url}: {getattr(exc, 'reason', exc)}"
        try:
            snapshot = parse_feed(data)
        except FeedError as exc:
            return "garbage", str(exc)
        # A producer restarting with an older clock must not roll the boards back.
        if self.last_good is None or snapshot.timestamp >= self.last_good.timestamp:
            self.last_good = snapshot
        return "ok", ""

    async def step(self) -> list[Change]:
        await self._refresh_schedule()
        state, detail = await self.fetch()
        if detail and detail != self.last_error:
            log.warning("transit worker: feed %s: %s", state, detail)
        self.last_error = detail
        changes = await asyncio.to_thread(self.state.step, self.clock(), self.last_good, state, detail)
        publisher = self.publisher or default_publisher()
        await publisher.publish(changes)
        self.cycles += 1
        return changes

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set."""
        log.info("transit worker: reading %s every %.1f s", self.feed_url, self.interval_s)
        while not stop.is_set():
            started = time.monotonic()
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug in one cycle must not end the service; the next cycle retries
                log.exception("transit worker: cycle failed")
            remaining = self.interval_s - (time.monotonic() - started)
            try:
                await asyncio.wait_for(stop.wait(), timeout=max(0.05, remaining))
            except TimeoutError:
                pass
