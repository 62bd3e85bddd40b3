"""The departure clock: timetable plus GTFS-realtime delays, and vehicle positions along shapes (live or from the
timetable)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from realtime.gtfs_feed import GTFSFeed, Stop, StopTime, expand_frequencies, format_gtfs_time, parse_gtfs_time
from realtime.gtfs_rt import TripUpdateRecord
from realtime.service_calendar import ServiceCalendar, service_day_origin, service_days_covering

__all__ = [
    "CallEstimate",
    "Departure",
    "DepartureClock",
    "ScheduledPosition",
    "ShapeLine",
    "TripPath",
    "VehicleFix",
    "interpolate_fixes",
    "position_at",
    "propagate_delays",
    "stop_distances",
    "trip_path",
]

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class CallEstimate:
    """Realtime estimate for one call; delays in seconds, None when the feed says nothing."""

    stop_sequence: int
    stop_id: str
    arrival_delay: int | None
    departure_delay: int | None
    skipped: bool = False

    @property
    def realtime(self) -> bool:
        return self.departure_delay is not None


def _match_updates(calls: Sequence[StopTime], update: TripUpdateRecord) -> dict[int, int]:
    """Call index -> index of the stop_time_update about it (by stop_sequence, else by stop_id in order)."""
    by_sequence = {c.stop_sequence: i for i, c in enumerate(calls)}
    matched: dict[int, int] = {}
    cursor = 0
    for u, stu in enumerate(update.stop_time_updates):
        index: int | None = None
        if stu.stop_sequence is not None:
            index = by_sequence.get(stu.stop_sequence)
        elif stu.stop_id:
            # A loop line calls twice at one stop: take the first call not before the previous match.
            index = next((i for i in range(cursor, len(calls)) if calls[i].stop_id == stu.stop_id), None)
        if index is not None:
            matched[index] = u
            cursor = index
    return matched


def propagate_delays(
    calls: Sequence[StopTime], update: TripUpdateRecord | None, origin: datetime
) -> list[CallEstimate]:
    """Per-call delays of one trip instance under GTFS-realtime propagation rules.

    A stop_time_update's delay holds for the following calls until the next
    update; NO_DATA stops propagation; a SKIPPED call keeps the upstream delay
    flowing past it. Calls before the first update take the trip-wide
    ``delay`` when given, else have no estimate. Absolute ``time`` values
    (POSIX seconds) become delays against the schedule counted from
    ``origin``, the service day's noon-minus-12h instant (aware).
    """
    if update is None:
        return [CallEstimate(c.stop_sequence, c.stop_id, None, None) for c in calls]
    matched = _match_updates(calls, update)
    origin_ts = origin.timestamp()
    current = update.delay
    out = []
    for i, call in enumerate(calls):
        u = matched.get(i)
        if u is None:
            out.append(CallEstimate(call.stop_sequence, call.stop_id, current, current))
            continue
        stu = update.stop_time_updates[u]
        if stu.schedule_relationship == "NO_DATA":
            current = None
            out.append(CallEstimate(call.stop_sequence, call.stop_id, None, None))
            continue
        if stu.schedule_relationship == "SKIPPED":
            out.append(CallEstimate(call.stop_sequence, call.stop_id, current, current, skipped=True))
            continue
        arrival = stu.arrival_delay
        if arrival is None and stu.arrival_time is not None:
            arrival = round(stu.arrival_time - origin_ts - call.arrival)
        departure = stu.departure_delay
        if departure is None and stu.departure_time is not None:
            departure = round(stu.departure_time - origin_ts - call.departure)
        if arrival is None:
            arrival = departure if departure is not None else current
        if departure is None:
            # Without a departure prediction the bus is assumed to leave as late as it arrived.
            departure = arrival
        out.append(CallEstimate(call.stop_sequence, call.stop_id, arrival, departure))
        current = departure
    return out


@dataclass(frozen=True, slots=True)
class ScheduledPosition:
    """Where the timetable (shifted by the delays known, if any) puts one trip instance.

    ``lon``/``lat`` WGS84 degrees, ``bearing`` degrees clockwise from north,
    ``distance`` metres along the trip's path, ``delay`` the seconds applied
    at the call it is at or heading to (None: the timetable alone).
    """

    trip_id: str
    route_id: str
    service_day: date
    lon: float
    lat: float
    bearing: float
    distance: float
    status: str  # STOPPED_AT or IN_TRANSIT_TO
    stop_id: str
    delay: int | None


@dataclass(frozen=True, slots=True)
class Departure:
    """A departure from a stop; instants are aware UTC datetimes, ``delay`` seconds."""

    stop_id: str
    trip_id: str
    route_id: str
    headsign: str
    service_day: date
    stop_sequence: int
    scheduled: datetime
    expected: datetime
    delay: int
    realtime: bool
    canceled: bool = False
    skipped: bool = False


class DepartureClock:
    """Next departures per stop from a static feed and the latest TripUpdates.

    Frequency-based trips are expanded; their instances are matched to
    TripUpdates by trip_id plus start_time, as GTFS-realtime requires.
    """

    def __init__(self, feed: GTFSFeed, lookback_s: int = 2 * 3600) -> None:
        self.feed = expand_frequencies(feed)
        self.tz = feed.timezone
        self.calendar = ServiceCalendar.from_feed(feed)
        # Scheduled departures this long before t are still examined: a late bus is still to come.
        self.lookback_s = lookback_s
        self._children: dict[str, list[str]] = {}
        for stop in feed.stops.values():
            if stop.parent_station:
                self._children.setdefault(stop.parent_station, []).append(stop.stop_id)
        self._index: dict[str, tuple[list[int], list[tuple[str, int]]]] = {}
        entries: dict[str, list[tuple[int, str, int]]] = {}
        max_time = 0
        for trip_id, calls in self.feed.stop_times.items():
            for i, call in enumerate(calls[:-1]):  # the terminus has arrivals only
                if call.pickup_type == 1:
                    continue
                entries.setdefault(call.stop_id, []).append((call.departure, trip_id, i))
            if calls:
                max_time = max(max_time, calls[-1].arrival)
        for stop_id, items in entries.items():
            items.sort()
            self._index[stop_id] = ([e[0] for e in items], [(e[1], e[2]) for e in items])
        self.max_time_s = max_time
        # Trip instances on the road at t: scheduled first departure <= t <= last arrival, found by bisection.
        spans = sorted(
            (calls[0].departure, calls[-1].arrival, trip_id)
            for trip_id, calls in self.feed.stop_times.items()
            if len(calls) >= 2
        )
        self._span_starts = [span[0] for span in spans]
        self._spans = spans
        self._max_span_s = max((end - start for start, end, _ in spans), default=0)
        self._paths: dict[tuple, TripPath | None] = {}

    def stops_of(self, stop_id: str) -> list[str]:
        """A stop itself, or the platforms of a station."""
        return self._children.get(stop_id, []) or [stop_id]

    def trip_update_for(self, trip_id: str, day: date, updates: Iterable[TripUpdateRecord]) -> TripUpdateRecord | None:
        base, _, start = trip_id.partition("@")
        for update in updates:
            if update.trip_id != base:
                continue
            if update.start_date is not None and update.start_date != day:
                continue
            if start and update.start_time and format_gtfs_time(parse_gtfs_time(update.start_time)) != start:
                continue
            return update
        return None

    def estimates(self, trip_id: str, day: date, updates: Iterable[TripUpdateRecord] = ()) -> list[CallEstimate]:
        """Delays of every call of a trip instance on service day ``day``."""
        update = self.trip_update_for(trip_id, day, _by_trip(updates).get(trip_id.partition("@")[0], []))
        return propagate_delays(self.feed.stop_times[trip_id], update, service_day_origin(day, self.tz))

    def next_departures(
        self,
        stop_id: str,
        at: datetime,
        trip_updates: Iterable[TripUpdateRecord] = (),
        limit: int = 10,
        horizon_s: int = 2 * 3600,
        include_canceled: bool = False,
    ) -> list[Departure]:
        """Departures from ``stop_id`` (or a station's platforms) expected in [at, at + horizon_s].

        ``at`` is an aware datetime. Each departure is flagged ``realtime``
        when a TripUpdate covers it, else it is the timetable time.
        Canceled trips and skipped calls are left out unless
        ``include_canceled``.
        """
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        by_trip = _by_trip(trip_updates)
        found: list[Departure] = []
        end = at + timedelta(seconds=horizon_s)
        for day in service_days_covering(at, self.tz, self.max_time_s + self.lookback_s):
            services = self.calendar.services_on(day)
            origin = service_day_origin(day, self.tz)
            lo = (at - origin).total_seconds() - self.lookback_s
            hi = (end - origin).total_seconds()
            cache: dict[str, list[CallEstimate]] = {}
            for sid in self.stops_of(stop_id):
                times, refs = self._index.get(sid, ([], []))
                for k in range(bisect.bisect_left(times, lo), bisect.bisect_right(times, hi)):
                    trip_id, i = refs[k]
                    trip = self.feed.trips[trip_id]
                    if trip.service_id not in services:
                        continue
                    update = self.trip_update_for(trip_id, day, by_trip.get(trip_id.partition("@")[0], []))
                    canceled = update is not None and update.schedule_relationship == "CANCELED"
                    if trip_id not in cache:
                        cache[trip_id] = propagate_delays(
                            self.feed.stop_times[trip_id], None if canceled else update, origin
                        )
                    estimate = cache[trip_id][i]
                    call = self.feed.stop_times[trip_id][i]
                    delay = estimate.departure_delay or 0
                    scheduled = origin + timedelta(seconds=call.departure)
                    expected = scheduled + timedelta(seconds=delay)
                    if not (at <= expected <= end):
                        continue
                    if (canceled or estimate.skipped) and not include_canceled:
                        continue
                    route = self.feed.routes[trip.route_id]
                    found.append(
                        Departure(
                            sid,
                            trip_id,
                            route.route_id,
                            call.headsign or trip.headsign,
                            day,
                            call.stop_sequence,
                            scheduled,
                            expected,
                            delay,
                            estimate.realtime or canceled,
                            canceled,
                            estimate.skipped,
                        )
                    )
        found.sort(key=lambda d: (d.expected, d.trip_id))
        return found[:limit]

    def path_of(self, trip_id: str) -> TripPath | None:
        """The trip's geographic path (cached per shape and stop pattern), None when it cannot be drawn."""
        calls = self.feed.stop_times[trip_id]
        shape_id = self.feed.trips[trip_id].shape_id
        key = (shape_id, tuple(c.stop_id for c in calls), tuple(c.shape_dist_traveled for c in calls))
        if key not in self._paths:
            try:
                self._paths[key] = trip_path(self.feed, trip_id)
            except (KeyError, ValueError):  # a shape missing from the feed, or a stop without coordinates
                self._paths[key] = None
        return self._paths[key]

    def positions_at(self, at: datetime, trip_updates: Iterable[TripUpdateRecord] = ()) -> list[ScheduledPosition]:
        """Every trip instance the timetable has on the road at ``at`` (aware), placed along its path.

        Between calls a vehicle moves at constant speed along its shape (or
        the straight line between its stops when the trip has none); during a
        dwell it stands at the stop. A trip instance with a TripUpdate is
        shifted by its propagated delays (and left out when canceled); the
        others follow the timetable. Trips whose path cannot be drawn are left
        out. Sorted by trip id.
        """
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        by_trip = _by_trip(trip_updates)
        found: list[ScheduledPosition] = []
        for day in service_days_covering(at, self.tz, self.max_time_s + self.lookback_s):
            services = self.calendar.services_on(day)
            origin = service_day_origin(day, self.tz)
            t = (at - origin).total_seconds()
            # A late trip is still on the road up to lookback_s after its scheduled end.
            lo = bisect.bisect_left(self._span_starts, t - self._max_span_s - self.lookback_s)
            hi = bisect.bisect_right(self._span_starts, t)
            for _start, end, trip_id in self._spans[lo:hi]:
                trip = self.feed.trips[trip_id]
                if trip.service_id not in services:
                    continue
                candidates = by_trip.get(trip_id.partition("@")[0])
                update = self.trip_update_for(trip_id, day, candidates) if candidates else None
                if update is None and t > end:
                    continue
                if update is not None and update.schedule_relationship == "CANCELED":
                    continue
                found_at = self._place(trip_id, day, origin, t, update)
                if found_at is not None:
                    found.append(found_at)
        found.sort(key=lambda p: (p.trip_id, p.service_day))
        return found

    def _place(
        self, trip_id: str, day: date, origin: datetime, t: float, update: TripUpdateRecord | None
    ) -> ScheduledPosition | None:
        calls = self.feed.stop_times[trip_id]
        arrivals = np.array([c.arrival for c in calls], dtype=np.float64)
        departures = np.array([c.departure for c in calls], dtype=np.float64)
        delays: list[int | None] = [None] * len(calls)
        if update is not None:
            estimates = propagate_delays(calls, update, origin)
            arrivals += [e.arrival_delay or 0 for e in estimates]
            departures += [e.departure_delay or 0 for e in estimates]
            delays = [e.departure_delay for e in estimates]
            # Predictions may cross (a bus catching up): time along the trip must not run backwards.
            arrivals = np.maximum.accumulate(arrivals)
            departures = np.maximum.accumulate(np.maximum(departures, arrivals))
        path = self.path_of(trip_id)
        if path is None:
            return None
        fix = position_at(path, arrivals, departures, t)
        if fix is None:
            return None
        call = calls[fix.call_index]
        return ScheduledPosition(
            trip_id,
            self.feed.trips[trip_id].route_id,
            day,
            fix.x,
            fix.y,
            fix.bearing,
            fix.distance,
            fix.status,
            call.stop_id,
            delays[fix.call_index],
        )


def _by_trip(updates: Iterable[TripUpdateRecord]) -> dict[str, list[TripUpdateRecord]]:
    if isinstance(updates, dict):
        return updates
    index: dict[str, list[TripUpdateRecord]] = {}
    for update in updates:
        index.setdefault(update.trip_id, []).append(update)
    return index


# --- vehicle positions -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShapeLine:
    """A polyline with cumulative distance in metres.

    ``x``/``y`` are either lon/lat in WGS84 degrees (``geographic``) or
    metres of a projected CRS. Geographic lines are measured on a local
    equirectangular plane around their mean latitude: at city scale (tens of
    km) that is within 0.1 % of the geodesic and keeps projection and
    bearings simple.
    """

    x: np.ndarray
    y: np.ndarray
    d: np.ndarray
    geographic: bool
    _mx: np.ndarray
    _my: np.ndarray

    @classmethod
    def from_lonlat(cls, lon: Sequence[float] | np.ndarray, lat: Sequence[float] | np.ndarray) -> ShapeLine:
        lon_a, lat_a = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        k = math.radians(1.0) * EARTH_RADIUS_M
        mx = (lon_a - lon_a.mean()) * k * math.cos(math.radians(float(lat_a.mean())))
        my = (lat_a - lat_a.mean()) * k
        return cls._build(lon_a, lat_a, mx, my, True)

    @classmethod
    def from_xy(cls, x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> ShapeLine:
        x_a, y_a = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        return cls._build(x_a, y_a, x_a, y_a, False)

    @classmethod
    def _build(cls, x: np.ndarray, y: np.ndarray, mx: np.ndarray, my: np.ndarray, geographic: bool) -> ShapeLine:
        if len(x) < 2:
            raise ValueError("a shape needs at least two points")
        d = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(mx), np.diff(my)))])
        return cls(x, y, d, geographic, mx, my)

    @property
    def length(self) -> float:
        return float(self.d[-1])

    def _to_metric(self, px: float, py: float) -> tuple[float, float]:
        if not self.geographic:
            return px, py
        k = math.radians(1.0) * EARTH_RADIUS_M
        lon0, lat0 = float(self.x.mean()), float(self.y.mean())
        return (px - lon0) * k * math.cos(math.radians(lat0)), (py - lat0) * k

    def locate(self, distance: float) -> tuple[float, float, float]:
        """(x, y, bearing) at ``distance`` metres along; bearing degrees clockwise from north."""
        dist = min(max(distance, 0.0), self.length)
        i = int(np.searchsorted(self.d, dist, side="right")) - 1
        i = min(max(i, 0), len(self.d) - 2)
        # Zero-length segments (repeated points) have no direction: look ahead for one that has.
        j = i
        while j < len(self.d) - 2 and self.d[j + 1] == self.d[j]:
            j += 1
        seg = self.d[i + 1] - self.d[i]
        f = 0.0 if seg == 0 else (dist - self.d[i]) / seg
        x = float(self.x[i] + f * (self.x[i + 1] - self.x[i]))
        y = float(self.y[i] + f * (self.y[i + 1] - self.y[i]))
        dx, dy = self._mx[j + 1] - self._mx[j], self._my[j + 1] - self._my[j]
        bearing = math.degrees(math.atan2(dx, dy)) % 360.0
        return x, y, bearing

    def vertices_between(self, d0: float, d1: float, limit: int = 64) -> list[tuple[float, float]]:
        """The line from ``d0`` to ``d1`` metres along: both ends and at most ``limit`` vertices between."""
        inner = [i for i in range(len(self.d)) if d0 < self.d[i] < d1][:limit]
        return [self.locate(d0)[:2], *[(float(self.x[i]), float(self.y[i])) for i in inner], self.locate(d1)[:2]]

    def project(self, px: float, py: float, min_distance: float = 0.0) -> float:
        """Distance along (metres) of the point of the line nearest to (px, py), not before ``min_distance``.

        ``px``/``py`` are in the line's coordinates (lon/lat degrees or projected metres).
        """
        qx, qy = self._to_metric(px, py)
        ax, ay, bx, by = self._mx[:-1], self._my[:-1], self._mx[1:], self._my[1:]
        vx, vy = bx - ax, by - ay
        seg2 = vx * vx + vy * vy
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(seg2 > 0, ((qx - ax) * vx + (qy - ay) * vy) / seg2, 0.0)
        f = np.clip(f, 0.0, 1.0)
        along = self.d[:-1] + f * (self.d[1:] - self.d[:-1])
        # Points before min_distance are clamped to it, so a loop line cannot send a stop backwards.
        along = np.maximum(along, min_distance)
        cx = np.interp(along, self.d, self._mx)
        cy = np.interp(along, self.d, self._my)
        err = (cx - qx) ** 2 + (cy - qy) ** 2
        return float(along[int(np.argmin(err))])


