"""API representations of the city's core model."""

from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from twin import models


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

    class Meta:
        model = models.ProjectVariant
        fields = ["id", "name", "slug", "description", "model_format", "triangle_count", "min_z", "max_z", "tile_layer"]


class PlanningProjectSerializer(serializers.ModelSerializer):
    variants = ProjectVariantSerializer(many=True, read_only=True)

    class Meta:
        model = models.PlanningProject
        fields = ["id", "name", "slug", "description", "status", "variants", "updated_at"]


class PointOfInterestSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = models.PointOfInterest
        geo_field = "geom"
        fields = ["id", "name", "slug", "category", "description"]
