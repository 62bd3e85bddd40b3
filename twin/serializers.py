"""API representations of the city's core model."""

import math

from django.conf import settings
from django.contrib.gis.geos import Point
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from twin import models
from twin.geoid import city_frame


class BuildingSerializer(GeoFeatureModelSerializer):
    height = serializers.FloatField(read_only=True)

    class Meta:
        model = models.Building
        geo_field = "footprint"
        fields = [
            "id",
            "source_id",
            "name",
            "use",
            "storeys",
            "year",
            "ground_z",
            "roof_z",
            "height",
            "height_source",
            "attributes",
        ]


class NetworkSegmentSerializer(GeoFeatureModelSerializer):
    network_type = serializers.CharField(source="network.network_type", read_only=True)
    operator = serializers.CharField(source="network.operator.name", read_only=True)

    class Meta:
        model = models.NetworkSegment
        geo_field = "geom"
        fields = [
            "id",
            "source_id",
            "feature_type",
            "network_type",
            "operator",
            "material",
            "diameter_nominal_mm",
            "precision_xy",
            "precision_z",
            "status",
            "install_year",
            "axis_method",
            "axis_is_estimate",
            "axis_uncertainty_m",
        ]


class ProjectVariantSerializer(serializers.ModelSerializer):
    tile_layer = serializers.CharField(read_only=True)
    # Key figures for citizens comparing variants: computed from the stored model (ProjectVariant's properties).
    height_m = serializers.FloatField(read_only=True, allow_null=True, help_text="Metres, lowest to highest point.")
    storeys = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Estimated: the height at 3 m per storey."
    )
    footprint_area_m2 = serializers.FloatField(read_only=True, allow_null=True)
    floor_area_m2 = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Footprint × storeys: an upper bound of the gross floor area."
    )

    class Meta:
        model = models.ProjectVariant
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "model_format",
            "triangle_count",
            "min_z",
            "max_z",
            "tile_layer",
            "height_m",
            "storeys",
            "footprint_area_m2",
            "floor_area_m2",
        ]


class PlanningProjectSerializer(serializers.ModelSerializer):
    variants = ProjectVariantSerializer(many=True, read_only=True)

    class Meta:
        model = models.PlanningProject
        fields = ["id", "name", "slug", "description", "status", "accepts_comments", "variants", "updated_at"]

    accepts_comments = serializers.BooleanField(read_only=True)


class PointOfInterestSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = models.PointOfInterest
        geo_field = "geom"
        fields = ["id", "name", "slug", "category", "description"]


class DetailSerializer(serializers.Serializer):
    """An answer that says why, in words: {"detail": message}."""

    detail = serializers.CharField()


class ProjectCommentSerializer(serializers.ModelSerializer):
    """A comment as the app draws it: a pin at lon/lat (WGS84 degrees) and ellipsoidal height (m), as Cesium uses.

    Stored in the storage CRS with an orthometric height; twin.geoid's city frame converts both ways (PROJ's best
    operation and the named geoid grid, never a ballpark)."""

    lon = serializers.FloatField(min_value=-180, max_value=180, help_text="WGS84 degrees.")
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text="WGS84 degrees.")
    height = serializers.FloatField(
        min_value=-500, max_value=9000, help_text="Metres above the WGS84 ellipsoid (Cesium's heights)."
    )
    text = serializers.CharField(min_length=2, max_length=models.ProjectComment.MAX_TEXT, trim_whitespace=True)
    author_name = serializers.CharField(
        max_length=models.ProjectComment.MAX_AUTHOR, required=False, allow_blank=True, trim_whitespace=True
    )
    variant = serializers.PrimaryKeyRelatedField(
        queryset=models.ProjectVariant.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = models.ProjectComment
        fields = ["id", "variant", "lon", "lat", "height", "text", "author_name", "created_at", "status"]
        read_only_fields = ["id", "created_at", "status"]

    def to_representation(self, instance):
        data = {
            "id": instance.pk,
            "variant": instance.variant_id,
            "text": instance.text,
            "author_name": instance.author_name,
            "created_at": serializers.DateTimeField().to_representation(instance.created_at),
            "status": instance.status,
        }
        lon, lat, h = city_frame().to_geographic([instance.point.x], [instance.point.y], [instance.point.z])
        data.update(lon=float(lon[0]), lat=float(lat[0]), height=float(h[0]))
        return data

    def validate_variant(self, variant):
        project = self.context["project"]
        if variant is not None and variant.project_id != project.pk:
            raise serializers.ValidationError(f"Variant {variant.pk} is not a variant of this project.")
        return variant

    def validate(self, attrs):
        frame = city_frame()
        (x,), (y,) = frame.from_lonlat([attrs["lon"]], [attrs["lat"]])
        z = attrs["height"] - float(frame.undulation([attrs["lon"]], [attrs["lat"]])[0])
        xmin, ymin, xmax, ymax = settings.JUMEAU_EXTENT
        if not (math.isfinite(z) and xmin <= x <= xmax and ymin <= y <= ymax):
            raise serializers.ValidationError(
                {"lon": "The point lies outside the city the twin covers; tap a point on the project itself."}
            )
        point = Point(float(x), float(y), z, srid=models.SRID)
        project = self.context["project"]
        # A pin belongs on the project: a point far from all its variants is a mistake or an abuse of the form.
        footprints = [v.footprint for v in project.variants.all() if v.footprint is not None]
        if footprints:
            distance = min(f.distance(Point(point.x, point.y, srid=models.SRID)) for f in footprints)
            if distance > MAX_PIN_DISTANCE_M:
                raise serializers.ValidationError(
                    {"lon": f"The point is {distance:.0f} m from the project; tap a point on the project itself."}
                )
        attrs["point"] = point
        return attrs


# How far from a variant's footprint a comment may be pinned, metres (a facade, a courtyard, the street in front).
MAX_PIN_DISTANCE_M = 30.0
