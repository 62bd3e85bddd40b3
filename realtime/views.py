"""HTTP API of the realtime app: walks, circuits, transit stops and their departure boards (DRF, in the OpenAPI
schema)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from realtime import serializers
from realtime.hub import StateUnavailable, hub
from realtime.models import Feed, Stop, StopTime
from realtime.worker import TransitState
from twin.models import WalkingCircuit
from twin.pagination import FeatureCollectionPagination

_clock_lock = threading.Lock()
_clock_cache: dict[str, object] = {}

# A FeatureCollection keeps its shape when paged: ?limit (at most 5000, the default) and ?offset, then `next`.
PAGE_PARAMETERS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Features per page, at most 5000 (the default)."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="Features to skip."),
]


def _error(message: str, status: int = 400) -> Response:
    return Response({"detail": message}, status=status)


def _place(request: Request, end: str) -> dict | None:
    if request.query_params.get(end):
        return {"poi": request.query_params[end]}
    lon, lat = request.query_params.get(f"{end}_lon"), request.query_params.get(f"{end}_lat")
    if lon is not None and lat is not None:
        return {"lon": lon, "lat": lat}
    return None


def _end(end: str, label: str) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            end, str, description=f"Slug of the point of interest {label} (or give {end}_lon and {end}_lat)."
        ),
        OpenApiParameter(f"{end}_lon", float, description=f"Longitude {label}, WGS84 degrees."),
        OpenApiParameter(f"{end}_lat", float, description=f"Latitude {label}, WGS84 degrees."),
    ]


@extend_schema(
    summary="A walk between two places, along the streets and draped on the terrain",
    parameters=[
        *_end("from", "to start from"),
        *_end("to", "to walk to"),
        OpenApiParameter(
            "shade",
            str,
            enum=["none", "some", "most"],
            description="Trade distance for shade: none (the fastest walk, default), some, most.",
        ),
        OpenApiParameter(
            "max_detour",
            float,
            description=(
                "Longest detour for shade, a share of the fastest walk's length and of its minutes "
                "(default 0.2 = +20 %)."
            ),
        ),
        OpenApiParameter("depart", str, description="Departure, ISO 8601 with a zone (default: now)."),
    ],
    responses={
        200: serializers.WalkFeatureSerializer,
        400: serializers.RealtimeErrorSerializer,
        404: serializers.RealtimeErrorSerializer,
        422: serializers.RealtimeErrorSerializer,
    },
    tags=["walks"],
)
@api_view(["GET"])
# Public: walks run on the street graph and points of interest, nothing restricted.
@permission_classes([AllowAny])
def route_view(request: Request) -> Response:
    """GET /api/routes/?from=<poi>&to=<poi> (or from_lon/from_lat, to_lon/to_lat in WGS84 degrees): a walk as
    GeoJSON."""
    # Here, not at the top: the URL conf (so this module) loads in every Celery worker and manage.py command, and
    # the walks bring numba and scipy (realtime.route_search, realtime.shade_route): 0.7 s more at each start.
    from realtime.pedestrian import PlaceNotFound, RouteError, parse_depart, route_feature
    from realtime.shade_route import ShadePreferenceError, check_preference

    origin, destination = _place(request, "from"), _place(request, "to")
    if origin is None or destination is None:
        return _error("give from=<poi slug> or from_lon & from_lat, and to=<poi slug> or to_lon & to_lat")
    try:
        shade, max_detour = check_preference(request.query_params.get("shade"), request.query_params.get("max_detour"))
    except ShadePreferenceError as exc:
        return _error(str(exc))
    try:
        depart = parse_depart(request.query_params.get("depart"))
    except RouteError as exc:
        return _error(str(exc))
    try:
        return Response(route_feature(origin, destination, shade, max_detour, depart))
    except PlaceNotFound as exc:
        return _error(str(exc), 404)
    except RouteError as exc:
        return _error(str(exc), 422)


@extend_schema(
    summary="The city's published walking circuits, with their stops and texts",
    responses={200: serializers.CircuitCollectionSerializer, 503: serializers.RealtimeErrorSerializer},
    parameters=PAGE_PARAMETERS,
    tags=["walks"],
)
@api_view(["GET"])
# Public: only circuits the city has published are listed.
@permission_classes([AllowAny])
def circuits_view(request: Request) -> Response:
    """GET /api/circuits/: published circuits as a FeatureCollection, each with its stops and their texts."""
    from realtime.pedestrian import RouteError, circuit_feature  # numba kept off start-up: see route_view

    circuits = WalkingCircuit.objects.filter(published=True).order_by("name")
    try:
        return Response(FeatureCollectionPagination().collection(request, circuits, circuit_feature))
    except RouteError as exc:
        return _error(str(exc), 503)


@extend_schema(
    summary="Transit stops and stations of the active GTFS feed, with the lines calling there",
    responses={200: serializers.StopCollectionSerializer},
    parameters=PAGE_PARAMETERS,
    tags=["transit"],
)
@api_view(["GET"])
# Public: the transit feed is open data.
@permission_classes([AllowAny])
def stops_view(request: Request) -> Response:
    """GET /api/transit/stops/: the active feed's stops and stations (WGS84) with the lines calling there."""
    lines: dict[str, dict[str, dict]] = {}
    calls = (
        StopTime.objects.filter(trip__feed__active=True)
        .values_list("stop__stop_id", "trip__route__route_id", "trip__route__short_name", "trip__route__color")
        .distinct()
    )
    for stop_id, route_id, short, color in calls:
        lines.setdefault(stop_id, {})[route_id] = {"route": route_id, "line": short, "color": color}

    def feature(stop) -> dict:
        return {
            "type": "Feature",
            "id": stop.stop_id,
            "geometry": {"type": "Point", "coordinates": [stop.geom.x, stop.geom.y]},
            "properties": {
                "stop_id": stop.stop_id,
                "name": stop.name,
                "code": stop.code,
                "location_type": stop.location_type,
                "parent_station": stop.parent_station,
                "lines": sorted(lines.get(stop.stop_id, {}).values(), key=lambda r: r["line"]),
            },
        }

    stops = Stop.objects.current().filter(location_type__in=(0, 1), geom__isnull=False).order_by("stop_id")
    return Response(FeatureCollectionPagination().collection(request, stops, feature))


