"""GTFS static import: read and validate the whole feed, then replace the active feed in one transaction."""

from __future__ import annotations

import hashlib
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.contrib.gis.geos import Point
from django.db import transaction

from realtime import gtfs_feed as g
from realtime import models as m
from realtime.gtfs_feed import GTFSError
from realtime.models import Feed

__all__ = [
    "GTFSDownloadError",
    "ImportReport",
    "demo_schedule",
    "feed_due",
    "feed_is_loaded",
    "feed_runs_on",
    "import_feed",
]

Progress = Callable[[str], None]
MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024
BATCH = 5000


class GTFSDownloadError(GTFSError, OSError):
    """The feed's URL could not be read."""


@dataclass(frozen=True)
class ImportReport:
    feed_id: int
    checksum: str
    counts: dict[str, int]
    unchanged: bool
    seconds: float

    def summary(self) -> str:
        if self.unchanged:
            return f"feed unchanged (sha256 {self.checksum[:12]}), nothing imported"
        parts = ", ".join(f"{n} {name}" for name, n in self.counts.items() if n)
        return f"imported {parts} in {self.seconds:.1f} s"


def _fetch(source: str, timeout_s: float = 60.0) -> tuple[bytes | Path, bytes]:
    """The feed as something read_feed takes, plus the bytes its checksum is computed on."""
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"User-Agent": "jumeau-gtfs-import/0.1"})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                data = response.read(MAX_DOWNLOAD_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise GTFSDownloadError(f"{source}: the server answered HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GTFSDownloadError(f"{source}: cannot download the feed ({reason})") from exc
        if len(data) > MAX_DOWNLOAD_BYTES:
            raise GTFSDownloadError(
                f"{source}: the feed is larger than {MAX_DOWNLOAD_BYTES >> 20} MiB; download it and import the file"
            )
        return data, data
    path = Path(source.removeprefix("file://"))
    if path.is_dir():
        digest = hashlib.sha256()
        for child in sorted(path.glob("*.txt")):
            digest.update(child.name.encode() + b"\0" + child.read_bytes())
        return path, digest.digest()
    if not path.is_file():
        raise GTFSError(f"{path}: no such GTFS zip or folder")
    return path, path.read_bytes()


def import_feed(path_or_url: str | Path, progress: Progress | None = None, *, force: bool = False) -> ImportReport:
    """Import a GTFS zip, folder or http(s) URL and make it the active feed.

    The whole feed is read and validated first (GTFSError names file, row and
    field); then the new rows are written and the previous feed deleted in one
    transaction, so readers see the old feed or the new one, never a mix, and
    a failed import leaves the database as it was. Importing the same bytes
    as the active feed again is a no-op unless ``force``.
    """
    say = progress or (lambda message: None)
    started = time.perf_counter()
    source = str(path_or_url)
    say(f"Reading {source}")
    readable, raw = _fetch(source)
    checksum = hashlib.sha256(raw).hexdigest()
    current = Feed.objects.current()
    if current is not None and current.checksum == checksum and not force:
        return ImportReport(current.pk, checksum, current.counts, True, time.perf_counter() - started)
    feed = g.read_feed(readable)
    counts = {
        "agencies": len(feed.agencies),
        "stops": len(feed.stops),
        "routes": len(feed.routes),
        "trips": len(feed.trips),
        "stop_times": sum(len(c) for c in feed.stop_times.values()),
        "calendars": len(feed.calendars),
        "calendar_dates": len(feed.calendar_dates),
        "shapes": len(feed.shapes),
        "frequencies": len(feed.frequencies),
    }
    say("Validated: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    with transaction.atomic():
        row = Feed.objects.create(
            name=feed.agencies[0].name,
            source=source,
            checksum=checksum,
            timezone=feed.agencies[0].timezone,
            counts=counts,
        )
        _write(row, feed, say)
        row.activate()
    seconds = time.perf_counter() - started
    report = ImportReport(row.pk, checksum, counts, False, seconds)
    say(report.summary())
    return report


def _write(row, feed: g.GTFSFeed, say: Progress) -> None:
    m.Agency.objects.bulk_create(
        [
            m.Agency(feed=row, agency_id=a.agency_id, name=a.name, url=a.url, timezone=a.timezone, lang=a.lang)
            for a in feed.agencies
        ]
    )
    m.Stop.objects.bulk_create(
        [
            m.Stop(
                feed=row,
                stop_id=s.stop_id,
                code=s.code,
                name=s.name,
                location_type=s.location_type,
                parent_station=s.parent_station,
                wheelchair_boarding=s.wheelchair_boarding,
                geom=Point(s.lon, s.lat, srid=m.WGS84) if s.lat == s.lat and s.lon == s.lon else None,
            )
            for s in feed.stops.values()
        ],
        batch_size=BATCH,
    )
    m.Route.objects.bulk_create(
        [
            m.Route(
                feed=row,
                route_id=r.route_id,
                agency_id=r.agency_id,
                short_name=r.short_name,
                long_name=r.long_name,
                route_type=r.route_type,
                color=r.color,
                text_color=r.text_color,
            )
            for r in feed.routes.values()
        ],
        batch_size=BATCH,
    )
    m.Calendar.objects.bulk_create(
        [
            m.Calendar(feed=row, service_id=c.service_id, start_date=c.start_date, end_date=c.end_date, **m.weekdays(c))
            for c in feed.calendars
        ],
        batch_size=BATCH,
    )
    m.CalendarDate.objects.bulk_create(
        [
            m.CalendarDate(feed=row, service_id=c.service_id, date=c.date, exception_type=c.exception_type)
            for c in feed.calendar_dates
        ],
        batch_size=BATCH,
    )
    m.Shape.objects.bulk_create(
        [
            m.Shape(
                feed=row, shape_id=s.shape_id, geom=m.Shape.line_of(s), dist=None if s.dist is None else s.dist.tolist()
            )
            for s in feed.shapes.values()
        ],
        batch_size=500,
    )
    # Primary keys of the rows just written: bulk_create does not return them on every backend.
    route_pk = dict(m.Route.objects.filter(feed=row).values_list("route_id", "pk"))
    m.Trip.objects.bulk_create(
        [
            m.Trip(
                feed=row,
                route_id=route_pk[t.route_id],
                trip_id=t.trip_id,
                service_id=t.service_id,
                headsign=t.headsign,
                direction_id=t.direction_id,
                shape_id=t.shape_id,
                block_id=t.block_id,
            )
            for t in feed.trips.values()
        ],
        batch_size=BATCH,
    )
    trip_pk = dict(m.Trip.objects.filter(feed=row).values_list("trip_id", "pk"))
    stop_pk = dict(m.Stop.objects.filter(feed=row).values_list("stop_id", "pk"))
    batch: list = []
    written = 0
    total = sum(len(c) for c in feed.stop_times.values())
    for trip_id, calls in feed.stop_times.items():
        for c in calls:
            batch.append(
                m.StopTime(
                    trip_id=trip_pk[trip_id],
                    stop_id=stop_pk[c.stop_id],
                    stop_sequence=c.stop_sequence,
                    arrival=c.arrival,
                    departure=c.departure,
                    shape_dist_traveled=c.shape_dist_traveled,
                    pickup_type=c.pickup_type,
                    drop_off_type=c.drop_off_type,
                    timepoint=c.timepoint,
                    headsign=c.headsign,
                )
            )
        if len(batch) >= BATCH:
            m.StopTime.objects.bulk_create(batch, batch_size=BATCH)
            written += len(batch)
            batch = []
            say(f"  stop_times {written}/{total}")
    m.StopTime.objects.bulk_create(batch, batch_size=BATCH)
    m.Frequency.objects.bulk_create(
        [
            m.Frequency(
                trip_id=trip_pk[f.trip_id],
                start=f.start,
                end=f.end,
                headway_secs=f.headway_secs,
                exact_times=f.exact_times,
            )
            for f in feed.frequencies
        ],
        batch_size=BATCH,
    )


def feed_is_loaded() -> bool:
    return Feed.objects.filter(active=True).exists()


def feed_runs_on(day: date) -> bool:
    """Whether the active feed's calendar reaches ``day`` (False with no feed): an ended feed shows no bus."""
    return _runs_on(Feed.objects.current(), day)


def feed_due(path: str | Path, day: date) -> bool:
    """Whether a loader of the feed at ``path`` should import it: no active feed runs on ``day``, or the active
    one came from that same path (a newer file there replaces it; import_feed skips the same bytes). A feed the
    city imported from elsewhere, still running, is left alone."""
    feed = Feed.objects.current()
    return not _runs_on(feed, day) or feed.source == str(path)


def _runs_on(feed: Feed | None, day: date) -> bool:
    last = None if feed is None else feed.last_service_day()
    return last is not None and last >= day


def demo_schedule() -> g.GTFSFeed | None:
    """The active feed as a GTFSFeed (rebuilt from the database), or None when no feed is imported."""
    feed = Feed.objects.current()
    return None if feed is None else feed.to_gtfs()