def stop_distances(
    shape: ShapeLine,
    stops: Sequence[Stop],
    feed_dist: Sequence[float | None] | None = None,
    shape_feed_dist: np.ndarray | None = None,
) -> np.ndarray:
    """Distance in metres along ``shape`` of each call's stop, non-decreasing.

    When the feed gives shape_dist_traveled both on the calls (``feed_dist``)
    and on the shape points (``shape_feed_dist``, in the same, arbitrary
    unit) they are mapped to metres by interpolation — unambiguous on loops.
    Otherwise stops are projected onto the shape in order.
    """
    if (
        feed_dist is not None
        and shape_feed_dist is not None
        and len(shape_feed_dist) == len(shape.d)
        and all(v is not None for v in feed_dist)
    ):
        return np.interp(np.asarray(feed_dist, dtype=np.float64), shape_feed_dist, shape.d)
    out = np.empty(len(stops))
    last = 0.0
    for k, stop in enumerate(stops):
        last = shape.project(stop.lon, stop.lat, last)
        out[k] = last
    return out


@dataclass(frozen=True, slots=True)
class TripPath:
    """A trip's shape and where along it (metres) each call is."""

    shape: ShapeLine
    distances: np.ndarray


def trip_path(feed: GTFSFeed, trip_id: str) -> TripPath:
    """The geographic (lon/lat) path of a trip: its shape, or straight lines between its stops."""
    calls = feed.stop_times[trip_id]
    stops = [feed.stops[c.stop_id] for c in calls]
    shape_id = feed.trips[trip_id].shape_id
    if shape_id:
        raw = feed.shapes[shape_id]
        line = ShapeLine.from_lonlat(raw.lon, raw.lat)
        return TripPath(line, stop_distances(line, stops, [c.shape_dist_traveled for c in calls], raw.dist))
    line = ShapeLine.from_lonlat([s.lon for s in stops], [s.lat for s in stops])
    return TripPath(line, line.d.copy())


