"""Walking routes on the street and footpath network: graph from StreetSegment rows, routes as draped GeoJSON.

The graph is built in the storage CRS (metres, settings.JUMEAU_SRID) with
orthometric heights from the segments' 3D lines: every vertex is a node
(endpoints snapped by rounding to the centimetre, so segments that meet share
a node), every pair of consecutive vertices an edge of the segment's kind.
It is cached per process and rebuilt when the StreetSegment table changes.

Routes come back as GeoJSON Features whose 3D LineString is lon/lat in WGS84
degrees and ellipsoidal height in metres (what CesiumJS draws), draped on the
active terrain every few metres; the ``profile`` property gives
[distance m, orthometric height m] pairs, as a walker reads them on a map.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import connections
from django.db.models import Count, Max
from django.utils.dateparse import parse_datetime

from realtime.route_search import FLAT_SPEED_M_S, PedestrianGraph
from realtime.shade_route import DEFAULT_MAX_DETOUR, ShadePreferenceError, check_preference, shade_walk
from twin.geoid import GeoidGridMissing, city_frame
from twin.models import PointOfInterest, StreetSegment, Terrain, WalkingCircuit

__all__ = [
    "PlaceNotFound",
    "RouteError",
    "WalkGraph",
    "circuit_feature",
    "current_graph",
    "graph_from_lines",
    "kind_of_nature",
    "route_feature",
    "warm_up_in_background",
]

log = logging.getLogger(__name__)

MAX_SNAP_M = 400.0  # farther than this from any street or path, a walk would be invented
DRAPE_STEP_M = 5.0
PROFILE_MAX_POINTS = 400


class RouteError(ValueError):
    """A walk that cannot be computed; the message says why, for the visitor."""


class PlaceNotFound(RouteError, LookupError):
    """A point of interest slug that does not exist."""


@dataclass(frozen=True)
class WalkGraph:
    """The pedestrian graph and the version of the street table it was built from."""

    graph: PedestrianGraph
    version: tuple

    @property
    def n_nodes(self) -> int:
        return self.graph.n_nodes


def kind_of_nature(nature: str) -> str:
    """street/footpath/stairs from a BD TOPO-like NATURE value ("Escalier", "Sentier", "Route à 1 chaussée"...)."""
    text = (nature or "").lower()
    if "escalier" in text or "stair" in text:
        return "stairs"
    if any(word in text for word in ("sentier", "chemin", "piste", "footway", "path", "pedestr", "piéton")):
        return "footpath"
    return "street"


def graph_from_lines(lines: Iterable[tuple[np.ndarray | list, str]], version: tuple = ()) -> WalkGraph:
    """A WalkGraph from (coords (k, 3) x/y/z in metres of a projected CRS, kind) pairs.

    Lines without z get z = 0 (flat). Vertices closer than a centimetre are merged.
    """
    index: dict[tuple[int, int], int] = {}
    xs: list[float] = []
    ys: list[float] = []
    zs: list[float] = []
    us: list[int] = []
    vs: list[int] = []
    kinds: list[str] = []

    def node(x: float, y: float, z: float) -> int:
        key = (round(x * 100), round(y * 100))
        found = index.get(key)
        if found is None:
            found = index[key] = len(xs)
            xs.append(x)
            ys.append(y)
            zs.append(z)
        return found

    for coords, kind in lines:
        arr = np.asarray(coords, dtype=np.float64)
        if arr.ndim != 2 or len(arr) < 2:
            continue
        z = arr[:, 2] if arr.shape[1] > 2 else np.zeros(len(arr))
        ids = [node(float(x), float(y), float(h)) for x, y, h in zip(arr[:, 0], arr[:, 1], z)]
        for a, b in zip(ids, ids[1:]):
            if a != b:
                us.append(a)
                vs.append(b)
                kinds.append(kind)
    if not us:
        raise RouteError("the pedestrian network is empty: import streets and footpaths first (gis_sync)")
    return WalkGraph(PedestrianGraph(xs, ys, zs, us, vs, kind=kinds), version)


# --- the database edge ---------------------------------------------------------------

_lock = threading.Lock()
_cache: dict[str, object] = {}


def _street_version() -> tuple:

    agg = StreetSegment.objects.aggregate(n=Count("id"), m=Max("updated_at"), i=Max("id"))
    return (agg["n"], agg["m"], agg["i"])


def current_graph() -> WalkGraph:
    """The graph of the StreetSegment table, rebuilt only when the table changed (count, max id, max updated_at)."""
    version = _street_version()
    cached = _cache.get("graph")
    if isinstance(cached, WalkGraph) and cached.version == version:
        return cached
    with _lock:
        cached = _cache.get("graph")
        if isinstance(cached, WalkGraph) and cached.version == version:
            return cached
        rows = StreetSegment.objects.only("geom", "kind").iterator(chunk_size=5000)
        built = graph_from_lines(((row.geom.coords, row.kind) for row in rows), version)
        _cache["graph"] = built
        return built


def warm_up_in_background() -> threading.Thread:
    """Build the walk graph and the terrain sampler now, in a thread, so the first walk does not wait for them.

    Called when a server starts (jumeau.asgi lifespan, serve_demo): building the graph reads the whole street
    table, which takes seconds for a city, and a visitor's first walk used to pay for it. A walk asked for
    meanwhile waits on the same lock instead of building a second graph. Any failure (no streets yet, the
    database down) is only logged: the first walk then builds the graph, or says what is missing.
    """

    def run() -> None:
        try:
            graph = current_graph()
            _terrain_sampler()
            log.info("walk graph ready: %d nodes", graph.n_nodes)
        except Exception as exc:  # noqa: BLE001 - a warm-up must never stop a server from starting
            log.warning("walk graph not built at start (%s); the first walk will build it", exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="walk-graph-warm-up", daemon=True)
    _cache["warm_up"] = thread
    thread.start()
    return thread


def _terrain_sampler():
    """The active terrain's sampler (storage CRS, orthometric metres), or None; cached per terrain."""
    terrain = Terrain.current()
    if terrain is None:
        return None
    key = (terrain.pk, terrain.checksum, terrain.file)
    cached = _cache.get("terrain")
    if isinstance(cached, tuple) and cached[0] == key:
        return cached[1]
    try:
        sampler = terrain.sampler()
    except Exception:  # noqa: BLE001 - a missing DEM file degrades to the lines' own heights
        sampler = None
    _cache["terrain"] = (key, sampler)
    return sampler


