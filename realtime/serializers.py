"""Shapes of the realtime HTTP answers, for the OpenAPI schema (the views build plain dicts; these describe them)."""

from __future__ import annotations

from rest_framework import serializers as drf


class RealtimeErrorSerializer(drf.Serializer):
    detail = drf.CharField(help_text="What went wrong, and what to give instead.")


class GeoJSONGeometrySerializer(drf.Serializer):
    type = drf.CharField(help_text="Point, LineString, ...")
    coordinates = drf.JSONField(help_text="WGS84 longitude, latitude (and height in metres for walks).")


class WalkFeatureSerializer(drf.Serializer):
    type = drf.CharField(default="Feature")
    geometry = GeoJSONGeometrySerializer(help_text="The walk as a 3D LineString, WGS84 degrees and metres.")
    properties = drf.DictField(
        help_text=(
            "Length (m), duration (s), the places at both ends; `shade`: the preference, max_detour, detour (share "
            "of the fastest walk's length), share (of the length in shade, each edge at the time the walker is "
            "on it; null when the shade job has not run), available; `shade_runs`: [first, last coordinate "
            "index, shade share] stretches of the line."
        )
    )


class CircuitStopSerializer(drf.Serializer):
    order = drf.IntegerField()
    poi = drf.CharField(help_text="Slug of the point of interest.")
    name = drf.CharField()
    text = drf.CharField(help_text="What the city says there.")
    category = drf.CharField()
    lon = drf.FloatField(help_text="WGS84 degrees.")
    lat = drf.FloatField(help_text="WGS84 degrees.")


class CircuitPropertiesSerializer(drf.Serializer):
    kind = drf.CharField(default="circuit")
    slug = drf.CharField()
    name = drf.CharField()
    description = drf.CharField()
    stops = CircuitStopSerializer(many=True)
    complete = drf.BooleanField(help_text="False when a leg could not be routed on the street graph.")
    shade_by_hour = drf.ListField(
        child=drf.DictField(),
        required=False,
        help_text="[{depart (UTC ISO 8601), shade_share (0..1 or null)}]: the circuit's "
        "share in shade if started now and in each of the coming hours.",
    )


class CircuitFeatureSerializer(drf.Serializer):
    type = drf.CharField(default="Feature")
    geometry = GeoJSONGeometrySerializer(
        allow_null=True, help_text="The walk through its stops; null when it has none."
    )
    properties = CircuitPropertiesSerializer()


def feature_collection(name: str, feature: type[drf.Serializer]) -> type[drf.Serializer]:
    """A GeoJSON FeatureCollection of `feature`s, documented under `name` in the OpenAPI schema."""
    fields = {
        "type": drf.CharField(default="FeatureCollection"),
        "features": feature(many=True),
        "numberMatched": drf.IntegerField(help_text="Features in the whole collection."),
        "next": drf.URLField(
            allow_null=True, help_text="The next page (?limit, at most 5000, and ?offset), or null on the last one."
        ),
    }
    return type(name, (drf.Serializer,), {**fields, "__module__": __name__})


CircuitCollectionSerializer = feature_collection("CircuitCollectionSerializer", CircuitFeatureSerializer)


class LineSerializer(drf.Serializer):
    route = drf.CharField(help_text="GTFS route_id.")
    line = drf.CharField(help_text="The line's short name, as on the bus.")
    color = drf.CharField(help_text="RRGGBB, no #.")


class StopPropertiesSerializer(drf.Serializer):
    stop_id = drf.CharField()
    name = drf.CharField()
    code = drf.CharField(allow_blank=True)
    location_type = drf.IntegerField(help_text="0 a stop or platform, 1 a station.")
    parent_station = drf.CharField(allow_blank=True)
    lines = LineSerializer(many=True)


class StopFeatureSerializer(drf.Serializer):
    type = drf.CharField(default="Feature")
    id = drf.CharField(help_text="GTFS stop_id.")
    geometry = GeoJSONGeometrySerializer(help_text="A Point, WGS84 longitude and latitude.")
    properties = StopPropertiesSerializer()


StopCollectionSerializer = feature_collection("StopCollectionSerializer", StopFeatureSerializer)


class DepartureSerializer(drf.Serializer):
    trip = drf.CharField(help_text="GTFS trip_id (frequency instances: trip_id@HH:MM:SS).")
    route = drf.CharField()
    line = drf.CharField()
    color = drf.CharField()
    text_color = drf.CharField()
    headsign = drf.CharField()
    stop = drf.CharField(help_text="The platform the bus leaves from (a station's board lists its platforms).")
    scheduled = drf.IntegerField(help_text="Timetable departure, POSIX seconds.")
    expected = drf.IntegerField(help_text="Expected departure (timetable + realtime delay), POSIX seconds.")
    delay = drf.IntegerField(help_text="Seconds late (negative: early).")
    realtime = drf.BooleanField(help_text="True when the GTFS-realtime feed covers this departure; else the timetable.")


class BoardStopSerializer(drf.Serializer):
    stop_id = drf.CharField()
    name = drf.CharField()
    code = drf.CharField(allow_blank=True)


class DepartureBoardSerializer(drf.Serializer):
    stop = BoardStopSerializer()
    departures = DepartureSerializer(many=True)
    source = drf.ChoiceField(
        ["worker", "schedule"], help_text="The feed worker's latest board, or the timetable alone."
    )
    status = drf.ChoiceField(
        ["ok", "stale", "down", "garbage", "unknown"], help_text="State of the GTFS-realtime feed."
    )
    feed_timestamp = drf.IntegerField(
        allow_null=True, help_text="The feed's last good header timestamp, POSIX seconds."
    )
    updated = drf.CharField(help_text="'updated N s ago' or 'never updated'.")
    generated_at = drf.DateTimeField()
