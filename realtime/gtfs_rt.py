"""Parse and build GTFS-realtime FeedMessages as plain records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from google.protobuf.message import DecodeError, EncodeError
from google.transit import gtfs_realtime_pb2 as pb

__all__ = [
    "AlertRecord",
    "FeedError",
    "FeedSnapshot",
    "InformedEntity",
    "StopTimeUpdateRecord",
    "TripUpdateRecord",
    "VehiclePositionRecord",
    "build_feed",
    "feed_age",
    "is_stale",
    "parse_feed",
]


class FeedError(ValueError):
    """GTFS-realtime bytes that are not a usable FeedMessage."""


@dataclass(frozen=True, slots=True)
class StopTimeUpdateRecord:
    """Prediction for one call; ``*_time`` are POSIX seconds (UTC), ``*_delay`` seconds late."""

    stop_sequence: int | None = None
    stop_id: str | None = None
    arrival_delay: int | None = None
    arrival_time: int | None = None
    departure_delay: int | None = None
    departure_time: int | None = None
    schedule_relationship: str = "SCHEDULED"  # SCHEDULED, SKIPPED, NO_DATA, UNSCHEDULED


@dataclass(frozen=True, slots=True)
class TripUpdateRecord:
    trip_id: str
    entity_id: str = ""
    route_id: str = ""
    start_date: date | None = None
    start_time: str | None = None  # GTFS "HH:MM:SS", identifies a frequency-based trip instance
    schedule_relationship: str = "SCHEDULED"  # SCHEDULED, CANCELED, ADDED, ...
    vehicle_id: str = ""
    timestamp: int | None = None
    delay: int | None = None  # trip-wide delay for calls without their own update
    stop_time_updates: tuple[StopTimeUpdateRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class VehiclePositionRecord:
    """A vehicle fix: lat/lon WGS84 degrees, bearing degrees clockwise from north, speed m/s."""

    lat: float
    lon: float
    entity_id: str = ""
    trip_id: str = ""
    route_id: str = ""
    start_date: date | None = None
    start_time: str | None = None
    vehicle_id: str = ""
    label: str = ""
    bearing: float | None = None
    speed: float | None = None
    timestamp: int | None = None
    current_stop_sequence: int | None = None
    stop_id: str = ""
    current_status: str = "IN_TRANSIT_TO"  # INCOMING_AT, STOPPED_AT, IN_TRANSIT_TO


@dataclass(frozen=True, slots=True)
class InformedEntity:
    agency_id: str = ""
    route_id: str = ""
    stop_id: str = ""
    trip_id: str = ""


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """A service alert; texts map a language code ("" when untagged) to the text."""

    entity_id: str
    header: dict[str, str]
    description: dict[str, str] = field(default_factory=dict)
    active_periods: tuple[tuple[int | None, int | None], ...] = ()  # POSIX seconds, open-ended when None
    informed: tuple[InformedEntity, ...] = ()
    cause: str = "UNKNOWN_CAUSE"
    effect: str = "UNKNOWN_EFFECT"
    url: str = ""


@dataclass(frozen=True, slots=True)
class FeedSnapshot:
    timestamp: int  # header timestamp, POSIX seconds
    version: str
    incrementality: str
    trip_updates: tuple[TripUpdateRecord, ...] = ()
    vehicle_positions: tuple[VehiclePositionRecord, ...] = ()
    alerts: tuple[AlertRecord, ...] = ()
    deleted_ids: tuple[str, ...] = ()

    @property
    def fetched_at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)


def _date(text: str, where: str) -> date | None:
    if not text:
        return None
    if len(text) != 8 or not text.isdigit():
        raise FeedError(f"{where}: start_date {text!r} is not YYYYMMDD")
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _opt(message: object, name: str) -> object | None:
    return getattr(message, name) if message.HasField(name) else None  # type: ignore[attr-defined]


def _texts(translated: pb.TranslatedString) -> dict[str, str]:
    return {t.language: t.text for t in translated.translation}


def parse_feed(data: bytes) -> FeedSnapshot:
    """Decode a FeedMessage; raise FeedError on garbage bytes or a missing header."""
    if not data:
        raise FeedError("empty GTFS-realtime response: no FeedMessage header")
    message = pb.FeedMessage()
    try:
        message.ParseFromString(bytes(data))
    except (DecodeError, RuntimeError, ValueError) as exc:
        head = bytes(data[:16])
        raise FeedError(
            f"not a GTFS-realtime FeedMessage ({exc}); first bytes {head!r} — is the URL an HTML page?"
        ) from exc
    if not message.HasField("header"):
        raise FeedError("FeedMessage has no header; the producer is not GTFS-realtime compliant")
    header = message.header
    if not header.gtfs_realtime_version:
        raise FeedError("FeedMessage header has no gtfs_realtime_version")
    trip_updates: list[TripUpdateRecord] = []
    vehicles: list[VehiclePositionRecord] = []
    alerts: list[AlertRecord] = []
    deleted: list[str] = []
    for entity in message.entity:
        where = f"entity {entity.id!r}"
        if entity.is_deleted:
            deleted.append(entity.id)
            continue
        if entity.HasField("trip_update"):
            trip_updates.append(_trip_update(entity.id, entity.trip_update, where))
        if entity.HasField("vehicle"):
            vehicles.append(_vehicle(entity.id, entity.vehicle, where))
        if entity.HasField("alert"):
            alerts.append(_alert(entity.id, entity.alert))
    return FeedSnapshot(
        int(header.timestamp),
        header.gtfs_realtime_version,
        pb.FeedHeader.Incrementality.Name(header.incrementality),
        tuple(trip_updates),
        tuple(vehicles),
        tuple(alerts),
        tuple(deleted),
    )


def _trip_update(entity_id: str, tu: pb.TripUpdate, where: str) -> TripUpdateRecord:
    trip = tu.trip
    updates = []
    for stu in tu.stop_time_update:
        arrival = stu.arrival if stu.HasField("arrival") else None
        departure = stu.departure if stu.HasField("departure") else None
        updates.append(
            StopTimeUpdateRecord(
                stop_sequence=_opt(stu, "stop_sequence"),  # type: ignore[arg-type]
                stop_id=_opt(stu, "stop_id"),  # type: ignore[arg-type]
                arrival_delay=_opt(arrival, "delay") if arrival is not None else None,  # type: ignore[arg-type]
                arrival_time=_opt(arrival, "time") if arrival is not None else None,  # type: ignore[arg-type]
                departure_delay=_opt(departure, "delay") if departure is not None else None,  # type: ignore[arg-type]
                departure_time=_opt(departure, "time") if departure is not None else None,  # type: ignore[arg-type]
                schedule_relationship=pb.TripUpdate.StopTimeUpdate.ScheduleRelationship.Name(stu.schedule_relationship),
            )
        )
    return TripUpdateRecord(
        trip_id=trip.trip_id,
        entity_id=entity_id,
        route_id=trip.route_id,
        start_date=_date(trip.start_date, where),
        start_time=trip.start_time or None,
        schedule_relationship=pb.TripDescriptor.ScheduleRelationship.Name(trip.schedule_relationship),
        vehicle_id=tu.vehicle.id,
        timestamp=_opt(tu, "timestamp"),  # type: ignore[arg-type]
        delay=_opt(tu, "delay"),  # type: ignore[arg-type]
        stop_time_updates=tuple(updates),
    )


def _vehicle(entity_id: str, vp: pb.VehiclePosition, where: str) -> VehiclePositionRecord:
    if not vp.HasField("position"):
        raise FeedError(f"{where}: vehicle has no position")
    pos = vp.position
    return VehiclePositionRecord(
        lat=pos.latitude,
        lon=pos.longitude,
        entity_id=entity_id,
        trip_id=vp.trip.trip_id,
        route_id=vp.trip.route_id,
        start_date=_date(vp.trip.start_date, where),
        start_time=vp.trip.start_time or None,
        vehicle_id=vp.vehicle.id,
        label=vp.vehicle.label,
        bearing=_opt(pos, "bearing"),  # type: ignore[arg-type]
        speed=_opt(pos, "speed"),  # type: ignore[arg-type]
        timestamp=_opt(vp, "timestamp"),  # type: ignore[arg-type]
        current_stop_sequence=_opt(vp, "current_stop_sequence"),  # type: ignore[arg-type]
        stop_id=vp.stop_id,
        current_status=pb.VehiclePosition.VehicleStopStatus.Name(vp.current_status),
    )


def _alert(entity_id: str, alert: pb.Alert) -> AlertRecord:
    return AlertRecord(
        entity_id=entity_id,
        header=_texts(alert.header_text),
        description=_texts(alert.description_text),
        active_periods=tuple((_opt(p, "start"), _opt(p, "end")) for p in alert.active_period),  # type: ignore[misc]
        informed=tuple(
            InformedEntity(e.agency_id, e.route_id, e.stop_id, e.trip.trip_id) for e in alert.informed_entity
        ),
        cause=pb.Alert.Cause.Name(alert.cause),
        effect=pb.Alert.Effect.Name(alert.effect),
        url=next(iter(_texts(alert.url).values()), ""),
    )


def feed_age(snapshot: FeedSnapshot, now: datetime) -> float:
    """Seconds between the feed's header timestamp and ``now`` (aware datetime)."""
    return now.timestamp() - snapshot.timestamp