@dataclass(frozen=True)
class Place:
    """A walk's end: storage-CRS x/y in metres and how to name it."""

    x: float
    y: float
    label: str
    poi: str = ""


def resolve_place(spec: dict) -> Place:
    """{"poi": slug} or {"lon": degrees, "lat": degrees} (WGS84) to a Place in the storage CRS."""
    if not isinstance(spec, dict):
        raise RouteError('a place is {"poi": slug} or {"lon": ..., "lat": ...}')
    if spec.get("poi"):
        slug = str(spec["poi"])
        poi = PointOfInterest.objects.filter(slug=slug).first()
        if poi is None:
            raise PlaceNotFound(f"no point of interest {slug!r}")
        return Place(poi.geom.x, poi.geom.y, poi.name, poi.slug)
    try:
        lon, lat = float(spec["lon"]), float(spec["lat"])
    except (KeyError, TypeError, ValueError):
        raise RouteError('a place is {"poi": slug} or {"lon": ..., "lat": ...} with numbers in degrees') from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise RouteError(f"({lon}, {lat}) is not a WGS84 longitude/latitude")
    x, y = city_frame().from_lonlat(lon, lat)
    return Place(float(x), float(y), str(spec.get("label") or "Votre position")[:100])


def _densify(x: np.ndarray, y: np.ndarray, z: np.ndarray, step: float) -> tuple[np.ndarray, ...]:
    """Points every ``step`` metres at most along a polyline, with z interpolated; also cumulative distance."""
    seg = np.hypot(np.diff(x), np.diff(y))
    d = np.concatenate([[0.0], np.cumsum(seg)])
    pieces = np.maximum(1, np.ceil(seg / step)).astype(int)
    t = np.concatenate([np.linspace(d[i], d[i + 1], pieces[i], endpoint=False) for i in range(len(seg))] + [[d[-1]]])
    return np.interp(t, d, x), np.interp(t, d, y), np.interp(t, d, z), t


