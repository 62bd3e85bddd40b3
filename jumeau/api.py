"""Read API over the city's core model; what a user sees depends on their role."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework import serializers as drf
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from jumeau import search
from tiles.layers import layers_for
from twin import models, roles, serializers
from twin.geoid import city_frame
from twin.search import QueryError


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


class CommentThrottle(ScopedRateThrottle):
    """Per-client rate of new comments (scope 'comments'); reading them is not throttled."""

    scope_attr = "comment_throttle_scope"

    def allow_request(self, request, view) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)

    def get_rate(self):
        # Read when asked, so that a test's settings override applies.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class PlanningProjectViewSet(viewsets.ReadOnlyModelViewSet):
    # Public because projects in consultation are shown to citizens; drafts are filtered out by visible_to.
    permission_classes = [permissions.AllowAny]
    serializer_class = serializers.PlanningProjectSerializer
    lookup_field = "slug"
    comment_throttle_scope = "comments"

    def get_queryset(self):
        return (
            models.PlanningProject.objects.visible_to(self.request.user).prefetch_related("variants").order_by("name")
        )

    @extend_schema(
        methods=["GET"],
        summary="A project's comments",
        description=(
            "The approved comments, pinned to points of the project (planners and admins also get pending and "
            "rejected ones, with their status). A draft's comments do not exist for whoever may not see drafts (404)."
        ),
        responses=serializers.ProjectCommentSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="A new comment pinned to a point of a project",
        description=(
            "Anyone, signed in or not, pins a comment while the project is in consultation; it waits for a "
            "planner's moderation before anyone else sees it. Rate-limited per client (scope 'comments')."
        ),
        request=serializers.ProjectCommentSerializer,
        responses={
            201: serializers.ProjectCommentSerializer,
            403: OpenApiResponse(serializers.DetailSerializer, description="The project is not in consultation."),
            429: OpenApiResponse(serializers.DetailSerializer, description="Too many comments: wait a little."),
        },
    )
    @action(
        detail=True,
        methods=["get", "post"],
        throttle_classes=[CommentThrottle],
        serializer_class=serializers.ProjectCommentSerializer,
        pagination_class=None,
    )
    def comments(self, request, slug=None, format=None):
        project = self.get_object()  # 404 for a draft the caller may not see
        if request.method == "GET":
            rows = (
                models.ProjectComment.objects.visible_to(request.user)
                .filter(project=project)
                .order_by("created_at", "id")
            )
            return Response(serializers.ProjectCommentSerializer(rows[:500], many=True).data)
        if not project.accepts_comments():
            return Response(
                {
                    "detail": (
                        f"Comments on this project are closed: it takes comments only while in consultation "
                        f"(it is {project.get_status_display().lower()})."
                    )
                },
                status=status.HTTP_403_FORBIDDEN,
            )
        incoming = serializers.ProjectCommentSerializer(data=request.data, context={"project": project})
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        comment = models.ProjectComment.submit(
            project,
            data["point"],
            data["text"],
            variant=data.get("variant"),
            author_name=data.get("author_name", ""),
            user=request.user,
        )
        return Response(serializers.ProjectCommentSerializer(comment).data, status=status.HTTP_201_CREATED)


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


class SearchThrottle(ScopedRateThrottle):
    """Per-client rate for the 'search' scope, read when asked so settings overrides apply."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class SearchQuerySerializer(drf.Serializer):
    q = drf.CharField(help_text="Words of a street, place, stop, building or project name; typos and accents allowed.")
    limit = drf.IntegerField(required=False, default=10, min_value=1, max_value=search.MAX_LIMIT)


class SearchResultSerializer(drf.Serializer):
    kind = drf.ChoiceField(choices=["street", "place", "stop", "building", "project", "network"])
    id = drf.CharField(help_text="The thing's id for its own URL: a project's or place's slug, a stop_id, a pk.")
    label = drf.CharField()
    detail = drf.CharField(help_text="A second line: a place's category, a project's status, a node's network.")
    lon = drf.FloatField(help_text="WGS84 degrees.")
    lat = drf.FloatField(help_text="WGS84 degrees.")
    height = drf.FloatField(help_text="Ellipsoidal height (m) of the point to look at.")
    range = drf.FloatField(help_text="Distance (m) from which the camera shows the whole thing.")
    score = drf.FloatField(help_text="0-100, how well the words match.")


class SearchView(APIView):
    """Search the twin's own names, best match first, each with where to fly to."""

    # Public: streets, places, stops and named buildings are the public city; draft projects and network nodes are
    # only in the answer of a role that may see them (search.audiences_of, twin.roles), and projects are re-checked.
    permission_classes = [permissions.AllowAny]
    throttle_classes = [SearchThrottle]
    throttle_scope = "search"

    @extend_schema(
        summary="Find a street, place, bus stop, building or project by name, with typos",
        parameters=[SearchQuerySerializer],
        responses=inline_serializer("SearchResults", {"results": SearchResultSerializer(many=True)}),
    )
    def get(self, request):
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        try:
            hits = search.current_index().search(
                params.validated_data["q"],
                audiences=search.audiences_of(request.user),
                limit=params.validated_data["limit"],
            )
        except QueryError as err:
            raise exceptions.ValidationError({"q": [str(err)]}) from err
        return Response({"results": [_result(h) for h in search.still_visible(hits, request.user)]})


def _result(hit) -> dict:
    e = hit.entry
    return {
        "kind": e.kind,
        "id": e.key,
        "label": e.label,
        "detail": e.detail,
        "lon": round(e.lon, 7),
        "lat": round(e.lat, 7),
        "height": round(e.height, 2),
        "range": round(e.range_m, 1),
        "score": hit.score,
    }
