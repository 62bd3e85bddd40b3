"""Admin for the GTFS tables: read-mostly, searchable by GTFS ids and names, filtered by feed."""

from django import forms
from django.contrib import admin
from django.contrib.gis.db import models as gis_models

from realtime import models

# GeoDjango's map widgets load OpenLayers from a CDN; the twin runs on-premise without one.
WKT_WIDGET = {gis_models.GeometryField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 80})}}


@admin.register(models.Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "timezone", "imported_at", "checksum", "source"]
    list_filter = ["active", "timezone"]
    search_fields = ["name", "source", "checksum"]
    readonly_fields = ["checksum", "imported_at", "counts"]


@admin.register(models.Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "agency_id", "timezone", "lang", "feed"]
    list_filter = ["feed", "timezone"]
    search_fields = ["name", "agency_id"]


@admin.register(models.Stop)
class StopAdmin(admin.ModelAdmin):
    formfield_overrides = WKT_WIDGET
    list_display = ["stop_id", "name", "code", "location_type", "parent_station", "feed"]
    list_filter = ["feed", "location_type", "wheelchair_boarding"]
    search_fields = ["stop_id", "name", "code"]


@admin.register(models.Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ["route_id", "short_name", "long_name", "route_type", "color", "feed"]
    list_filter = ["feed", "route_type"]
    search_fields = ["route_id", "short_name", "long_name"]


class StopTimeInline(admin.TabularInline):
    model = models.StopTime
    fields = ["stop_sequence", "stop", "arrival_text", "departure_text", "pickup_type", "drop_off_type", "timepoint"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        # Stop times come from the feed import; a blank row's arrival_text has no time to format (the page failed).
        return False


@admin.register(models.Trip)
class TripAdmin(admin.ModelAdmin):
    list_display = ["trip_id", "route", "service_id", "headsign", "direction_id", "shape_id"]
    list_filter = ["feed", "route", "service_id", "direction_id"]
    search_fields = ["trip_id", "headsign", "block_id"]
    list_select_related = ["route"]
    inlines = [StopTimeInline]


@admin.register(models.StopTime)
class StopTimeAdmin(admin.ModelAdmin):
    list_display = ["trip", "stop_sequence", "stop", "arrival_text", "departure_text", "timepoint"]
    list_filter = ["trip__feed", "timepoint", "pickup_type", "drop_off_type"]
    search_fields = ["trip__trip_id", "stop__stop_id", "stop__name"]
    list_select_related = ["trip", "stop"]
    raw_id_fields = ["trip", "stop"]


@admin.register(models.Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = [
        "service_id",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "start_date",
        "end_date",
        "feed",
    ]
    list_filter = ["feed"]
    search_fields = ["service_id"]


@admin.register(models.CalendarDate)
class CalendarDateAdmin(admin.ModelAdmin):
    list_display = ["service_id", "date", "exception_type", "feed"]
    list_filter = ["feed", "exception_type"]
    search_fields = ["service_id"]
    date_hierarchy = "date"


@admin.register(models.Shape)
class ShapeAdmin(admin.ModelAdmin):
    formfield_overrides = WKT_WIDGET
    list_display = ["shape_id", "feed"]
    list_filter = ["feed"]
    search_fields = ["shape_id"]


@admin.register(models.Frequency)
class FrequencyAdmin(admin.ModelAdmin):
    list_display = ["trip", "start", "end", "headway_secs", "exact_times"]
    list_filter = ["trip__feed", "exact_times"]
    search_fields = ["trip__trip_id"]
    raw_id_fields = ["trip"]
