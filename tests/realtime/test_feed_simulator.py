"""The GTFS-realtime simulator: determinism, realistic content, and its HTTP server."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from realtime.feed_clock import DepartureClock, ShapeLine
from realtime.feed_simulator import FeedSimulator, serve
from realtime.gtfs_feed import GTFSFeed, read_feed
from realtime.gtfs_rt import parse_feed

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "gtfs" / "envibus_sample"
PARIS = ZoneInfo("Europe/Paris")
MORNING = datetime(2025, 7, 10, 7, 38, tzinfo=PARIS)


@pytest.fixture(scope="module")
def feed() -> GTFSFeed:
    return read_feed(SAMPLE)


def test_the_same_seed_and_time_give_the_same_bytes(feed: GTFSFeed) -> None:
    assert FeedSimulator(feed, seed=3).feed_message(MORNING) == FeedSimulator(feed, seed=3).feed_message(MORNING)


def test_another_seed_gives_other_delays(feed: GTFSFeed) -> None:
    profiles = {tuple(FeedSimulator(feed, seed=s).delay_profile("L1_A_0730", date(2025, 7, 10))) for s in range(5)}
    assert len(profiles) == 5


def test_a_running_bus_has_a_trip_update_and_a_position_on_its_shape(feed: GTFSFeed) -> None:
    snap = parse_feed(FeedSimulator(feed, seed=1, cancel_probability=0.0).feed_message(MORNING))
    assert [tu.trip_id for tu in snap.trip_updates] == ["L1_A_0730"]
    [vp] = snap.vehicle_positions
    assert vp.trip_id == "L1_A_0730" and vp.start_date == date(2025, 7, 10)
    shape = feed.shapes["SHP_1_A"]
    line = ShapeLine.from_lonlat(shape.lon, shape.lat)
    along = line.project(vp.lon, vp.lat)
    x, y, _ = line.locate(along)
    assert (x, y) == pytest.approx((vp.lon, vp.lat), abs=1e-5)
    assert 0 <= vp.bearing < 360


def test_no_vehicle_is_out_at_three_in_the_morning(feed: GTFSFeed) -> None:
    snap = FeedSimulator(feed, seed=1).snapshot(datetime(2025, 7, 10, 3, 0, tzinfo=PARIS))
    assert snap.trip_updates == () and snap.vehicle_positions == ()


def test_the_night_bus_runs_after_midnight(feed: GTFSFeed) -> None:
    snap = FeedSimulator(feed, seed=1, cancel_probability=0.0).snapshot(datetime(2025, 7, 12, 0, 5, tzinfo=PARIS))
    assert [vp.trip_id for vp in snap.vehicle_positions] == ["LN_A_2350"]
    assert snap.vehicle_positions[0].start_date == date(2025, 7, 11)


def test_a_canceled_trip_is_announced_and_has_no_vehicle(feed: GTFSFeed) -> None:
    snap = FeedSimulator(feed, seed=1, cancel_probability=1.0).snapshot(MORNING)
    assert [tu.schedule_relationship for tu in snap.trip_updates] == ["CANCELED"]
    assert snap.vehicle_positions == ()


def test_frequency_trips_are_identified_by_start_time(feed: GTFSFeed) -> None:
    snap = FeedSimulator(feed, seed=1, cancel_probability=0.0).snapshot(datetime(2025, 7, 10, 10, 25, tzinfo=PARIS))
    running = {(vp.trip_id, vp.start_time) for vp in snap.vehicle_positions}
    assert ("L1_A_FREQ", "10:20:00") in running


def test_rush_hour_trips_drift_later(feed: GTFSFeed) -> None:
    sim = FeedSimulator(feed, seed=5)
    days = [date(2025, 1, 1) + np.timedelta64(k, "D").astype(object) for k in range(300)]
    rush = np.mean([sim.delay_profile("L1_A_0730", d)[-1] for d in days])
    calm = np.mean([sim.delay_profile("L1_A_FREQ@11:00:00", d)[-1] for d in days])
    assert rush > calm + 60


def test_an_alert_names_a_route_in_french_and_english(feed: GTFSFeed) -> None:
    [alert] = FeedSimulator(feed, seed=2, alert_probability_per_hour=1.0).snapshot(MORNING).alerts
    assert set(alert.header) == {"fr", "en"}
    assert alert.informed[0].route_id in feed.routes
    start, end = alert.active_periods[0]
    assert start is not None and end is not None and start <= MORNING.timestamp() < end


def test_the_departure_clock_reads_the_simulated_feed(feed: GTFSFeed) -> None:
    at = datetime(2025, 7, 10, 7, 36, tzinfo=PARIS)
    snap = parse_feed(FeedSimulator(feed, seed=1, cancel_probability=0.0).feed_message(at, "trip-updates"))
    board = DepartureClock(feed).next_departures("PONT_DULYS", at, snap.trip_updates, limit=1)
    assert board[0].trip_id == "L1_A_0730" and board[0].realtime


def test_it_refuses_an_unknown_part(feed: GTFSFeed) -> None:
    with pytest.raises(ValueError, match="unknown feed part"):
        FeedSimulator(feed).feed_message(MORNING, "positions")


def test_the_server_serves_protobuf_on_four_paths(feed: GTFSFeed) -> None:
    server = serve(feed, "127.0.0.1", 0, seed=1, clock=lambda: MORNING)
    try:
        host, port = server.server_address[:2]
        for part in ("feed", "trip-updates", "vehicle-positions", "alerts"):
            with urllib.request.urlopen(f"http://{host}:{port}/{part}", timeout=5) as response:
                assert response.headers["Content-Type"] == "application/x-protobuf"
                snap = parse_feed(response.read())
            assert snap.timestamp == int(MORNING.timestamp())
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://{host}:{port}/gtfs-rt", timeout=5)
        assert missing.value.code == 404
    finally:
        server.shutdown()
        server.server_close()