@dataclass(frozen=True)
class Walk:
    """A walk's polyline (storage CRS, orthometric m), plan length (m), duration (s) and shade.

    seg_shade: shade share (0..1) of each segment between consecutive vertices at the walker's
    time, or None when no shade table fits the graph. shade: the properties the answer carries.
    """

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    length: float
    duration: float
    seg_shade: np.ndarray | None = None
    shade: dict | None = None


def _walk(
    graph: WalkGraph,
    start: Place,
    end: Place,
    preference: str = "none",
    max_detour: float = DEFAULT_MAX_DETOUR,
    depart=None,
) -> Walk:
    """The walk between two places for a shade preference, leaving at `depart` (aware datetime; now by default)."""
    # Here, not at the top: shade_store reads the graph from this module (a cycle), and importing it at the top
    # would load the shade sweep's viewshed modules into every web process.
    from realtime.shade_store import current_table

    g = graph.graph
    a, da = g.snap(start.x, start.y)
    b, db = g.snap(end.x, end.y)
    for place, distance in ((start, da), (end, db)):
        if distance > MAX_SNAP_M:
            raise RouteError(
                f"{place.label} is {distance:.0f} m from the nearest street or path (more than {MAX_SNAP_M:.0f} m)"
            )
    table, slot_shade = current_table(g)
    depart = depart or datetime.now(UTC)
    if table is not None and not table.covers(depart):
        table = slot_shade = None  # the job has not cast today's shade yet: walk without it rather than on stale shade
    depart_s = table.seconds_from_start(depart) + da / FLAT_SPEED_M_S if table is not None else 0.0
    found = shade_walk(g, a, b, table, slot_shade, depart_s, preference, max_detour)
    if found is None:
        raise RouteError(f"no walkable way between {start.label} and {end.label} on the network")
    route = found.route
    nodes = route.nodes
    # The legs from the exact places to the network, walked on the flat.
    x = np.concatenate([[start.x], g.x[nodes], [end.x]])
    y = np.concatenate([[start.y], g.y[nodes], [end.y]])
    z = np.concatenate([[g.z[nodes[0]]], g.z[nodes], [g.z[nodes[-1]]]])
    seg_shade = None
    shade = {
        "preference": preference,
        "max_detour": max_detour,
        "available": table is not None,
        "fastest_length_m": round(found.fastest.length_m + da + db, 1),
        "detour": round(found.detour, 3),
        "share": None,
        "trees": table is not None and table.trees > 0,
    }
    if found.edge_shade is not None:
        edge_shade = found.edge_shade if len(found.edge_shade) else np.array([0.0])
        # The legs to and from the network share the shade of the edge they join.
        seg_shade = np.concatenate([[edge_shade[0]], found.edge_shade, [edge_shade[-1]]])
        share = found.shade_share(g.lengths[route.edges])
        shade["share"] = None if share is None else round(share, 3)
    keep = np.concatenate([[True], np.hypot(np.diff(x), np.diff(y)) > 1e-6])
    if seg_shade is not None:
        seg_shade = seg_shade[keep[1:]]
    return Walk(
        x[keep],
        y[keep],
        z[keep],
        route.length_m + da + db,
        route.duration_s + (da + db) / FLAT_SPEED_M_S,
        seg_shade,
        shade,
    )


def _shade_runs(seg_shade: np.ndarray, x: np.ndarray, y: np.ndarray, dist: np.ndarray) -> list:
    """[first coordinate, last coordinate, shade share] runs of the drawn line, split where shade turns to sun.

    seg_shade: per segment of the (x, y) polyline; dist: cumulative distance of the drawn (densified) points.
    """
    d = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    if len(dist) < 2 or not len(seg_shade):
        return []
    mid = (dist[:-1] + dist[1:]) / 2
    seg = np.clip(np.searchsorted(d, mid, side="right") - 1, 0, len(seg_shade) - 1)
    share = seg_shade[seg]
    shaded = share >= 0.5
    runs, i0 = [], 0
    for i in range(1, len(share) + 1):
        if i == len(share) or shaded[i] != shaded[i0]:
            runs.append([i0, i, round(float(share[i0:i].mean()), 2)])
            i0 = i
    return runs


