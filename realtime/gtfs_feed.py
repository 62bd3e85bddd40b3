"""Read a static GTFS feed (zip path, zip bytes or folder) into plain dataclasses."""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

__all__ = [
    "Agency",
    "Calendar",
    "CalendarDate",
    "Frequency",
    "GTFSError",
    "GTFSFeed",
    "Route",
    "Shape",
    "Stop",
    "StopTime",
    "Trip",
    "expand_frequencies",
    "format_gtfs_time",
    "parse_gtfs_date",
    "parse_gtfs_time",
    "read_feed",
]


class GTFSError(ValueError):
    """A static GTFS feed that cannot be read; the message names file, row and field."""


@dataclass(frozen=True, slots=True)
class Agency:
    agency_id: str
    name: str
    url: str
    timezone: str
    lang: str = ""


@dataclass(frozen=True, slots=True)
class Stop:
    """A stop, station or entrance; lat/lon in WGS84 degrees (EPSG:4326)."""

    stop_id: str
    name: str
    lat: float
    lon: float
    location_type: int = 0
    parent_station: str = ""
    code: str = ""
    wheelchair_boarding: int = 0


@dataclass(frozen=True, slots=True)
class Route:
    route_id: str
    agency_id: str
    short_name: str
    long_name: str
    route_type: int
    color: str = "FFFFFF"
    text_color: str = "000000"


@dataclass(frozen=True, slots=True)
class Trip:
    trip_id: str
    route_id: str
    service_id: str
    headsign: str = ""
    direction_id: int | None = None
    shape_id: str = ""
    block_id: str = ""


@dataclass(frozen=True, slots=True)
class StopTime:
    """One call of a trip at a stop.

    ``arrival`` and ``departure`` are seconds since the service day's
    "noon minus 12h" (see ``service_calendar``); they exceed 86 400 for calls
    after midnight of a trip that started the day before. ``timepoint`` is
    False when the time was interpolated because the feed left it blank.
    """

    trip_id: str
    stop_sequence: int
    stop_id: str
    arrival: int
    departure: int
    shape_dist_traveled: float | None = None
    pickup_type: int = 0
    drop_off_type: int = 0
    timepoint: bool = True
    headsign: str = ""


@dataclass(frozen=True, slots=True)
class Calendar:
    service_id: str
    weekdays: tuple[bool, bool, bool, bool, bool, bool, bool]  # Monday first, as date.weekday()
    start_date: date
    end_date: date


@dataclass(frozen=True, slots=True)
class CalendarDate:
    service_id: str
    date: date
    exception_type: int  # 1 = service added, 2 = service removed


@dataclass(frozen=True, slots=True)
class Shape:
    """A trip's drawn path: lat/lon in WGS84 degrees; ``dist`` in the feed's own unit or None."""

    shape_id: str
    lat: np.ndarray
    lon: np.ndarray
    dist: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class Frequency:
    """A headway-based service window; ``start``/``end`` in GTFS seconds, ``end`` exclusive."""

    trip_id: str
    start: int
    end: int
    headway_secs: int
    exact_times: bool = False


@dataclass(slots=True)
class GTFSFeed:
    agencies: list[Agency]
    stops: dict[str, Stop]
    routes: dict[str, Route]
    trips: dict[str, Trip]
    stop_times: dict[str, list[StopTime]]  # trip_id -> calls ordered by stop_sequence
    calendars: list[Calendar] = field(default_factory=list)
    calendar_dates: list[CalendarDate] = field(default_factory=list)
    shapes: dict[str, Shape] = field(default_factory=dict)
    frequencies: list[Frequency] = field(default_factory=list)

    @property
    def timezone(self) -> ZoneInfo:
        """The agencies' common timezone, in which every GTFS time of the feed is expressed."""
        return ZoneInfo(self.agencies[0].timezone)


_TIME_RE = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")


def parse_gtfs_time(text: str) -> int:
    """Seconds from a GTFS "H:MM:SS" or "HH:MM:SS" time; hours may exceed 23."""
    match = _TIME_RE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not HH:MM:SS")
    hours, minutes, seconds = (int(g) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def format_gtfs_time(seconds: int) -> str:
    """GTFS "HH:MM:SS" for seconds since noon-minus-12h; keeps hours past 24."""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def parse_gtfs_date(text: str) -> date:
    """A date from GTFS "YYYYMMDD"."""
    text = text.strip()
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"{text!r} is not YYYYMMDD")
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


