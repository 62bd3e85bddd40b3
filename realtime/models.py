"""GTFS schedule tables: one active feed at a time, replaced atomically by each import.

Coordinates are stored in WGS84 (EPSG:4326), not in the city's storage CRS:
GTFS defines stop and shape coordinates in WGS84, the browser draws them in
lon/lat, and GTFS-realtime vehicle positions arrive in lon/lat too — storing
them as delivered avoids two reprojections per request and keeps an imported
feed byte-comparable with its source. Queries near a point of the twin
transform the point, not the table.

Times are GTFS seconds since the service day's "noon minus 12h", as the
reader returns them: they exceed 86 400 for calls after midnight of a trip
that started the day before (25:10:00 is 90 600).
"""

from __future__ import annotations

from datetime import date

import numpy as np
from django.contrib.gis.db import models
from django.contrib.gis.geos import LineString, Polygon
from django.db import transaction
from django.utils import timezone as dj_timezone

from realtime import gtfs_feed as g

WGS84 = 4326


class FeedQuerySet(models.QuerySet):
    def current(self) -> Feed | None:
        return self.filter(active=True).order_by("-imported_at").first()


class Feed(models.Model):
    """One imported GTFS feed; its rows hang from it and go with it."""

    name = models.CharField(max_length=200, help_text="The first agency's name.")
    source = models.CharField(max_length=1000, help_text="Path or URL it was imported from.")
    checksum = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the delivered bytes.")
    timezone = models.CharField(max_length=64, help_text="agency_timezone: every GTFS time of the feed is local to it.")
    imported_at = models.DateTimeField(default=dj_timezone.now)
    active = models.BooleanField(default=False, help_text="The feed the twin serves; only one is active.")
    counts = models.JSONField(default=dict, blank=True, help_text="Rows per GTFS file.")

    objects = FeedQuerySet.as_manager()

    class Meta:
        ordering = ["-active", "-imported_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.imported_at:%Y-%m-%d %H:%M})"

    @transaction.atomic
    def activate(self) -> None:
        """Make this the only feed, in the caller's transaction: readers see the old feed or the new one."""
        Feed.objects.exclude(pk=self.pk).delete()
        self.active = True
        self.save(update_fields=["active"])

    def last_service_day(self) -> date | None:
        """The last date any trip of the feed runs (calendar end or added date), or None for a feed with no service."""
        ends = [
            self.calendars.aggregate(end=models.Max("end_date"))["end"],
            self.calendar_dates.filter(exception_type=CalendarDate.Exception.ADDED).aggregate(end=models.Max("date"))[
                "end"
            ],
        ]
        return max((d for d in ends if d is not None), default=None)

    def to_gtfs(self) -> g.GTFSFeed:
        """The feed back as the pure cores' GTFSFeed (what the simulator and the departure clock read)."""
        agencies = [g.Agency(a.agency_id, a.name, a.url, a.timezone, a.lang) for a in self.agencies.order_by("id")]
        stops = {
            s.stop_id: g.Stop(
                s.stop_id,
                s.name,
                s.geom.y if s.geom else float("nan"),
                s.geom.x if s.geom else float("nan"),
                s.location_type,
                s.parent_station,
                s.code,
                s.wheelchair_boarding,
            )
            for s in self.stops.all()
        }
        routes = {
            r.route_id: g.Route(r.route_id, r.agency_id, r.short_name, r.long_name, r.route_type, r.color, r.text_color)
            for r in self.routes.all()
        }
        trips = {
            t[0]: g.Trip(*t)
            for t in Trip.objects.filter(feed=self).values_list(
                "trip_id", "route__route_id", "service_id", "headsign", "direction_id", "shape_id", "block_id"
            )
        }
        stop_times: dict[str, list[g.StopTime]] = {trip_id: [] for trip_id in trips}
        rows = (
            StopTime.objects.filter(trip__feed=self)
            .order_by("trip_id", "stop_sequence")
            .values_list(
                "trip__trip_id",
                "stop_sequence",
                "stop__stop_id",
                "arrival",
                "departure",
                "shape_dist_traveled",
                "pickup_type",
                "drop_off_type",
                "timepoint",
                "headsign",
            )
        )
        for row in rows.iterator(chunk_size=20_000):
            stop_times[row[0]].append(g.StopTime(*row))
        calendars = [
            g.Calendar(
                c.service_id,
                (c.monday, c.tuesday, c.wednesday, c.thursday, c.friday, c.saturday, c.sunday),
                c.start_date,
                c.end_date,
            )
            for c in self.calendars.all()
        ]
        calendar_dates = [g.CalendarDate(c.service_id, c.date, c.exception_type) for c in self.calendar_dates.all()]
        shapes = {}
        for s in self.shapes.all():
            coords = np.asarray(s.geom.coords, dtype=np.float64)
            shapes[s.shape_id] = g.Shape(
                s.shape_id,
                coords[:, 1].copy(),
                coords[:, 0].copy(),
                np.asarray(s.dist, dtype=np.float64) if s.dist else None,
            )
        frequencies = [
            g.Frequency(f.trip.trip_id, f.start, f.end, f.headway_secs, f.exact_times)
            for f in Frequency.objects.filter(trip__feed=self).select_related("trip").order_by("id")
        ]
        return g.GTFSFeed(agencies, stops, routes, trips, stop_times, calendars, calendar_dates, shapes, frequencies)


class Agency(models.Model):
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="agencies")
    agency_id = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200)
    url = models.CharField(max_length=500, blank=True)
    timezone = models.CharField(max_length=64)
    lang = models.CharField(max_length=10, blank=True)

    class Meta:
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class StopQuerySet(models.QuerySet):
    def current(self) -> StopQuerySet:
        return self.filter(feed__active=True)

    def in_bbox(self, west: float, south: float, east: float, north: float) -> StopQuerySet:
        """Stops inside a lon/lat box (WGS84 degrees)."""
        return self.filter(geom__within=Polygon.from_bbox((west, south, east, north)))