def _feature(
    x: np.ndarray,
    y: np.ndarray,
    z_line: np.ndarray,
    length: float,
    duration: float,
    properties: dict,
    seg_shade: np.ndarray | None = None,
) -> dict:
    if len(x) < 2:  # start and end on the same spot
        x, y, z_line = np.repeat(x[:1], 2), np.repeat(y[:1], 2), np.repeat(z_line[:1], 2)
    dx, dy, dz, dist = _densify(x, y, z_line, DRAPE_STEP_M)
    sampler = _terrain_sampler()
    if sampler is not None:
        ground = np.asarray(sampler(dx, dy), dtype=np.float64)
        dz = np.where(np.isfinite(ground), ground, dz)
    frame = city_frame()
    try:
        lon, lat, h = frame.to_geographic(dx, dy, dz)
        height_reference = "ellipsoidal"
    except GeoidGridMissing:
        lon, lat = frame.to_lonlat(dx, dy)
        h, height_reference = dz, "orthometric"
    keep = np.unique(np.linspace(0, len(dist) - 1, min(len(dist), PROFILE_MAX_POINTS)).round().astype(int))
    climb = np.diff(dz)
    if seg_shade is not None and len(x) >= 2:
        properties = {**properties, "shade_runs": _shade_runs(seg_shade, x, y, dist)}
    return {
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": [
                [round(float(a), 7), round(float(b), 7), round(float(c), 2)] for a, b, c in zip(lon, lat, h)
            ],
        },
        "properties": {
            **properties,
            "length_m": round(float(length), 1),
            "duration_s": round(float(duration), 1),
            "ascent_m": round(float(climb[climb > 0].sum()), 1),
            "descent_m": round(float(-climb[climb < 0].sum()), 1),
            "profile": [[round(float(dist[i]), 1), round(float(dz[i]), 2)] for i in keep],
            "height_reference": height_reference,
        },
    }


def parse_depart(text: str | None) -> datetime | None:
    """A departure written in ISO 8601 with its zone (None or empty: now); RouteError saying the form otherwise."""
    if not text:
        return None
    try:
        depart = parse_datetime(str(text))
    except ValueError:
        depart = None
    if depart is None or depart.tzinfo is None:
        raise RouteError("depart is an ISO 8601 date and time with its zone, e.g. 2026-07-14T16:30:00+02:00")
    return depart


def route_feature(origin: dict, destination: dict, shade: str | None = None, max_detour=None, depart=None) -> dict:
    """A walk between two places ({"poi": slug} or {"lon", "lat"} WGS84) as a GeoJSON Feature.

    shade: "none" (the fastest walk), "some" or "most" (trade distance for shade, within max_detour,
    a share of the fastest walk's length, +20 % by default); depart: an aware datetime, now by default.
    The `shade` property gives the walk's share in shade at the time the walker is on each edge, and
    `shade_runs` the shaded and sunny stretches of the drawn line.
    """
    try:
        preference, detour = check_preference(shade, max_detour)
    except ShadePreferenceError as exc:
        raise RouteError(str(exc)) from None
    graph = current_graph()
    start, end = resolve_place(origin), resolve_place(destination)
    walk = _walk(graph, start, end, preference, detour, depart)
    return _feature(
        walk.x,
        walk.y,
        walk.z,
        walk.length,
        walk.duration,
        {
            "kind": "route",
            "from": start.label,
            "to": end.label,
            "from_poi": start.poi,
            "to_poi": end.poi,
            "shade": walk.shade,
        },
        walk.seg_shade,
    )