def is_stale(snapshot: FeedSnapshot, now: datetime, max_age_s: float = 90.0) -> bool:
    """True when the producer stopped updating: header older than ``max_age_s``, or zero.

    90 s by default because producers typically publish every 15–30 s; three
    missed cycles mean the predictions are no better than the timetable.
    """
    return snapshot.timestamp <= 0 or feed_age(snapshot, now) > max_age_s


def _set_trip(
    descriptor: pb.TripDescriptor, trip_id: str, route_id: str, start_date: date | None, start_time: str | None
) -> None:
    if trip_id:
        descriptor.trip_id = trip_id
    if route_id:
        descriptor.route_id = route_id
    if start_date is not None:
        descriptor.start_date = start_date.strftime("%Y%m%d")
    if start_time:
        descriptor.start_time = start_time


def _set_texts(target: pb.TranslatedString, texts: dict[str, str]) -> None:
    for language, text in texts.items():
        translation = target.translation.add()
        translation.text = text
        if language:
            translation.language = language


def build_feed(
    timestamp: int,
    trip_updates: Iterable[TripUpdateRecord] = (),
    vehicle_positions: Iterable[VehiclePositionRecord] = (),
    alerts: Iterable[AlertRecord] = (),
    incrementality: str = "FULL_DATASET",
) -> bytes:
    """Serialize records into FeedMessage bytes (GTFS-realtime 2.0); ``timestamp`` POSIX seconds."""
    message = pb.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.incrementality = pb.FeedHeader.Incrementality.Value(incrementality)
    message.header.timestamp = int(timestamp)
    for n, tu in enumerate(trip_updates):
        entity = message.entity.add()
        entity.id = tu.entity_id or f"tu-{n}-{tu.trip_id}"
        out = entity.trip_update
        _set_trip(out.trip, tu.trip_id, tu.route_id, tu.start_date, tu.start_time)
        out.trip.schedule_relationship = pb.TripDescriptor.ScheduleRelationship.Value(tu.schedule_relationship)
        if tu.vehicle_id:
            out.vehicle.id = tu.vehicle_id
        if tu.timestamp is not None:
            out.timestamp = int(tu.timestamp)
        if tu.delay is not None:
            out.delay = int(tu.delay)
        for stu in tu.stop_time_updates:
            s = out.stop_time_update.add()
            if stu.stop_sequence is not None:
                s.stop_sequence = stu.stop_sequence
            if stu.stop_id:
                s.stop_id = stu.stop_id
            for event, delay, at in (
                (s.arrival, stu.arrival_delay, stu.arrival_time),
                (s.departure, stu.departure_delay, stu.departure_time),
            ):
                if delay is not None:
                    event.delay = int(delay)
                if at is not None:
                    event.time = int(at)
            s.schedule_relationship = pb.TripUpdate.StopTimeUpdate.ScheduleRelationship.Value(stu.schedule_relationship)
    for n, vp in enumerate(vehicle_positions):
        entity = message.entity.add()
        entity.id = vp.entity_id or f"vp-{n}-{vp.vehicle_id or vp.trip_id}"
        out_v = entity.vehicle
        _set_trip(out_v.trip, vp.trip_id, vp.route_id, vp.start_date, vp.start_time)
        if vp.vehicle_id:
            out_v.vehicle.id = vp.vehicle_id
        if vp.label:
            out_v.vehicle.label = vp.label
        out_v.position.latitude = vp.lat
        out_v.position.longitude = vp.lon
        if vp.bearing is not None:
            out_v.position.bearing = vp.bearing
        if vp.speed is not None:
            out_v.position.speed = vp.speed
        if vp.timestamp is not None:
            out_v.timestamp = int(vp.timestamp)
        if vp.current_stop_sequence is not None:
            out_v.current_stop_sequence = vp.current_stop_sequence
        if vp.stop_id:
            out_v.stop_id = vp.stop_id
        out_v.current_status = pb.VehiclePosition.VehicleStopStatus.Value(vp.current_status)
    for alert in alerts:
        entity = message.entity.add()
        entity.id = alert.entity_id
        out_a = entity.alert
        for start, end in alert.active_periods:
            period = out_a.active_period.add()
            if start is not None:
                period.start = int(start)
            if end is not None:
                period.end = int(end)
        for informed in alert.informed:
            e = out_a.informed_entity.add()
            if informed.agency_id:
                e.agency_id = informed.agency_id
            if informed.route_id:
                e.route_id = informed.route_id
            if informed.stop_id:
                e.stop_id = informed.stop_id
            if informed.trip_id:
                e.trip.trip_id = informed.trip_id
        out_a.cause = pb.Alert.Cause.Value(alert.cause)
        out_a.effect = pb.Alert.Effect.Value(alert.effect)
        _set_texts(out_a.header_text, alert.header)
        _set_texts(out_a.description_text, alert.description)
        if alert.url:
            _set_texts(out_a.url, {"": alert.url})
    try:
        return message.SerializeToString()
    except EncodeError as exc:
        raise FeedError(f"cannot serialize FeedMessage: {exc}") from exc