class Stop(models.Model):
    """A stop, station or entrance; geom in WGS84 (EPSG:4326), empty for generic nodes."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="stops")
    stop_id = models.CharField(max_length=200)
    code = models.CharField(max_length=50, blank=True)
    name = models.CharField(max_length=300, blank=True)
    geom = models.PointField(srid=WGS84, null=True, blank=True)
    location_type = models.PositiveSmallIntegerField(default=0)
    parent_station = models.CharField(max_length=200, blank=True)
    wheelchair_boarding = models.PositiveSmallIntegerField(default=0)

    objects = StopQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "stop_id"], name="gtfs_stop_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.stop_id})"


class Route(models.Model):
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="routes")
    route_id = models.CharField(max_length=200)
    agency_id = models.CharField(max_length=100, blank=True)
    short_name = models.CharField(max_length=100, blank=True)
    long_name = models.CharField(max_length=300, blank=True)
    route_type = models.PositiveSmallIntegerField()
    color = models.CharField(max_length=6, default="FFFFFF")
    text_color = models.CharField(max_length=6, default="000000")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "route_id"], name="gtfs_route_unique")]

    def __str__(self) -> str:
        return self.short_name or self.long_name


class Trip(models.Model):
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="trips")
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="trips")
    trip_id = models.CharField(max_length=200)
    service_id = models.CharField(max_length=200, db_index=True)
    headsign = models.CharField(max_length=300, blank=True)
    direction_id = models.PositiveSmallIntegerField(null=True, blank=True)
    shape_id = models.CharField(max_length=200, blank=True)
    block_id = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "trip_id"], name="gtfs_trip_unique")]

    def __str__(self) -> str:
        return self.trip_id


class StopTime(models.Model):
    """One call; arrival/departure in GTFS seconds since noon-minus-12h (may exceed 86 400)."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="stop_times")
    stop = models.ForeignKey(Stop, on_delete=models.CASCADE, related_name="stop_times")
    stop_sequence = models.PositiveIntegerField()
    arrival = models.PositiveIntegerField()
    departure = models.PositiveIntegerField()
    shape_dist_traveled = models.FloatField(null=True, blank=True)
    pickup_type = models.PositiveSmallIntegerField(default=0)
    drop_off_type = models.PositiveSmallIntegerField(default=0)
    timepoint = models.BooleanField(default=True, help_text="False when the time was interpolated.")
    headsign = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["trip", "stop_sequence"]
        constraints = [models.UniqueConstraint(fields=["trip", "stop_sequence"], name="gtfs_stop_time_unique")]

    @property
    def arrival_text(self) -> str:
        return g.format_gtfs_time(self.arrival)

    @property
    def departure_text(self) -> str:
        return g.format_gtfs_time(self.departure)


class Calendar(models.Model):
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="calendars")
    service_id = models.CharField(max_length=200)
    monday = models.BooleanField()
    tuesday = models.BooleanField()
    wednesday = models.BooleanField()
    thursday = models.BooleanField()
    friday = models.BooleanField()
    saturday = models.BooleanField()
    sunday = models.BooleanField()
    start_date = models.DateField()
    end_date = models.DateField()

    def __str__(self) -> str:
        return self.service_id


class CalendarDate(models.Model):
    class Exception(models.IntegerChoices):
        ADDED = 1, "Service added"
        REMOVED = 2, "Service removed"

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="calendar_dates")
    service_id = models.CharField(max_length=200)
    date = models.DateField()
    exception_type = models.PositiveSmallIntegerField(choices=Exception.choices)

    def __str__(self) -> str:
        return f"{self.service_id} {self.date:%Y-%m-%d}"


class Shape(models.Model):
    """A drawn trip path in WGS84; ``dist`` is shape_dist_traveled per point (feed units) or null."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="shapes")
    shape_id = models.CharField(max_length=200)
    geom = models.LineStringField(srid=WGS84)
    dist = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "shape_id"], name="gtfs_shape_unique")]

    def __str__(self) -> str:
        return self.shape_id

    @staticmethod
    def line_of(shape: g.Shape) -> LineString:
        coords = list(zip(shape.lon.tolist(), shape.lat.tolist()))
        if len(coords) == 1:  # a one-point shape is useless but legal; keep it drawable
            coords.append(coords[0])
        return LineString(coords, srid=WGS84)


class Frequency(models.Model):
    """A headway window of a template trip; start/end GTFS seconds, end exclusive."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="frequencies")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    headway_secs = models.PositiveIntegerField()
    exact_times = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "frequencies"


def weekdays(calendar: g.Calendar) -> dict[str, bool]:
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return dict(zip(names, calendar.weekdays))
