"""Which GTFS services run on a date, and GTFS times of a service day as UTC instants."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo

from realtime.gtfs_feed import Calendar, CalendarDate, GTFSFeed

__all__ = ["ServiceCalendar", "gtfs_time_to_utc", "service_day_origin", "service_days_covering"]


class ServiceCalendar:
    """calendar.txt weekly rules corrected by calendar_dates.txt exceptions."""

    def __init__(self, calendars: Iterable[Calendar], calendar_dates: Iterable[CalendarDate]) -> None:
        self._rules: dict[str, list[Calendar]] = {}
        for rule in calendars:
            self._rules.setdefault(rule.service_id, []).append(rule)
        self._added: dict[date, set[str]] = {}
        self._removed: dict[date, set[str]] = {}
        for exc in calendar_dates:
            target = self._added if exc.exception_type == 1 else self._removed
            target.setdefault(exc.date, set()).add(exc.service_id)
        self._cache: dict[date, frozenset[str]] = {}

    @classmethod
    def from_feed(cls, feed: GTFSFeed) -> ServiceCalendar:
        return cls(feed.calendars, feed.calendar_dates)

    def services_on(self, day: date) -> frozenset[str]:
        """service_ids running on the service day ``day`` (a local calendar date of the agency)."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        running = {
            service_id
            for service_id, rules in self._rules.items()
            if any(r.start_date <= day <= r.end_date and r.weekdays[day.weekday()] for r in rules)
        }
        # An exception always wins over the weekly rule, whichever way it goes.
        running -= self._removed.get(day, set())
        running |= self._added.get(day, set())
        result = frozenset(running)
        self._cache[day] = result
        return result

    def runs(self, service_id: str, day: date) -> bool:
        return service_id in self.services_on(day)


def service_day_origin(day: date, tz: tzinfo) -> datetime:
    """The instant (aware, UTC) from which GTFS times of service day ``day`` are counted.

    GTFS defines times as measured from "noon minus 12h" of the service day,
    not from midnight. On most days the two coincide, but on a DST change
    they differ by an hour: in Europe/Paris on the last Sunday of March,
    local midnight is still CET (UTC+1) while noon is CEST (UTC+2), so noon
    minus 12h is 23:00 local on the Saturday. Counting from that origin keeps
    "08:00:00" meaning 08:00 on the wall clock, which is what the timetable
    printed at the stop says; counting from midnight would shift every trip
    of the day by an hour (and the reverse in October).
    """
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=tz)
    return noon.astimezone(UTC) - timedelta(hours=12)


def gtfs_time_to_utc(day: date, seconds: float, tz: tzinfo) -> datetime:
    """An aware UTC datetime from a service day and GTFS seconds (which may exceed 86 400)."""
    return service_day_origin(day, tz) + timedelta(seconds=seconds)


def service_days_covering(instant: datetime, tz: tzinfo, max_seconds: int = 2 * 86400) -> list[date]:
    """Service days whose GTFS times up to ``max_seconds`` can fall on ``instant``, latest first.

    A trip of yesterday's service with times like 25:30:00 runs today, so the
    departures at an instant come from today's and earlier service days.
    """
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    local_day = instant.astimezone(tz).date()
    span = -(-max_seconds // 86400)
    days = [local_day - timedelta(days=k) for k in range(span + 1)]
    return [
        d
        for d in days
        if service_day_origin(d, tz) <= instant <= service_day_origin(d, tz) + timedelta(seconds=max_seconds)
    ] or [local_day]