class _Source:
    """The files of a feed, whether in a zip (maybe nested in one folder) or a directory."""

    def __init__(self, source: str | Path | bytes) -> None:
        self._zip: zipfile.ZipFile | None = None
        self._dir: Path | None = None
        self._names: dict[str, str] = {}
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._open_zip(io.BytesIO(bytes(source)), "feed bytes")
        else:
            path = Path(source)
            if path.is_dir():
                self._dir = path
                self._names = {p.name: p.name for p in path.iterdir() if p.is_file()}
            elif path.is_file():
                self._open_zip(path, path.name)
            else:
                raise GTFSError(f"{path}: no such GTFS zip or folder")

    def _open_zip(self, file: io.BytesIO | Path, label: str) -> None:
        try:
            self._zip = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise GTFSError(f"{label} is not a readable zip archive ({exc}); re-download the feed") from exc
        # Some publishers zip the folder rather than its content: accept files one level deep.
        for info in self._zip.infolist():
            if info.is_dir() or "__MACOSX" in info.filename:
                continue
            base = info.filename.rsplit("/", 1)[-1]
            if base.endswith(".txt") and (base not in self._names or info.filename.count("/") == 0):
                self._names[base] = info.filename

    def has(self, name: str) -> bool:
        return name in self._names

    def read_bytes(self, name: str) -> bytes:
        if self._dir is not None:
            return (self._dir / self._names[name]).read_bytes()
        assert self._zip is not None
        try:
            return self._zip.read(self._names[name])
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
            raise GTFSError(f"{name}: cannot be extracted from the zip ({exc}); the archive is damaged") from exc

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


class _Row(Mapping[str, str]):
    """A CSV row that names itself in errors and treats missing columns as empty."""

    __slots__ = ("file", "line", "_values")

    def __init__(self, file: str, line: int, values: dict[str, str]) -> None:
        self.file = file
        self.line = line
        self._values = values

    def __getitem__(self, key: str) -> str:
        return self._values.get(key, "") or ""

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def fail(self, column: str, problem: str) -> GTFSError:
        return GTFSError(f"{self.file} row {self.line}: {column} {problem}")

    def required(self, column: str) -> str:
        value = self[column].strip()
        if not value:
            raise self.fail(column, "is required but empty")
        return value

    def text(self, column: str, default: str = "") -> str:
        return self[column].strip() or default

    def integer(self, column: str, default: int | None = None) -> int:
        value = self[column].strip()
        if not value:
            if default is None:
                raise self.fail(column, "is required but empty")
            return default
        try:
            return int(value)
        except ValueError:
            try:
                as_float = float(value)
            except ValueError:
                as_float = float("nan")
            # Some exporters write "3.0" for integer columns; accept only exact integers.
            if as_float.is_integer():
                return int(as_float)
            raise self.fail(column, f"{value!r} is not an integer") from None

    def number(self, column: str, default: float | None = None) -> float:
        value = self[column].strip()
        if not value:
            if default is None:
                raise self.fail(column, "is required but empty")
            return default
        try:
            result = float(value)
        except ValueError:
            raise self.fail(column, f"{value!r} is not a number") from None
        if not np.isfinite(result):
            raise self.fail(column, f"{value!r} is not a finite number")
        return result

    def time(self, column: str) -> int | None:
        value = self[column].strip()
        if not value:
            return None
        try:
            return parse_gtfs_time(value)
        except ValueError:
            raise self.fail(column, f"{value!r} is not HH:MM:SS") from None

    def day(self, column: str) -> date:
        value = self.required(column)
        try:
            return parse_gtfs_date(value)
        except ValueError:
            raise self.fail(column, f"{value!r} is not a YYYYMMDD date") from None


def _rows(source: _Source, name: str) -> Iterator[_Row]:
    raw = source.read_bytes(name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older French feeds are still exported in Windows-1252; reading them beats refusing them.
        text = raw.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=False)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise GTFSError(f"{name} row 1: unreadable header ({exc})") from exc
    columns = [h.strip().lstrip("\ufeff").strip('"').lower() for h in header]
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise GTFSError(f"{name} row {reader.line_num}: malformed CSV ({exc})") from exc
        if not values or all(not v.strip() for v in values):
            continue  # blank trailing lines are common
        yield _Row(name, reader.line_num, dict(zip(columns, values)))


REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")


def read_feed(source: str | Path | bytes) -> GTFSFeed:
    """Read a whole GTFS feed, validating it before returning anything.

    ``source`` is a path to a zip, a path to a folder of .txt files, or zip
    bytes. Row numbers in errors are physical line numbers of the CSV file
    (the header is row 1). Stop and shape coordinates are WGS84 degrees.
    """
    src = _Source(source)
    try:
        for name in REQUIRED_FILES:
            if not src.has(name):
                raise GTFSError(f"feed is missing required file {name}")
        if not src.has("calendar.txt") and not src.has("calendar_dates.txt"):
            raise GTFSError("feed has neither calendar.txt nor calendar_dates.txt; one is required")
        agencies = _read_agencies(src)
        stops = _read_stops(src)
        routes = _read_routes(src, agencies)
        calendars = _read_calendars(src) if src.has("calendar.txt") else []
        calendar_dates = _read_calendar_dates(src) if src.has("calendar_dates.txt") else []
        shapes = _read_shapes(src) if src.has("shapes.txt") else {}
        services = {c.service_id for c in calendars} | {c.service_id for c in calendar_dates}
        trips = _read_trips(src, routes, services, shapes)
        stop_times = _read_stop_times(src, trips, stops)
        frequencies = _read_frequencies(src, trips) if src.has("frequencies.txt") else []
    finally:
        src.close()
    return GTFSFeed(agencies, stops, routes, trips, stop_times, calendars, calendar_dates, shapes, frequencies)


def _read_agencies(src: _Source) -> list[Agency]:
    agencies = []
    for row in _rows(src, "agency.txt"):
        tz = row.required("agency_timezone")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise row.fail("agency_timezone", f"{tz!r} is not an IANA timezone such as Europe/Paris") from None
        agencies.append(
            Agency(
                row.text("agency_id"), row.required("agency_name"), row.text("agency_url"), tz, row.text("agency_lang")
            )
        )
    if not agencies:
        raise GTFSError("agency.txt has no agency")
    if len({a.timezone for a in agencies}) > 1:
        raise GTFSError("agency.txt: all agencies of one feed must share agency_timezone")
    return agencies


def _read_stops(src: _Source) -> dict[str, Stop]:
    stops: dict[str, Stop] = {}
    for row in _rows(src, "stops.txt"):
        stop_id = row.required("stop_id")
        location_type = row.integer("location_type", 0)
        # Generic nodes (3) and boarding areas (4) may omit coordinates.
        optional_xy = location_type in (3, 4)
        lat = row.number("stop_lat", float("nan") if optional_xy else None)
        lon = row.number("stop_lon", float("nan") if optional_xy else None)
        if not optional_xy and not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise row.fail("stop_lat", f"({lat}, {lon}) is outside WGS84 bounds")
        if stop_id in stops:
            raise row.fail("stop_id", f"{stop_id!r} is duplicated")
        stops[stop_id] = Stop(
            stop_id,
            row.text("stop_name"),
            lat,
            lon,
            location_type,
            row.text("parent_station"),
            row.text("stop_code"),
            row.integer("wheelchair_boarding", 0),
        )
    for stop in stops.values():
        if stop.parent_station and stop.parent_station not in stops:
            raise GTFSError(f"stops.txt: stop {stop.stop_id!r} has unknown parent_station {stop.parent_station!r}")
    return stops


def _colour(row: _Row, column: str, default: str) -> str:
    value = row.text(column).lstrip("#").upper()
    if not value:
        return default
    if not re.fullmatch(r"[0-9A-F]{6}", value):
        raise row.fail(column, f"{row[column]!r} is not a six-digit hex colour")
    return value


def _read_routes(src: _Source, agencies: list[Agency]) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    default_agency = agencies[0].agency_id
    for row in _rows(src, "routes.txt"):
        route_id = row.required("route_id")
        short, long = row.text("route_short_name"), row.text("route_long_name")
        if not short and not long:
            raise row.fail("route_short_name", "and route_long_name are both empty; one is required")
        routes[route_id] = Route(
            route_id,
            row.text("agency_id", default_agency),
            short,
            long,
            row.integer("route_type"),
            _colour(row, "route_color", "FFFFFF"),
            _colour(row, "route_text_color", "000000"),
        )
    return routes