@dataclass(frozen=True, slots=True)
class VehicleFix:
    """A vehicle's place: x/y in the shape's coordinates, bearing degrees from north, distance metres."""

    x: float
    y: float
    bearing: float
    distance: float
    status: str  # STOPPED_AT or IN_TRANSIT_TO
    call_index: int  # the call the vehicle is at, or heading to


def position_at(
    path: TripPath, arrivals: Sequence[float] | np.ndarray, departures: Sequence[float] | np.ndarray, t: float
) -> VehicleFix | None:
    """Where a vehicle is at ``t`` along its path, or None outside [first departure, last arrival].

    ``arrivals``/``departures`` are the expected (delayed) times of every
    call, and ``t`` is in the same unit (e.g. POSIX seconds). Between calls
    the vehicle moves at constant speed along the shape; during a dwell it
    stands at the stop.
    """
    arr = np.asarray(arrivals, dtype=np.float64)
    dep = np.asarray(departures, dtype=np.float64)
    if len(arr) == 0 or t < dep[0] or t > arr[-1]:
        return None
    # Index of the last call whose arrival is not after t.
    i = int(np.searchsorted(arr, t, side="right")) - 1
    if i >= 0 and (t <= dep[i] or i == len(arr) - 1):
        x, y, bearing = path.shape.locate(float(path.distances[i]))
        return VehicleFix(x, y, bearing, float(path.distances[i]), "STOPPED_AT", i)
    i = max(i, 0)
    span = arr[i + 1] - dep[i]
    f = 1.0 if span <= 0 else (t - dep[i]) / span
    distance = float(path.distances[i] + f * (path.distances[i + 1] - path.distances[i]))
    x, y, bearing = path.shape.locate(distance)
    return VehicleFix(x, y, bearing, distance, "IN_TRANSIT_TO", i + 1)


def interpolate_fixes(
    shape: ShapeLine, first: tuple[float, float, float], second: tuple[float, float, float], t: float
) -> VehicleFix:
    """Position at ``t`` between two VehiclePositions, moving along ``shape`` rather than cutting corners.

    Each fix is (x, y, timestamp) with x/y in the shape's coordinates; ``t``
    is clamped to the fixes' time span, since beyond the last fix any
    position is a guess. The second fix is projected no earlier along the
    shape than the first.
    """
    (x0, y0, t0), (x1, y1, t1) = first, second
    d0 = shape.project(x0, y0)
    d1 = shape.project(x1, y1, d0)
    if t1 <= t0:
        f = 1.0
    else:
        f = min(max((t - t0) / (t1 - t0), 0.0), 1.0)
    distance = d0 + f * (d1 - d0)
    x, y, bearing = shape.locate(distance)
    return VehicleFix(x, y, bearing, distance, "IN_TRANSIT_TO", -1)