def circuit_feature(circuit) -> dict:
    """A published circuit as a Feature: the walk through its stops in order, and the stops with their texts."""
    stops = list(circuit.ordered_stops())
    places = [Place(s.poi.geom.x, s.poi.geom.y, s.poi.name, s.poi.slug) for s in stops]
    frame = city_frame()
    lon, lat = frame.to_lonlat([p.x for p in places], [p.y for p in places]) if places else ([], [])
    stop_props = [
        {
            "order": s.order,
            "poi": s.poi.slug,
            "name": s.poi.name,
            "text": s.text,
            "category": s.poi.category,
            "lon": round(float(lon[i]), 7),
            "lat": round(float(lat[i]), 7),
        }
        for i, s in enumerate(stops)
    ]
    properties = {
        "kind": "circuit",
        "slug": circuit.slug,
        "name": circuit.name,
        "description": circuit.description,
        "stops": stop_props,
        "complete": True,
    }
    if len(places) < 2:
        xs = np.array([p.x for p in places] or [0.0])
        feature = _feature(xs, np.array([p.y for p in places] or [0.0]), np.zeros(len(xs)), 0.0, 0.0, properties)
        return feature if places else {**feature, "geometry": None}
    graph = current_graph()
    walk = _circuit_walk(graph, places, datetime.now(UTC))
    properties["complete"] = walk.complete
    properties["shade_by_hour"] = circuit_shade_hours(graph, places)
    return _feature(walk.x, walk.y, walk.z, walk.length, walk.duration, properties, walk.seg_shade)


@dataclass(frozen=True)
class CircuitWalk(Walk):
    complete: bool = True


def _circuit_walk(graph: WalkGraph, places: list[Place], depart) -> CircuitWalk:
    """The walk through the stops in order, each leg leaving when the walker reaches its first stop."""
    xs, ys, zs, shades = [], [], [], []
    length = duration = 0.0
    complete = True
    for a, b in zip(places, places[1:]):
        try:
            leg = _walk(graph, a, b, depart=depart + timedelta(seconds=duration))
        except RouteError:
            # One unreachable stop must not hide the circuit: draw that leg straight and say so.
            straight = math.hypot(b.x - a.x, b.y - a.y)
            leg = Walk(np.array([a.x, b.x]), np.array([a.y, b.y]), np.zeros(2), straight, straight / FLAT_SPEED_M_S)
            complete = False
        start = 1 if xs else 0
        xs.append(leg.x[start:])
        ys.append(leg.y[start:])
        zs.append(leg.z[start:])
        shades.append(leg.seg_shade if leg.seg_shade is not None else np.full(len(leg.x) - 1, np.nan))
        length += leg.length
        duration += leg.duration
    seg_shade = np.concatenate(shades) if shades else np.zeros(0)
    known = np.isfinite(seg_shade)
    return CircuitWalk(
        np.concatenate(xs),
        np.concatenate(ys),
        np.concatenate(zs),
        length,
        duration,
        seg_shade if known.all() and len(seg_shade) else None,
        None,
        complete,
    )


CIRCUIT_SHADE_HOURS = 4


def circuit_shade_hours(graph: WalkGraph, places: list[Place], now=None, hours: int = CIRCUIT_SHADE_HOURS) -> list:
    """The circuit's share in shade when started now and at each of the next hours: [{"depart", "shade_share"}].

    Each share follows the walker along the circuit (the sun moves while they walk); None without shade data.
    """
    now = now or datetime.now(UTC)
    out = []
    for h in range(hours):
        depart = now + timedelta(hours=h)
        walk = _circuit_walk(graph, places, depart)
        share = None
        if walk.seg_shade is not None:
            seg = np.hypot(np.diff(walk.x), np.diff(walk.y))
            share = round(float((walk.seg_shade * seg).sum() / seg.sum()), 3) if seg.sum() > 0 else None
        out.append({"depart": depart.astimezone(UTC).isoformat(timespec="minutes"), "shade_share": share})
    return out


def published_circuits() -> dict:
    """Every published circuit as a FeatureCollection."""
    circuits = WalkingCircuit.objects.filter(published=True).order_by("name")
    return {"type": "FeatureCollection", "features": [circuit_feature(c) for c in circuits]}


def circuits_shade(now=None) -> list[dict]:
    """Every published circuit's share in shade when started now and in each of the coming hours.

    [{"slug", "shade_by_hour": [{"depart", "shade_share"}]}]: what /ws/routes/ pushes as the sun moves.
    """
    graph = current_graph()
    out = []
    for circuit in WalkingCircuit.objects.filter(published=True).order_by("name"):
        stops = list(circuit.ordered_stops())
        places = [Place(s.poi.geom.x, s.poi.geom.y, s.poi.name, s.poi.slug) for s in stops]
        if len(places) >= 2:
            out.append({"slug": circuit.slug, "shade_by_hour": circuit_shade_hours(graph, places, now)})
    return out
