"""GTFS-realtime FeedMessages: building, parsing, broken bytes and staleness."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from google.transit import gtfs_realtime_pb2 as pb

from realtime.gtfs_rt import (
    AlertRecord,
    FeedError,
    InformedEntity,
    StopTimeUpdateRecord,
    TripUpdateRecord,
    VehiclePositionRecord,
    build_feed,
    feed_age,
    is_stale,
    parse_feed,
)

NOW = 1_752_125_880  # 2025-07-10 05:38 UTC


def sample_bytes() -> bytes:
    return build_feed(
        NOW,
        trip_updates=[
            TripUpdateRecord(
                "L1_A_0730",
                route_id="L1",
                start_date=date(2025, 7, 10),
                vehicle_id="envibus-412",
                delay=30,
                stop_time_updates=(
                    StopTimeUpdateRecord(stop_sequence=2, arrival_delay=120, departure_delay=150),
                    StopTimeUpdateRecord(stop_id="PONT_DULYS", departure_time=NOW + 600),
                    StopTimeUpdateRecord(stop_sequence=5, schedule_relationship="SKIPPED"),
                ),
            ),
            TripUpdateRecord("L1_R_0810", schedule_relationship="CANCELED"),
        ],
        vehicle_positions=[
            VehiclePositionRecord(
                43.5808,
                7.1235,
                trip_id="L1_A_0730",
                vehicle_id="envibus-412",
                bearing=200.0,
                speed=8.5,
                timestamp=NOW - 5,
                current_stop_sequence=2,
                current_status="STOPPED_AT",
            )
        ],
        alerts=[
            AlertRecord(
                "travaux-1",
                header={"fr": "Travaux boulevard Wilson", "en": "Roadworks on boulevard Wilson"},
                description={"fr": "Arrêt Pont Dulys déplacé"},
                active_periods=((NOW, None),),
                informed=(InformedEntity(route_id="L1"), InformedEntity(stop_id="PONT_DULYS")),
                cause="CONSTRUCTION",
                effect="STOP_MOVED",
                url="https://www.envibus.fr/infos-trafic",
            )
        ],
    )


def test_a_built_feed_parses_back_to_the_same_records() -> None:
    snap = parse_feed(sample_bytes())
    assert snap.timestamp == NOW and snap.version == "2.0" and snap.incrementality == "FULL_DATASET"
    tu = snap.trip_updates[0]
    assert (tu.trip_id, tu.route_id, tu.start_date, tu.vehicle_id, tu.delay) == (
        "L1_A_0730",
        "L1",
        date(2025, 7, 10),
        "envibus-412",
        30,
    )
    first, second, third = tu.stop_time_updates
    assert (first.stop_sequence, first.arrival_delay, first.departure_delay, first.stop_id) == (2, 120, 150, None)
    assert (second.stop_id, second.departure_time, second.departure_delay) == ("PONT_DULYS", NOW + 600, None)
    assert third.schedule_relationship == "SKIPPED"
    assert snap.trip_updates[1].schedule_relationship == "CANCELED"


def test_vehicle_positions_keep_position_and_status() -> None:
    [vp] = parse_feed(sample_bytes()).vehicle_positions
    assert (vp.lat, vp.lon) == pytest.approx((43.5808, 7.1235), abs=1e-5)
    assert vp.bearing == pytest.approx(200.0) and vp.speed == pytest.approx(8.5)
    assert (vp.current_status, vp.current_stop_sequence, vp.timestamp) == ("STOPPED_AT", 2, NOW - 5)


def test_alerts_keep_translations_and_informed_entities() -> None:
    [alert] = parse_feed(sample_bytes()).alerts
    assert alert.header == {"fr": "Travaux boulevard Wilson", "en": "Roadworks on boulevard Wilson"}
    assert alert.active_periods == ((NOW, None),)
    assert [e.route_id or e.stop_id for e in alert.informed] == ["L1", "PONT_DULYS"]
    assert (alert.cause, alert.effect, alert.url) == (
        "CONSTRUCTION",
        "STOP_MOVED",
        "https://www.envibus.fr/infos-trafic",
    )


def test_it_rejects_garbage_protobuf() -> None:
    with pytest.raises(FeedError, match="not a GTFS-realtime FeedMessage"):
        parse_feed(b"\x08\x96\x01garbage!!\xff\xff")


def test_it_rejects_an_html_error_page() -> None:
    with pytest.raises(FeedError):
        parse_feed(b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>")


def test_it_rejects_an_empty_body() -> None:
    with pytest.raises(FeedError, match="empty"):
        parse_feed(b"")


def test_it_rejects_a_message_without_header() -> None:
    message = pb.FeedMessage()
    entity = message.entity.add()
    entity.id = "1"
    entity.trip_update.trip.trip_id = "L1_A_0730"
    with pytest.raises(FeedError, match="header"):
        parse_feed(message.SerializePartialToString())


def test_it_rejects_a_truncated_message() -> None:
    data = sample_bytes()
    with pytest.raises(FeedError):
        parse_feed(data[: len(data) - 7])


def test_deleted_entities_are_listed_apart() -> None:
    message = pb.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.incrementality = pb.FeedHeader.DIFFERENTIAL
    message.header.timestamp = NOW
    entity = message.entity.add()
    entity.id = "tu-9"
    entity.is_deleted = True
    snap = parse_feed(message.SerializeToString())
    assert snap.deleted_ids == ("tu-9",) and snap.incrementality == "DIFFERENTIAL"


def test_a_feed_older_than_90_seconds_is_stale() -> None:
    snap = parse_feed(sample_bytes())
    assert feed_age(snap, datetime.fromtimestamp(NOW + 30, UTC)) == 30
    assert not is_stale(snap, datetime.fromtimestamp(NOW + 30, UTC))
    assert is_stale(snap, datetime.fromtimestamp(NOW + 91, UTC))
    assert not is_stale(snap, datetime.fromtimestamp(NOW + 91, UTC), max_age_s=120)
