"""Service days: weekly rules, exceptions, and GTFS times as UTC instants across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from realtime.gtfs_feed import read_feed
from realtime.service_calendar import ServiceCalendar, gtfs_time_to_utc, service_day_origin, service_days_covering

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "gtfs" / "envibus_sample"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def calendar() -> ServiceCalendar:
    return ServiceCalendar.from_feed(read_feed(SAMPLE))


def test_weekday_service_runs_on_a_thursday(calendar: ServiceCalendar) -> None:
    assert calendar.services_on(date(2025, 7, 10)) == {"SEM"}


def test_night_service_runs_on_fridays_and_saturdays(calendar: ServiceCalendar) -> None:
    assert calendar.services_on(date(2025, 7, 11)) == {"SEM", "NUIT"}
    assert calendar.services_on(date(2025, 7, 12)) == {"WE", "NUIT"}
    assert calendar.services_on(date(2025, 7, 13)) == {"WE"}


def test_an_exception_swaps_weekday_for_sunday_service_on_bastille_day(calendar: ServiceCalendar) -> None:
    assert calendar.services_on(date(2025, 7, 14)) == {"WE"}
    assert not calendar.runs("SEM", date(2025, 7, 14))


def test_nothing_runs_outside_the_calendar_range(calendar: ServiceCalendar) -> None:
    assert calendar.services_on(date(2026, 1, 5)) == frozenset()


def test_gtfs_times_count_from_midnight_on_an_ordinary_day() -> None:
    assert gtfs_time_to_utc(date(2025, 7, 10), 8 * 3600, PARIS) == datetime(2025, 7, 10, 6, 0, tzinfo=UTC)


def test_a_time_past_midnight_falls_on_the_next_calendar_day() -> None:
    instant = gtfs_time_to_utc(date(2025, 7, 11), 87300, PARIS)  # 24:15:00
    assert instant.astimezone(PARIS) == datetime(2025, 7, 12, 0, 15, tzinfo=PARIS)


def test_on_spring_forward_gtfs_times_count_from_noon_minus_12h() -> None:
    day = date(2025, 3, 30)
    assert service_day_origin(day, PARIS) == datetime(2025, 3, 29, 22, 0, tzinfo=UTC)
    # 08:00:00 in the timetable is 08:00 CEST on the wall clock, not 09:00.
    assert gtfs_time_to_utc(day, 8 * 3600, PARIS).astimezone(PARIS).hour == 8


def test_on_fall_back_gtfs_times_count_from_noon_minus_12h() -> None:
    day = date(2025, 10, 26)
    assert service_day_origin(day, PARIS) == datetime(2025, 10, 25, 23, 0, tzinfo=UTC)
    assert gtfs_time_to_utc(day, 8 * 3600, PARIS) == datetime(2025, 10, 26, 7, 0, tzinfo=UTC)


def test_after_midnight_yesterdays_service_is_still_running() -> None:
    at = datetime(2025, 7, 12, 0, 5, tzinfo=PARIS)
    assert service_days_covering(at, PARIS, 87300) == [date(2025, 7, 12), date(2025, 7, 11)]


def test_it_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        service_days_covering(datetime(2025, 7, 12, 0, 5), PARIS)
