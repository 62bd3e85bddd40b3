"""A deterministic GTFS-realtime producer for a static feed, and a stdlib HTTP server for it."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from realtime.feed_clock import TripPath, position_at, trip_path
from realtime.gtfs_feed import GTFSFeed, expand_frequencies
from realtime.gtfs_rt import (
    AlertRecord,
    InformedEntity,
    StopTimeUpdateRecord,
    TripUpdateRecord,
    VehiclePositionRecord,
    build_feed,
)
from realtime.service_calendar import ServiceCalendar, service_day_origin, service_days_covering

__all__ = ["FeedSimulator", "SimulatedFeed", "serve"]

# Local hours (start, end) when traffic makes buses drift late faster.
RUSH_HOURS = ((7.0, 9.5), (16.5, 19.0))
ALERT_TEMPLATES = (
    ("CONSTRUCTION", "DETOUR", "Travaux : déviation de la ligne {line}", "Roadworks: line {line} is diverted"),
    (
        "ACCIDENT",
        "SIGNIFICANT_DELAYS",
        "Accident : retards importants sur la ligne {line}",
        "Accident: long delays on line {line}",
    ),
    (
        "SPECIAL_EVENT",
        "MODIFIED_SERVICE",
        "Événement : service modifié sur la ligne {line}",
        "Event: modified service on line {line}",
    ),
    (
        "WEATHER",
        "REDUCED_SERVICE",
        "Intempéries : service réduit sur la ligne {line}",
        "Bad weather: reduced service on line {line}",
    ),
)


@dataclass(frozen=True, slots=True)
class SimulatedFeed:
    timestamp: int  # POSIX seconds
    trip_updates: tuple[TripUpdateRecord, ...]
    vehicle_positions: tuple[VehiclePositionRecord, ...]
    alerts: tuple[AlertRecord, ...]


class FeedSimulator:
    """Realtime state of every trip at any instant, from the timetable and a seed.

    Each trip instance (trip, service day) has one hidden delay history — a
    random walk along its calls, steeper at rush hours — drawn from a
    generator seeded by (seed, trip, day). A snapshot at t reveals what a
    real AVL system would know then: the delay observed at the last call
    passed, predicted to hold for the rest of the trip. So the output is a
    pure function of (seed, t) and successive snapshots are consistent.
    """

    def __init__(
        self,
        schedule: GTFSFeed,
        seed: int = 0,
        cancel_probability: float = 0.02,
        alert_probability_per_hour: float = 0.2,
        announce_s: int = 1800,
    ) -> None:
        self.feed = expand_frequencies(schedule)
        self.tz = schedule.timezone
        self.calendar = ServiceCalendar.from_feed(schedule)
        self.seed = seed
        self.cancel_probability = cancel_probability
        self.alert_probability_per_hour = alert_probability_per_hour
        # TripUpdates appear this long before a trip leaves, as passenger apps expect.
        self.announce_s = announce_s
        self._spans = {
            trip_id: (calls[0].departure, calls[-1].arrival)
            for trip_id, calls in self.feed.stop_times.items()
            if len(calls) >= 2
        }
        self.max_time_s = max((end for _, end in self._spans.values()), default=0)
        self._paths: dict[tuple[str, tuple[str, ...]], TripPath] = {}

    def _rng(self, *parts: object) -> np.random.Generator:
        # Python's hash() is salted per process; a digest keeps runs reproducible.
        key = "|".join(str(p) for p in (self.seed, *parts)).encode()
        return np.random.default_rng(int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little"))

    def delay_profile(self, trip_id: str, day: date) -> np.ndarray:
        """Actual departure delay (s) at each call of a trip instance."""
        calls = self.feed.stop_times[trip_id]
        rng = self._rng("delay", trip_id, day.isoformat())
        hours = np.array([(c.departure / 3600.0) % 24 for c in calls])
        rush = np.zeros(len(calls))
        for start, end in RUSH_HOURS:
            rush[(hours >= start) & (hours < end)] = 1.0
        steps = rng.normal(10.0 + 25.0 * rush, 20.0 + 30.0 * rush)
        steps[0] = rng.normal(20.0 + 60.0 * rush[0], 45.0)
        # A bus may run a minute early but drivers hold at timepoints rather than run earlier.
        return np.maximum(np.cumsum(steps), -60.0).round()

    def is_canceled(self, trip_id: str, day: date) -> bool:
        return bool(self._rng("cancel", trip_id, day.isoformat()).random() < self.cancel_probability)

    def _path(self, trip_id: str) -> TripPath:
        key = (self.feed.trips[trip_id].shape_id, tuple(c.stop_id for c in self.feed.stop_times[trip_id]))
        if key not in self._paths:
            self._paths[key] = trip_path(self.feed, trip_id)
        return self._paths[key]

    def snapshot(self, at: datetime) -> SimulatedFeed:
        """Trip updates, vehicle positions and alerts as a producer would publish them at ``at`` (aware)."""
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        now = at.timestamp()
        updates: list[TripUpdateRecord] = []
        vehicles: list[VehiclePositionRecord] = []
        for day in service_days_covering(at, self.tz, self.max_time_s + 3600):
            services = self.calendar.services_on(day)
            origin = service_day_origin(day, self.tz).timestamp()
            t = now - origin
            for trip_id, (first, last) in self._spans.items():
                trip = self.feed.trips[trip_id]
                if trip.service_id not in services or t < first - self.announce_s or t > last + 3600:
                    continue
                tu, vp = self._trip_state(trip_id, day, origin, now)
                if tu is not None:
                    updates.append(tu)
                if vp is not None:
                    vehicles.append(vp)
        return SimulatedFeed(int(now), tuple(updates), tuple(vehicles), self._alerts(now))

    def _trip_state(
        self, trip_id: str, day: date, origin: float, now: float
    ) -> tuple[TripUpdateRecord | None, VehiclePositionRecord | None]:
        calls = self.feed.stop_times[trip_id]
        trip = self.feed.trips[trip_id]
        base, _, start_time = trip_id.partition("@")
        descriptor = dict(trip_id=base, route_id=trip.route_id, start_date=day, start_time=start_time or None)
        if self.is_canceled(trip_id, day):
            if now > origin + calls[-1].arrival:
                return None, None
            return TripUpdateRecord(
                entity_id=f"tu-{trip_id}-{day:%Y%m%d}",
                schedule_relationship="CANCELED",
                timestamp=int(now),
                **descriptor,
            ), None
        delays = self.delay_profile(trip_id, day)
        arrivals = origin + np.array([c.arrival for c in calls], dtype=np.float64) + delays
        departures = origin + np.array([c.departure for c in calls], dtype=np.float64) + delays
        # Keep the expected times in order even when a delay shrinks faster than the bus can run.
        both = np.maximum.accumulate(np.column_stack([arrivals, departures]).ravel())
        arrivals, departures = both[0::2], both[1::2]
        if now > arrivals[-1]:
            return None, None
        passed = int(np.searchsorted(departures, now, side="right")) - 1
        observed = int(delays[max(passed, 0)])
        nxt = min(passed + 1, len(calls) - 1)
        vehicle_id = (
            f"envibus-{int.from_bytes(hashlib.blake2b(trip_id.encode(), digest_size=2).digest(), 'little') % 900 + 100}"
        )
        update = TripUpdateRecord(
            entity_id=f"tu-{trip_id}-{day:%Y%m%d}",
            vehicle_id=vehicle_id,
            timestamp=int(now),
            stop_time_updates=(
                StopTimeUpdateRecord(
                    stop_sequence=calls[nxt].stop_sequence,
                    stop_id=calls[nxt].stop_id,
                    arrival_delay=observed,
                    departure_delay=observed,
                ),
            ),
            **descriptor,
        )
        fix = position_at(self._path(trip_id), arrivals, departures, now)
        if fix is None:
            return update, None
        speed = 0.0
        if fix.status == "IN_TRANSIT_TO":
            k = fix.call_index
            path = self._path(trip_id)
            span = arrivals[k] - departures[k - 1]
            speed = float((path.distances[k] - path.distances[k - 1]) / span) if span > 0 else 0.0
        route = self.feed.routes[trip.route_id]
        vehicle = VehiclePositionRecord(
            lat=fix.y,
            lon=fix.x,
            entity_id=f"vp-{vehicle_id}-{trip_id}",
            vehicle_id=vehicle_id,
            label=route.short_name or route.long_name,
            bearing=round(fix.bearing, 1),
            speed=round(speed, 2),
            timestamp=int(now),
            current_stop_sequence=calls[fix.call_index].stop_sequence,
            stop_id=calls[fix.call_index].stop_id,
            current_status=fix.status,
            **descriptor,
        )
        return update, vehicle

    def _alerts(self, now: float) -> tuple[AlertRecord, ...]:
        hour = int(now // 3600)
        rng = self._rng("alert", hour)
        if rng.random() >= self.alert_probability_per_hour or not self.feed.routes:
            return ()
        route_ids = sorted(self.feed.routes)
        route = self.feed.routes[route_ids[int(rng.integers(len(route_ids)))]]
        cause, effect, fr, en = ALERT_TEMPLATES[int(rng.integers(len(ALERT_TEMPLATES)))]
        line = route.short_name or route.long_name
        return (
            AlertRecord(
                entity_id=f"alert-{hour}",
                header={"fr": fr.format(line=line), "en": en.format(line=line)},
                active_periods=((hour * 3600, (hour + 1) * 3600),),
                informed=(InformedEntity(route_id=route.route_id),),
                cause=cause,
                effect=effect,
            ),
        )

    def feed_message(self, at: datetime, part: str = "feed") -> bytes:
        """FeedMessage bytes at ``at``; ``part`` is feed, trip-updates, vehicle-positions or alerts."""
        snap = self.snapshot(at)
        selected = {
            "feed": (snap.trip_updates, snap.vehicle_positions, snap.alerts),
            "trip-updates": (snap.trip_updates, (), ()),
            "vehicle-positions": ((), snap.vehicle_positions, ()),
            "alerts": ((), (), snap.alerts),
        }
        if part not in selected:
            raise ValueError(f"unknown feed part {part!r}; expected one of {', '.join(selected)}")
        return build_feed(snap.timestamp, *selected[part])


def serve(
    schedule: GTFSFeed,
    host: str = "127.0.0.1",
    port: int = 8089,
    *,
    seed: int = 0,
    clock: Callable[[], datetime] | None = None,
) -> ThreadingHTTPServer:
    """Serve /feed, /trip-updates, /vehicle-positions and /alerts as application/x-protobuf.

    The server runs in a daemon thread and is returned already listening
    (``port=0`` picks a free port: see ``server.server_address``); stop it
    with ``server.shutdown(); server.server_close()``. ``clock`` returns the
    simulated now (aware datetime), wall-clock UTC by default — pass a
    shifted clock to replay another day.
    """
    simulator = FeedSimulator(schedule, seed=seed)
    now = clock or (lambda: datetime.now(UTC))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            part = self.path.split("?", 1)[0].strip("/")
            if part not in ("feed", "trip-updates", "vehicle-positions", "alerts"):
                self.send_error(404, "try /feed, /trip-updates, /vehicle-positions or /alerts")
                return
            # The simulator's path cache is shared; one snapshot at a time keeps it consistent.
            with lock:
                body = simulator.feed_message(now(), part)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # a poller every few seconds would flood the console

    server = ThreadingHTTPServer((host, port), Handler)
    thread = threading.Thread(target=server.serve_forever, name="gtfs-rt-simulator", daemon=True)
    thread.start()
    return server
