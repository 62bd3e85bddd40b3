"""What POST /api/viewshed/ takes and answers; the OpenAPI schema is read from here."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers


class ObserverSerializer(serializers.Serializer):
    """Where the eye is: lon/lat on open ground, a building's floor and facade, or a point picked on a facade."""

    lon = serializers.FloatField(required=False, min_value=-180, max_value=180, help_text="Longitude, WGS84 degrees.")
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90, help_text="Latitude, WGS84 degrees.")
    height = serializers.FloatField(
        required=False,
        min_value=-200,
        max_value=9000,
        help_text="Ellipsoidal height (WGS84, metres) of a point picked on a facade, as CesiumJS's pickPosition "
        "gives it. With lon/lat it makes a facade pick: the point snaps to the nearest facade.",
    )
    height_above_ground = serializers.FloatField(
        required=False,
        default=0.0,
        min_value=0,
        max_value=300,
        help_text="With lon/lat only: metres between the ground and the floor the person stands on.",
    )
    building = serializers.IntegerField(required=False, min_value=1, help_text="Building id (as in /api/buildings/).")
    building_source_id = serializers.CharField(
        required=False, max_length=200, help_text="Or the building's source_id (the 3D tiles feature property)."
    )
    floor = serializers.IntegerField(required=False, min_value=0, max_value=200, help_text="0: the ground floor.")
    facade = serializers.IntegerField(
        required=False, min_value=0, help_text="Index of the footprint edge (outer ring, in order) to stand at."
    )
    facade_azimuth = serializers.FloatField(
        required=False,
        min_value=-360,
        max_value=720,
        help_text="Or the direction the facade faces, degrees clockwise from north.",
    )

    def validate(self, data: dict) -> dict:
        has_lonlat = "lon" in data or "lat" in data
        if has_lonlat and not ("lon" in data and "lat" in data):
            raise serializers.ValidationError("Give both lon and lat.")
        has_building = "building" in data or "building_source_id" in data
        if has_lonlat:
            data["kind"] = "pick" if "height" in data else "ground"
        elif has_building:
            if "floor" not in data:
                raise serializers.ValidationError("With a building, give the floor (0: ground floor).")
            data["kind"] = "facade"
        else:
            raise serializers.ValidationError("Give lon and lat, or a building with its floor (and a facade).")
        return data


class ViewshedRequestSerializer(serializers.Serializer):
    observer = ObserverSerializer()
    eye_height = serializers.FloatField(
        default=1.6, min_value=0.0, max_value=10.0, help_text="Eyes above the floor (or ground), metres."
    )
    radius = serializers.FloatField(
        default=1000.0, min_value=10.0, help_text="How far to look, metres (at most JUMEAU_VIEWSHED_MAX_RADIUS_M)."
    )
    resolution = serializers.FloatField(
        required=False,
        min_value=0.1,
        max_value=10.0,
        help_text="Cell size in metres: the DSM's (1 m) or a coarser multiple of it, up to 10 m.",
    )
    variant = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="A project variant id (from /api/projects/): adds the view after it is built.",
    )
    landmarks = serializers.BooleanField(default=True, help_text="Check which points of interest are seen.")
    shapes = serializers.BooleanField(default=True, help_text="Add the GeoJSON areas and the PNG overlay.")

    def validate_radius(self, value: float) -> float:
        limit = settings.JUMEAU_VIEWSHED_MAX_RADIUS_M
        if value > limit:
            raise serializers.ValidationError(f"The radius is limited to {limit:g} m.")
        return value


class LandmarkSeenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    category = serializers.CharField()
    distance_m = serializers.FloatField()
    azimuth_deg = serializers.FloatField(help_text="Clockwise from north.")
    in_field_of_view = serializers.BooleanField(help_text="In front of the facade (always true on open ground).")
    visible = serializers.BooleanField(help_text="The sight line to its top is clear.")


class ViewNumbersSerializer(serializers.Serializer):
    visible_area_m2 = serializers.FloatField(help_text="Planimetric area of the visible surface within the radius.")
    sea_share_of_azimuths = serializers.FloatField(
        help_text=(
            "Share (0..1) of the azimuths in the field of view (360°, or 180° at a facade) over which sea is seen."
        )
    )
    sea_solid_angle_sr = serializers.FloatField(help_text="Solid angle of the visible sea, steradians.")
    sky_view_factor = serializers.FloatField(help_text="0..1; the building behind a facade counts as a wall.")
    horizon_deg = serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        help_text="Horizon elevation angle, degrees, for azimuths 0, 1, ... 359° clockwise from north; null behind "
        "the facade.",
    )
    landmarks = LandmarkSeenSerializer(many=True)
    visible_geojson = serializers.JSONField(
        required=False,
        help_text="The visible area: a GeoJSON MultiPolygon, lon/lat, traced on square blocks of "
        "ceil(window cells / 800) cells, each block taking its centre cell (1 m blocks up to a 399 m "
        "radius, 6 m at 2 km), simplified by 3/4 of a block, parts under 1.5 blocks dropped. Tracing "
        "16 million 1 m cells exactly takes 70 to 200 ms per shape here, and the outline of a wide "
        "view runs to megabytes: the areas in m² are counted on every 1 m cell, and the PNG overlay "
        "is the map to drape.",
    )


class ChangeSerializer(serializers.Serializer):
    lost_m2 = serializers.FloatField(help_text="Seen before the project and hidden after it.")
    gained_m2 = serializers.FloatField(help_text="Hidden before and seen after (the project's own surfaces included).")
    lost_geojson = serializers.JSONField(
        required=False,
        help_text="The lost area: a GeoJSON MultiPolygon, lon/lat, on the same blocks as visible_geojson "
        "(a block counts as lost when any of its cells is).",
    )


class OverlaySerializer(serializers.Serializer):
    rectangle = serializers.ListField(child=serializers.FloatField(), help_text="[west, south, east, north], degrees.")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    before_png = serializers.CharField(help_text="Base64 PNG: visible cells green.")
    after_png = serializers.CharField(allow_null=True, help_text="Base64 PNG: visible green, lost red, gained blue.")


class EyeSerializer(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    height = serializers.FloatField(help_text="Ellipsoidal height (WGS84), metres: where to put a CesiumJS camera.")
    z = serializers.FloatField(help_text="Orthometric height (NGF-IGN69), metres.")
    facing_deg = serializers.FloatField(
        allow_null=True, help_text="The facade's outward normal, degrees clockwise from north."
    )
    building = serializers.IntegerField(allow_null=True)
    floor = serializers.IntegerField(allow_null=True)
    facade = serializers.IntegerField(allow_null=True)


class ViewshedResponseSerializer(serializers.Serializer):
    observer = EyeSerializer()
    radius_m = serializers.FloatField()
    resolution_m = serializers.FloatField()
    cells = serializers.IntegerField()
    variant = serializers.IntegerField(allow_null=True)
    before = ViewNumbersSerializer()
    after = ViewNumbersSerializer(allow_null=True)
    change = ChangeSerializer(allow_null=True)
    overlay = OverlaySerializer(allow_null=True)
    timings_ms = serializers.DictField(child=serializers.FloatField())
    elapsed_ms = serializers.FloatField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# A refused request answers either {"detail": why} (an observer that cannot stand there) or DRF's field errors,
# {"radius": ["..."], "observer": {"lon": ["..."]}}, nested as the request is.
_FIELD_ERRORS = {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]}
BAD_REQUEST_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": _FIELD_ERRORS,
}