def _stop(stop_id: str) -> dict:
    feed = Feed.objects.current()
    if feed is None:
        raise Http404("no GTFS feed is imported")
    stop = Stop.objects.filter(feed=feed, stop_id=stop_id).first()
    if stop is None:
        raise Http404(f"no stop {stop_id!r} in the active feed")
    return {"stop_id": stop.stop_id, "name": stop.name, "code": stop.code, "feed": feed.checksum}


def _schedule_rows(checksum: str, stop_id: str) -> list[dict]:
    """The timetable board of one stop when no worker state is at hand (synchronous ORM, cached per feed)."""
    with _clock_lock:
        state = _clock_cache.get(checksum)
        if state is None:
            feed = Feed.objects.get(checksum=checksum, active=True)
            _clock_cache.clear()
            state = _clock_cache[checksum] = TransitState(feed.to_gtfs())
    return state.boards(time.time(), None, [stop_id]).get(stop_id, [])  # type: ignore[union-attr]


@extend_schema(
    summary="Next departures from a stop: realtime when the feed worker runs, else the timetable",
    description="The same board /ws/transit/ pushes (topic stop:<stop_id>), for clients without a websocket. "
    "A station lists the departures of its platforms.",
    parameters=[OpenApiParameter("stop_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="GTFS stop_id.")],
    responses={200: serializers.DepartureBoardSerializer, 404: serializers.RealtimeErrorSerializer},
    tags=["transit"],
)
@api_view(["GET"])
# Public: departure boards are what every stop displays.
@permission_classes([AllowAny])
def departures_view(request: Request, stop_id: str) -> Response:
    """GET /api/transit/stops/<stop_id>/departures/: the worker's latest board (realtime), else the timetable."""
    stop = _stop(stop_id)
    try:
        states = hub.snapshot_state_sync([f"stop:{stop_id}", "status"])
    except StateUnavailable:  # Redis down: the timetable still answers
        states = {}
    status = json.loads(states["status"][1]) if "status" in states else {}
    if f"stop:{stop_id}" in states:
        rows, source = json.loads(states[f"stop:{stop_id}"][1])["departures"], "worker"
    else:
        rows, source = _schedule_rows(stop.pop("feed"), stop_id), "schedule"
    stop.pop("feed", None)
    feed_ts = status.get("feed_timestamp")
    age = None if feed_ts is None else max(0, round(time.time() - feed_ts))
    return Response(
        {
            "stop": stop,
            "departures": rows,
            "source": source,
            "status": status.get("state", "unknown"),
            "feed_timestamp": feed_ts,
            "updated": "never updated" if age is None else f"updated {age} s ago",
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
