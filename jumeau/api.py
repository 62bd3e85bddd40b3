"""Read API over the city's core model; what a user sees depends on their role."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, permissions, viewsets
from rest_framework import serializers as drf
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from twin import models, roles, serializers
from twin.geoid import city_frame


class CanSeeNetworks(permissions.BasePermission):
    message = "Network data is restricted to planners and field agents: sign in with such an account."

    def has_permission(self, request, view) -> bool:
        return roles.can_see_networks(request.user)


class BuildingViewSet(viewsets.ReadOnlyModelViewSet):
    # Buildings are the public city: footprints, heights and uses anyone sees from the street.
    permission_classes = [permissions.AllowAny]
    serializer_class = serializers.BuildingSerializer
    queryset = models.Building.objects.order_by("id")
    filterset_fields = ["use", "storeys", "year", "source_id"]


class NetworkSegmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.NetworkSegmentSerializer
    permission_classes = [CanSeeNetworks]
    filterset_fields = ["network__network_type", "feature_type", "precision_xy", "source_id"]

    def permission_denied(self, request, message=None, code=None):
        # Same answer signed in or not: a citizen must learn nothing but that the data is restricted.
        raise exceptions.PermissionDenied(CanSeeNetworks.message)

    def get_queryset(self):
        return (
            models.NetworkSegment.objects.visible_to(self.request.user)
            .select_related("network__operator")
            .order_by("id")
        )


class PlanningProjectViewSet(viewsets.ReadOnlyModelViewSet):
    # Public because projects in consultation are shown to citizens; drafts are filtered out by visible_to.
    permission_classes = [permissions.AllowAny]
    serializer_class = serializers.PlanningProjectSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return (
            models.PlanningProject.objects.visible_to(self.request.user).prefetch_related("variants").order_by("name")
        )


class PointOfInterestViewSet(viewsets.ReadOnlyModelViewSet):
    # Landmarks and places a visitor looks for: public by nature.
    permission_classes = [permissions.AllowAny]
    serializer_class = serializers.PointOfInterestSerializer
    queryset = models.PointOfInterest.objects.order_by("name")
    filterset_fields = ["category"]


@extend_schema(
    summary="Who am I, what may I see, and where is the city",
    responses=inline_serializer(
        "Session",
        {
            "user": drf.CharField(allow_null=True),
            "role": drf.CharField(),
            "city": drf.CharField(),
            "extent_degrees": drf.ListField(child=drf.FloatField()),
            "home": drf.DictField(child=drf.FloatField()),
            "time_zone": drf.CharField(),
            "layers": drf.ListField(child=drf.DictField()),
        },
    ),
)
@api_view(["GET"])
# Public: it tells anyone who they are and lists only the layers their role may load (layers_for).
@permission_classes([permissions.AllowAny])
def session_view(request):
    """The role of the caller, the tile layers it may load, and the city's extent in degrees."""
    from tiles.layers import layers_for

    xmin, ymin, xmax, ymax = settings.JUMEAU_EXTENT
    lon, lat = city_frame().to_lonlat([xmin, xmax], [ymin, ymax])
    return Response(
        {
            "user": request.user.get_username() if request.user.is_authenticated else None,
            "role": roles.describe(request.user),
            "city": settings.JUMEAU_CITY_NAME,
            "extent_degrees": [float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1])],
            "home": dict(zip(["lon", "lat", "height", "heading", "pitch"], settings.JUMEAU_HOME_VIEW)),
            # The city's clock: the sun tool sets its hours in it (summer time included).
            "time_zone": settings.TIME_ZONE,
            "layers": layers_for(request.user),
        }
    )