def _read_calendars(src: _Source) -> list[Calendar]:
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    calendars = []
    for row in _rows(src, "calendar.txt"):
        flags = []
        for day in days:
            flag = row.integer(day)
            if flag not in (0, 1):
                raise row.fail(day, f"{flag} is not 0 or 1")
            flags.append(bool(flag))
        start, end = row.day("start_date"), row.day("end_date")
        if end < start:
            raise row.fail("end_date", f"{end:%Y%m%d} is before start_date {start:%Y%m%d}")
        calendars.append(Calendar(row.required("service_id"), tuple(flags), start, end))  # type: ignore[arg-type]
    return calendars


def _read_calendar_dates(src: _Source) -> list[CalendarDate]:
    dates = []
    for row in _rows(src, "calendar_dates.txt"):
        kind = row.integer("exception_type")
        if kind not in (1, 2):
            raise row.fail("exception_type", f"{kind} is not 1 (added) or 2 (removed)")
        dates.append(CalendarDate(row.required("service_id"), row.day("date"), kind))
    return dates


def _read_shapes(src: _Source) -> dict[str, Shape]:
    points: dict[str, list[tuple[int, float, float, float | None]]] = {}
    for row in _rows(src, "shapes.txt"):
        dist = row.number("shape_dist_traveled", float("nan"))
        points.setdefault(row.required("shape_id"), []).append(
            (row.integer("shape_pt_sequence"), row.number("shape_pt_lat"), row.number("shape_pt_lon"), dist)
        )
    shapes = {}
    for shape_id, pts in points.items():
        pts.sort(key=lambda p: p[0])
        arr = np.array([p[1:] for p in pts], dtype=np.float64)
        dist = arr[:, 2]
        # A partial shape_dist_traveled column cannot be trusted for interpolation: drop it whole.
        keep = bool(np.all(np.isfinite(dist))) and bool(np.all(np.diff(dist) >= 0))
        shapes[shape_id] = Shape(shape_id, arr[:, 0].copy(), arr[:, 1].copy(), dist.copy() if keep else None)
    return shapes


def _read_trips(
    src: _Source, routes: dict[str, Route], services: set[str], shapes: dict[str, Shape]
) -> dict[str, Trip]:
    trips: dict[str, Trip] = {}
    for row in _rows(src, "trips.txt"):
        trip_id = row.required("trip_id")
        route_id = row.required("route_id")
        if route_id not in routes:
            raise row.fail("route_id", f"{route_id!r} is not in routes.txt")
        service_id = row.required("service_id")
        if service_id not in services:
            raise row.fail("service_id", f"{service_id!r} is in neither calendar.txt nor calendar_dates.txt")
        shape_id = row.text("shape_id")
        if shape_id and shape_id not in shapes:
            raise row.fail("shape_id", f"{shape_id!r} is not in shapes.txt")
        direction = row.text("direction_id")
        if trip_id in trips:
            raise row.fail("trip_id", f"{trip_id!r} is duplicated")
        trips[trip_id] = Trip(
            trip_id,
            route_id,
            service_id,
            row.text("trip_headsign"),
            row.integer("direction_id") if direction else None,
            shape_id,
            row.text("block_id"),
        )
    return trips


def _read_stop_times(src: _Source, trips: dict[str, Trip], stops: dict[str, Stop]) -> dict[str, list[StopTime]]:
    raw: dict[str, list[tuple[int, _Row, int | None, int | None]]] = {}
    for row in _rows(src, "stop_times.txt"):
        trip_id = row.required("trip_id")
        if trip_id not in trips:
            raise row.fail("trip_id", f"{trip_id!r} is not in trips.txt")
        stop_id = row.required("stop_id")
        if stop_id not in stops:
            raise row.fail("stop_id", f"{stop_id!r} is not in stops.txt")
        arrival, departure = row.time("arrival_time"), row.time("departure_time")
        # A call with only one of the two times means the bus does not dwell.
        arrival = departure if arrival is None else arrival
        departure = arrival if departure is None else departure
        if arrival is not None and departure is not None and departure < arrival:
            raise row.fail(
                "departure_time", f"{row['departure_time']!r} is before arrival_time {row['arrival_time']!r}"
            )
        raw.setdefault(trip_id, []).append((row.integer("stop_sequence"), row, arrival, departure))

    result: dict[str, list[StopTime]] = {}
    for trip_id, calls in raw.items():
        calls.sort(key=lambda c: c[0])
        for (seq_a, _, _, _), (seq_b, row_b, _, _) in zip(calls, calls[1:]):
            if seq_a == seq_b:
                raise row_b.fail("stop_sequence", f"{seq_b} is repeated in trip {trip_id!r}")
        times = _fill_times(trip_id, calls)
        result[trip_id] = [
            StopTime(
                trip_id,
                seq,
                row.required("stop_id"),
                arr,
                dep,
                row.number("shape_dist_traveled") if row.text("shape_dist_traveled") else None,
                row.integer("pickup_type", 0),
                row.integer("drop_off_type", 0),
                timed,
                row.text("stop_headsign"),
            )
            for (seq, row, _, _), (arr, dep, timed) in zip(calls, times)
        ]
    for trip_id in trips:
        result.setdefault(trip_id, [])
    return result


