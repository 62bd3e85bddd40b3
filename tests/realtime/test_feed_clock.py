"""The departure clock (timetable + TripUpdates) and vehicle positions along shapes."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from realtime.feed_clock import DepartureClock, ShapeLine, interpolate_fixes, position_at, propagate_delays, trip_path
from realtime.gtfs_feed import GTFSFeed, read_feed
from realtime.gtfs_rt import StopTimeUpdateRecord as STU
from realtime.gtfs_rt import TripUpdateRecord
from realtime.service_calendar import service_day_origin

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "gtfs" / "envibus_sample"
PARIS = ZoneInfo("Europe/Paris")
THURSDAY = date(2025, 7, 10)


@pytest.fixture(scope="module")
def feed() -> GTFSFeed:
    return read_feed(SAMPLE)


@pytest.fixture(scope="module")
def clock(feed: GTFSFeed) -> DepartureClock:
    return DepartureClock(feed)


def delays(feed: GTFSFeed, update: TripUpdateRecord, trip_id: str = "L1_A_0730") -> list[int | None]:
    estimates = propagate_delays(feed.stop_times[trip_id], update, service_day_origin(THURSDAY, PARIS))
    return [e.departure_delay for e in estimates]


def test_a_delay_propagates_to_later_stops(feed: GTFSFeed) -> None:
    update = TripUpdateRecord("L1_A_0730", stop_time_updates=(STU(stop_sequence=2, departure_delay=120),))
    assert delays(feed, update) == [None, 120, 120, 120, 120]


def test_a_later_update_replaces_the_propagated_delay(feed: GTFSFeed) -> None:
    update = TripUpdateRecord(
        "L1_A_0730",
        stop_time_updates=(STU(stop_sequence=2, departure_delay=120), STU(stop_sequence=4, arrival_delay=30)),
    )
    assert delays(feed, update) == [None, 120, 120, 30, 30]


def test_a_trip_wide_delay_covers_stops_before_the_first_update(feed: GTFSFeed) -> None:
    update = TripUpdateRecord("L1_A_0730", delay=60, stop_time_updates=(STU(stop_sequence=4, departure_delay=200),))
    assert delays(feed, update) == [60, 60, 60, 200, 200]


def test_an_absolute_time_becomes_a_delay(feed: GTFSFeed) -> None:
    at = datetime(2025, 7, 10, 7, 36, 30, tzinfo=PARIS)  # Place de Gaulle is due 07:34:30
    update = TripUpdateRecord(
        "L1_A_0730", stop_time_updates=(STU(stop_id="PL_GAULLE", departure_time=int(at.timestamp())),)
    )
    assert delays(feed, update) == [None, 120, 120, 120, 120]


def test_a_skipped_stop_lets_the_delay_flow_past_it(feed: GTFSFeed) -> None:
    update = TripUpdateRecord(
        "L1_A_0730",
        stop_time_updates=(
            STU(stop_sequence=2, departure_delay=90),
            STU(stop_sequence=3, schedule_relationship="SKIPPED"),
        ),
    )
    estimates = propagate_delays(feed.stop_times["L1_A_0730"], update, service_day_origin(THURSDAY, PARIS))
    assert [e.skipped for e in estimates] == [False, False, True, False, False]
    assert estimates[3].departure_delay == 90


def test_no_data_stops_propagation(feed: GTFSFeed) -> None:
    update = TripUpdateRecord(
        "L1_A_0730",
        stop_time_updates=(
            STU(stop_sequence=1, departure_delay=90),
            STU(stop_sequence=3, schedule_relationship="NO_DATA"),
        ),
    )
    assert delays(feed, update) == [90, 90, None, None, None]


def test_departures_are_flagged_realtime_or_scheduled(clock: DepartureClock) -> None:
    at = datetime(2025, 7, 10, 7, 25, tzinfo=PARIS)
    update = TripUpdateRecord(
        "L1_A_0730", start_date=THURSDAY, stop_time_updates=(STU(stop_sequence=1, departure_delay=180),)
    )
    [live] = clock.next_departures("ANT_PEM_A", at, [update], limit=1)
    assert live.realtime and live.delay == 180
    assert live.expected.astimezone(PARIS) == datetime(2025, 7, 10, 7, 33, tzinfo=PARIS)
    [planned] = clock.next_departures("ANT_PEM_A", at, [], limit=1)
    assert not planned.realtime and planned.expected == planned.scheduled


def test_a_late_bus_still_shows_after_its_scheduled_time(clock: DepartureClock) -> None:
    at = datetime(2025, 7, 10, 7, 45, tzinfo=PARIS)  # Pont Dulys was due 07:42
    update = TripUpdateRecord("L1_A_0730", stop_time_updates=(STU(stop_sequence=2, departure_delay=300),))
    [late] = clock.next_departures("PONT_DULYS", at, [update], limit=1)
    assert late.trip_id == "L1_A_0730" and late.delay == 300


def test_an_update_for_another_day_is_ignored(clock: DepartureClock) -> None:
    at = datetime(2025, 7, 10, 7, 25, tzinfo=PARIS)
    update = TripUpdateRecord(
        "L1_A_0730", start_date=date(2025, 7, 9), stop_time_updates=(STU(stop_sequence=1, departure_delay=180),)
    )
    assert not clock.next_departures("ANT_PEM_A", at, [update], limit=1)[0].realtime


def test_a_canceled_trip_leaves_the_board(clock: DepartureClock) -> None:
    at = datetime(2025, 7, 10, 7, 25, tzinfo=PARIS)
    canceled = TripUpdateRecord("L1_A_0730", schedule_relationship="CANCELED")
    assert all(d.trip_id != "L1_A_0730" for d in clock.next_departures("ANT_PEM_A", at, [canceled]))
    shown = clock.next_departures("ANT_PEM_A", at, [canceled], include_canceled=True)[0]
    assert shown.trip_id == "L1_A_0730" and shown.canceled


def test_a_skipped_call_is_not_a_departure(clock: DepartureClock) -> None:
    at = datetime(2025, 7, 10, 7, 25, tzinfo=PARIS)
    update = TripUpdateRecord("L1_A_0730", stop_time_updates=(STU(stop_sequence=2, schedule_relationship="SKIPPED"),))
    assert all(d.trip_id != "L1_A_0730" for d in clock.next_departures("PL_GAULLE", at, [update]))


def test_a_station_lists_its_platforms(clock: DepartureClock) -> None:
    at = datetime(2025, 7, 10, 7, 0, tzinfo=PARIS)
    assert clock.next_departures("ANT_PEM", at, limit=1)[0].stop_id == "ANT_PEM_A"


def test_the_terminus_has_no_departure(clock: DepartureClock) -> None:
    at = datetime(2025, 7, 10, 7, 40, tzinfo=PARIS)
    assert all(d.trip_id != "L1_A_0730" for d in clock.next_departures("JLP_GARE", at))


def test_the_night_bus_after_midnight_belongs_to_the_previous_service_day(clock: DepartureClock) -> None:
    at = datetime(2025, 7, 12, 0, 5, tzinfo=PARIS)  # Saturday 00:05; Friday's night bus is due 00:08
    first = clock.next_departures("PONT_DULYS", at, limit=1)[0]
    assert first.trip_id == "LN_A_2350"
    assert first.service_day == date(2025, 7, 11)
    assert first.expected.astimezone(PARIS) == datetime(2025, 7, 12, 0, 8, tzinfo=PARIS)


def test_no_weekday_bus_on_bastille_day(clock: DepartureClock) -> None:
    at = datetime(2025, 7, 14, 7, 0, tzinfo=PARIS)
    first = clock.next_departures("ANT_PEM_A", at, limit=1)[0]
    assert first.trip_id == "L1_A_WE_0900"


def test_frequency_instances_are_matched_by_start_time(clock: DepartureClock) -> None:
    at = datetime(2025, 7, 10, 10, 15, tzinfo=PARIS)
    update = TripUpdateRecord(
        "L1_A_FREQ", start_time="10:20:00", stop_time_updates=(STU(stop_sequence=1, departure_delay=60),)
    )
    boards = clock.next_departures("ANT_PEM_A", at, [update], limit=2)
    assert [(d.trip_id, d.realtime, d.delay) for d in boards] == [
        ("L1_A_FREQ@10:20:00", True, 60),
        ("L1_A_FREQ@10:40:00", False, 0),
    ]


def test_it_refuses_a_naive_time(clock: DepartureClock) -> None:
    with pytest.raises(ValueError):
        clock.next_departures("ANT_PEM_A", datetime(2025, 7, 10, 7, 0))


# --- positions ---------------------------------------------------------------


def test_stops_are_placed_along_the_shape_by_their_distance(feed: GTFSFeed) -> None:
    path = trip_path(feed, "L1_A_0730")
    assert path.distances[0] == pytest.approx(0.0)
    assert path.distances[-1] == pytest.approx(path.shape.length, rel=1e-6)
    assert list(path.distances) == sorted(path.distances)


def test_a_trip_without_shape_runs_straight_between_stops(feed: GTFSFeed) -> None:
    path = trip_path(feed, "L1_R_0810")
    x, y, _ = path.shape.locate(float(path.distances[2]))
    stop = feed.stops["LYCEE_AUDIBERTI"]
    assert (x, y) == pytest.approx((stop.lon, stop.lat))


def test_a_bus_stands_at_the_stop_while_dwelling(feed: GTFSFeed) -> None:
    path = trip_path(feed, "L1_A_0730")
    calls = feed.stop_times["L1_A_0730"]
    arr, dep = [c.arrival for c in calls], [c.departure for c in calls]
    fix = position_at(path, arr, dep, calls[1].arrival + 10)
    assert fix is not None and fix.status == "STOPPED_AT" and fix.call_index == 1
    assert (fix.x, fix.y) == pytest.approx((feed.stops["PL_GAULLE"].lon, feed.stops["PL_GAULLE"].lat), abs=1e-6)


def test_a_bus_moves_along_the_shape_between_stops(feed: GTFSFeed) -> None:
    path = trip_path(feed, "L1_A_0730")
    calls = feed.stop_times["L1_A_0730"]
    arr, dep = [c.arrival for c in calls], [c.departure for c in calls]
    midway = (dep[0] + arr[1]) / 2
    fix = position_at(path, arr, dep, midway)
    assert fix is not None and fix.status == "IN_TRANSIT_TO" and fix.call_index == 1
    assert fix.distance == pytest.approx(path.distances[1] / 2)
    assert 90 < fix.bearing < 180  # heading south-east from the Pôle d'Échanges


def test_a_delay_moves_the_bus_back_along_its_path(feed: GTFSFeed) -> None:
    path = trip_path(feed, "L1_A_0730")
    calls = feed.stop_times["L1_A_0730"]
    arr, dep = [c.arrival for c in calls], [c.departure for c in calls]
    t = dep[0] + 120
    on_time = position_at(path, arr, dep, t)
    late = position_at(path, [a + 60 for a in arr], [d + 60 for d in dep], t)
    assert on_time is not None and late is not None and late.distance < on_time.distance


def test_no_position_before_departure_or_after_arrival(feed: GTFSFeed) -> None:
    path = trip_path(feed, "L1_A_0730")
    calls = feed.stop_times["L1_A_0730"]
    arr, dep = [c.arrival for c in calls], [c.departure for c in calls]
    assert position_at(path, arr, dep, dep[0] - 1) is None
    assert position_at(path, arr, dep, arr[-1] + 1) is None


def test_two_vehicle_positions_interpolate_along_the_shape_not_across() -> None:
    corner = ShapeLine.from_xy([0.0, 100.0, 100.0], [0.0, 0.0, 100.0])  # projected metres
    fix = interpolate_fixes(corner, (0.0, 0.0, 1000.0), (100.0, 100.0, 1200.0), 1100.0)
    assert (fix.x, fix.y) == pytest.approx((100.0, 0.0))
    assert fix.bearing == pytest.approx(0.0)  # on the northbound leg, as the bus turns
    later = interpolate_fixes(corner, (0.0, 0.0, 1000.0), (100.0, 100.0, 1200.0), 1150.0)
    assert (later.x, later.y, later.bearing) == pytest.approx((100.0, 50.0, 0.0))


def test_interpolation_does_not_guess_beyond_the_last_fix() -> None:
    line = ShapeLine.from_xy([0.0, 100.0], [0.0, 0.0])
    fix = interpolate_fixes(line, (10.0, 5.0, 0.0), (60.0, -5.0, 10.0), 99.0)
    assert (fix.x, fix.y) == pytest.approx((60.0, 0.0))
    assert fix.bearing == pytest.approx(90.0)


def test_a_geographic_shape_measures_metres() -> None:
    line = ShapeLine.from_lonlat([7.12, 7.12], [43.58, 43.59])
    assert line.length == pytest.approx(1111.95, rel=1e-3)


# --- positions from the timetable (no live vehicle positions) ---------------------


def test_the_timetable_places_the_running_trip_between_its_stops(clock: DepartureClock) -> None:
    at = datetime(
        2025, 7, 10, 7, 32, tzinfo=PARIS
    )  # L1_A_0730 left the Pôle d'Échanges at 07:30, due Place de Gaulle 07:34
    [bus] = clock.positions_at(at)
    assert (bus.trip_id, bus.route_id, bus.service_day) == ("L1_A_0730", "L1", THURSDAY)
    assert bus.status == "IN_TRANSIT_TO" and bus.stop_id == "PL_GAULLE" and bus.delay is None
    path = clock.path_of("L1_A_0730")
    assert path is not None and bus.distance == pytest.approx(path.distances[1] / 2)
    assert (bus.lon, bus.lat) == pytest.approx(path.shape.locate(bus.distance)[:2])


def test_a_dwelling_trip_stands_at_its_stop(clock: DepartureClock, feed: GTFSFeed) -> None:
    [bus] = clock.positions_at(datetime(2025, 7, 10, 7, 34, 15, tzinfo=PARIS))
    assert bus.status == "STOPPED_AT" and bus.stop_id == "PL_GAULLE"
    assert (bus.lon, bus.lat) == pytest.approx((feed.stops["PL_GAULLE"].lon, feed.stops["PL_GAULLE"].lat), abs=1e-6)


def test_no_trip_is_on_the_road_between_services(clock: DepartureClock) -> None:
    assert clock.positions_at(datetime(2025, 7, 10, 7, 50, tzinfo=PARIS)) == []
    assert clock.positions_at(datetime(2025, 7, 14, 7, 32, tzinfo=PARIS)) == []  # Bastille day: no weekday service


def test_known_delays_move_the_estimate_back(clock: DepartureClock) -> None:
    at = datetime(2025, 7, 10, 7, 32, tzinfo=PARIS)
    [on_time] = clock.positions_at(at)
    update = TripUpdateRecord(
        "L1_A_0730", start_date=THURSDAY, stop_time_updates=(STU(stop_sequence=1, departure_delay=60),)
    )
    [late] = clock.positions_at(at, [update])
    assert late.delay == 60 and late.distance < on_time.distance


def test_a_late_trip_is_still_on_the_road_after_its_scheduled_end(clock: DepartureClock) -> None:
    at = datetime(2025, 7, 10, 7, 48, tzinfo=PARIS)  # due at Juan-les-Pins 07:46
    assert clock.positions_at(at) == []
    update = TripUpdateRecord("L1_A_0730", delay=300)
    [late] = clock.positions_at(at, [update])
    assert late.trip_id == "L1_A_0730" and late.stop_id == "JLP_GARE" and late.status == "IN_TRANSIT_TO"


def test_a_canceled_trip_has_no_estimated_position(clock: DepartureClock) -> None:
    update = TripUpdateRecord("L1_A_0730", schedule_relationship="CANCELED")
    assert clock.positions_at(datetime(2025, 7, 10, 7, 32, tzinfo=PARIS), [update]) == []


def test_frequency_instances_each_get_a_position(clock: DepartureClock) -> None:
    running = clock.positions_at(datetime(2025, 7, 10, 10, 30, tzinfo=PARIS))  # every 20 min from 10:00, 16 min long
    assert [p.trip_id for p in running] == ["L1_A_FREQ@10:20:00"]


def test_the_night_bus_after_midnight_runs_on_the_previous_service_day(clock: DepartureClock) -> None:
    [night] = clock.positions_at(datetime(2025, 7, 12, 0, 5, tzinfo=PARIS))  # Saturday 00:05, Friday's night bus
    assert night.trip_id == "LN_A_2350" and night.service_day == date(2025, 7, 11) and night.stop_id == "PONT_DULYS"


def test_positions_refuse_a_naive_time(clock: DepartureClock) -> None:
    with pytest.raises(ValueError):
        clock.positions_at(datetime(2025, 7, 10, 7, 32))
