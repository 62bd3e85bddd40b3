"""HTTP API of the realtime app: walks, circuits, transit stops and their departure boards."""
from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

from asgiref.sync import sync_to_async
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from realtime.hub import hub

_clock_lock = threading.Lock()
_clock_cache: dict[str, object] = {}


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


def _place(request: HttpRequest, end: str) -> dict | None:
    if request.GET.get(end):
        return {"poi": request.GET[end]}
    lon, lat = request.GET.get(f"{end}_lon"), request.GET.get(f"{end}_lat")
    if lon is not None and lat is not None:
        return {"lon": lon, "lat": lat}
    return None


@require_GET
def route_view(request: HttpRequest) -> JsonResponse:
    """GET /api/routes/?from=<poi>&to=<poi> (or from_lon/from_lat, to_lon/to_lat in WGS84 degrees): a walk as GeoJSON."""
    from realtime.pedestrian import PlaceNotFound, RouteError, route_feature

    origin, destination = _place(request, "from"), _place(request, "to")
    if origin is None or destination is None:
        return _error("give from=<poi slug> or from_lon & from_lat, and to=<poi slug> or to_lon & to_lat")
    try:
        return JsonResponse(route_feature(origin, destination))
    except PlaceNotFound as exc:
        return _error(str(exc), 404)
    except RouteError as exc:
        return _error(str(exc), 422)


@require_GET
def circuits_view(request: HttpRequest) -> JsonResponse:
    """GET /api/circuits/: published circuits as a FeatureCollection, each with its stops and their texts."""
    from realtime.pedestrian import RouteError, published_circuits

    try:
        return JsonResponse(published_circuits())
    except RouteError as exc:
        return _error(str(exc), 503)


@require_GET
def stops_view(request: HttpRequest) -> JsonResponse:
    """GET /api/transit/stops/: the active feed's stops and stations (WGS84) with the lines calling there."""
    from realtime.models import Stop, StopTime

    lines: dict[str, dict[str, dict]] = {}
    calls = (StopTime.objects.filter(trip__feed__active=True)
             .values_list("stop__stop_id", "trip__route__route_id", "trip__route__short_name", "trip__route__color")
             .distinct())
    for stop_id, route_id, short, color in calls:
        lines.setdefault(stop_id, {})[route_id] = {"route": route_id, "line": short, "color": color}
    features = []
    for stop in Stop.objects.current().filter(location_type__in=(0, 1), geom__isnull=False).order_by("stop_id"):
        features.append({
            "type": "Feature", "id": stop.stop_id,
            "geometry": {"type": "Point", "coordinates": [stop.geom.x, stop.geom.y]},
            "properties": {"stop_id": stop.stop_id, "name": stop.name, "code": stop.code,
                           "location_type": stop.location_type, "parent_station": stop.parent_station,
                           "lines": sorted(lines.get(stop.stop_id, {}).values(), key=lambda r: r["line"])},
        })
    return JsonResponse({"type": "FeatureCollection", "features": features})


def _stop(stop_id: str) -> dict:
    from realtime.models import Feed, Stop

    feed = Feed.objects.current()
    if feed is None:
        raise Http404("no GTFS feed is imported")
    stop = Stop.objects.filter(feed=feed, stop_id=stop_id).first()
    if stop is None:
        raise Http404(f"no stop {stop_id!r} in the active feed")
    return {"stop_id": stop.stop_id, "name": stop.name, "code": stop.code, "feed": feed.checksum}


def _schedule_rows(checksum: str, stop_id: str) -> list[dict]:
    """The timetable board of one stop when no worker state is at hand (synchronous ORM, cached per feed)."""
    from realtime.models import Feed
    from realtime.worker import TransitState

    with _clock_lock:
        state = _clock_cache.get(checksum)
        if state is None:
            feed = Feed.objects.get(checksum=checksum, active=True)
            _clock_cache.clear()
            state = _clock_cache[checksum] = TransitState(feed.to_gtfs())
    return state.boards(time.time(), None, [stop_id]).get(stop_id, [])  # type: ignore[union-attr]


async def departures_view(request: HttpRequest, stop_id: str) -> JsonResponse:
    """GET /api/transit/stops/<stop_id>/departures/: the worker's latest board (realtime), else the timetable."""
    if request.method != "GET":
        return _error("GET only", 405)
    stop = await sync_to_async(_stop)(stop_id)
    states = await hub.snapshot_state([f"stop:{stop_id}", "status"])
    status = json.loads(states["status"][1]) if "status" in states else {}
    if f"stop:{stop_id}" in states:
        rows, source = json.loads(states[f"stop:{stop_id}"][1])["departures"], "worker"
    else:
        rows, source = await sync_to_async(_schedule_rows)(stop.pop("feed"), stop_id), "schedule"
    stop.pop("feed", None)
    feed_ts = status.get("feed_timestamp")
    age = None if feed_ts is None else max(0, round(time.time() - feed_ts))
    return JsonResponse({
        "stop": stop, "departures": rows, "source": source, "status": status.get("state", "unknown"),
        "feed_timestamp": feed_ts, "updated": "never updated" if age is None else f"updated {age} s ago",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    })