def _fill_times(trip_id: str, calls: list[tuple[int, _Row, int | None, int | None]]) -> list[tuple[int, int, bool]]:
    """Interpolate blank times of non-timepoint calls linearly between the timed calls around them."""
    first_row, last_row = calls[0][1], calls[-1][1]
    if calls[0][3] is None:
        raise first_row.fail("departure_time", f"is empty on the first stop of trip {trip_id!r}")
    if calls[-1][2] is None:
        raise last_row.fail("arrival_time", f"is empty on the last stop of trip {trip_id!r}")
    timed = [i for i, c in enumerate(calls) if c[2] is not None]
    out: list[tuple[int, int, bool]] = []
    previous = -1
    for i, (_, row, arr, dep) in enumerate(calls):
        if arr is not None and dep is not None:
            if previous >= 0 and arr < previous:
                raise row.fail(
                    "arrival_time",
                    f"{row['arrival_time'] or row['departure_time']!r} goes back in time in trip {trip_id!r}",
                )
            out.append((arr, dep, True))
            previous = dep
            continue
        before = max(j for j in timed if j < i)
        after = min(j for j in timed if j > i)
        t0, t1 = calls[before][3], calls[after][2]
        assert t0 is not None and t1 is not None
        t = round(t0 + (t1 - t0) * (i - before) / (after - before))
        out.append((t, t, False))
    return out


def _read_frequencies(src: _Source, trips: dict[str, Trip]) -> list[Frequency]:
    frequencies = []
    for row in _rows(src, "frequencies.txt"):
        trip_id = row.required("trip_id")
        if trip_id not in trips:
            raise row.fail("trip_id", f"{trip_id!r} is not in trips.txt")
        start, end = row.time("start_time"), row.time("end_time")
        if start is None:
            raise row.fail("start_time", "is required but empty")
        if end is None:
            raise row.fail("end_time", "is required but empty")
        headway = row.integer("headway_secs")
        if headway <= 0:
            raise row.fail("headway_secs", f"{headway} must be positive")
        frequencies.append(Frequency(trip_id, start, end, headway, row.integer("exact_times", 0) == 1))
    return frequencies


def expand_frequencies(feed: GTFSFeed) -> GTFSFeed:
    """A copy of ``feed`` where each frequency window became explicit trips.

    The template trip's first departure is moved to each start time of the
    window; expanded trips are named ``"<trip_id>@HH:MM:SS"`` (their start
    time, as GTFS-realtime's ``start_time`` identifies them). Template trips
    that have frequencies are removed; for non-exact windows the start times
    are nominal (a headway promise, not a timetable).
    """
    if not feed.frequencies:
        return feed
    trips = dict(feed.trips)
    stop_times = dict(feed.stop_times)
    templated = {f.trip_id for f in feed.frequencies}
    for trip_id in templated:
        del trips[trip_id]
        del stop_times[trip_id]
    for freq in feed.frequencies:
        template = feed.stop_times[freq.trip_id]
        if not template:
            continue
        origin = template[0].departure
        for start in range(freq.start, freq.end, freq.headway_secs):
            new_id = f"{freq.trip_id}@{format_gtfs_time(start)}"
            shift = start - origin
            trips[new_id] = replace(feed.trips[freq.trip_id], trip_id=new_id)
            stop_times[new_id] = [
                replace(st, trip_id=new_id, arrival=st.arrival + shift, departure=st.departure + shift)
                for st in template
            ]
    return replace(feed, trips=trips, stop_times=stop_times, frequencies=[])
