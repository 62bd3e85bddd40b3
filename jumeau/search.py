"""The search index of the twin's own data (streets, places, stops, buildings, projects, network nodes), built from
the database, kept per process and rebuilt when the data it was built from changed.

It lives in the project package because it reads two apps' tables (twin's city, realtime's bus stops); the
matching itself is twin.search, a pure core."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator

import numpy as np
import shapely
from django.core.cache import cache
from django.db.models import Count, Max, Q

from realtime.models import Feed, Stop
from twin import models, roles
from twin.geoid import city_frame
from twin.search import DRAFTS, NETWORKS, PUBLIC, Entry, SearchIndex, street_anchor

# Admin edits of places, projects and buildings bump this counter (jumeau/apps.py): a POI has no updated_at, and
# with Redis every web worker reads the same counter.
GENERATION_KEY = "jumeau:search:generation"
ADDRESS_FIELDS = ("adresse", "address", "ADRESSE", "addr_full")
# How far the camera stands from what it looks at (m), by kind; streets and buildings take their own size.
PLACE_RANGE_M = 250.0
STOP_RANGE_M = 200.0
NODE_RANGE_M = 40.0
MAX_LIMIT = 25
MIN_RANGE_M = 120.0
# Matched but not shown: "arret pole" finds the stop "Antibes Pôle d'Échanges SNCF".
STOP_WORDS = "arrêt bus stop station"
MAX_RANGE_M = 2500.0

# gis_sync's node types in words (the same as the app's panel titles, frontend NetworksPlugin.js NODE_LABELS);
# the code stays a hidden keyword, so "valve" finds a "Vanne" too.
NODE_WORDS = {
    "manhole": "Regard",
    "connection_box": "Boîte de branchement",
    "gully": "Avaloir",
    "meter_chamber": "Chambre de comptage",
    "overflow": "Déversoir",
    "chamber": "Chambre",
    "valve": "Vanne",
    "air_valve": "Ventouse",
    "drain": "Vidange",
    "hydrant": "Poteau incendie",
    "check_valve": "Clapet",
    "pressure_regulator": "Régulateur",
    "meter": "Compteur",
    "flow_meter": "Débitmètre",
    "fitting": "Appareil",
    "connection": "Raccord",
    "reservoir": "Réservoir",
    "pumping_station": "Station de pompage",
    "cabinet": "Armoire",
    "pole": "Poteau",
    "technical_building": "Local technique",
    "survey_point": "Point levé",
}

_lock = threading.Lock()
_built: tuple[tuple, SearchIndex] | None = None


def bump_generation(**kwargs) -> None:
    """Signal receiver: something the index reads was edited outside a sync."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not set yet in this cache
        cache.set(GENERATION_KEY, 1, timeout=None)


def fingerprint() -> tuple:
    """What the index was built from, in a few cheap aggregate queries (3 ms on the demo city): it changes with any
    sync (the change log; streets, which have no tile layer, by their last update), a new bus feed, or an admin
    edit (the generation counter)."""
    feed = Feed.objects.filter(active=True).values_list("pk", "imported_at").first()
    return (
        models.Change.objects.head(),
        feed,
        cache.get(GENERATION_KEY, 0),
        tuple(models.StreetSegment.objects.aggregate(n=Count("id"), t=Max("updated_at")).values()),
        tuple(models.PointOfInterest.objects.aggregate(n=Count("id"), last=Max("id")).values()),
        tuple(models.PlanningProject.objects.aggregate(n=Count("id"), t=Max("updated_at")).values()),
        tuple(models.ProjectVariant.objects.aggregate(n=Count("id"), last=Max("id")).values()),
        # Buildings and network nodes change by syncs, which append to the change log (their tile layers), or in
        # the admin (the counter): the last update or even the count of 20,000 wide rows costs 7-20 ms a request on
        # SQLite, the last id (the primary key's index) nothing.
        models.Building.objects.aggregate(last=Max("id"))["last"],
        models.NetworkNode.objects.aggregate(last=Max("id"))["last"],
    )


def current_index() -> SearchIndex:
    """The index for the data as it is now: rebuilt at most once per change, by one thread at a time."""
    global _built
    key = fingerprint()
    built = _built
    if built is not None and built[0] == key:
        return built[1]
    with _lock:
        if _built is not None and _built[0] == key:
            return _built[1]
        index = SearchIndex(entries())
        # The citizens' and the field agents' indexes too, before anyone waits for them (planners use the whole).
        for allowed in ({PUBLIC}, {PUBLIC, NETWORKS}):
            index.for_audiences(frozenset(allowed))
        _built = (key, index)
        return index


def entries() -> list[Entry]:
    """Every entry, placed in WGS84 with ellipsoidal heights in one transformation of all their points."""
    frame = city_frame()
    found = [
        *_streets(),
        *_places(),
        *_stops(frame),
        *_buildings(),
        *_projects(),
        *_network_nodes(),
    ]
    if not found:
        return []
    xyz = np.array([(x, y, z) for x, y, z, _ in found], dtype=float)
    lon, lat, h = frame.to_geographic(xyz[:, 0], xyz[:, 1], xyz[:, 2])
    return [
        Entry(lon=float(lon[i]), lat=float(lat[i]), height=float(h[i]), **fields)
        for i, (_, _, _, fields) in enumerate(found)
    ]


# Each source gives (x, y, orthometric z in the storage CRS, the Entry's other fields).
Placed = tuple[float, float, float, dict]


def _range(size_m: float) -> float:
    return float(min(MAX_RANGE_M, max(MIN_RANGE_M, 1.2 * size_m)))


def _streets() -> Iterator[Placed]:
    # One result per street: its segments (one per block, between two junctions) are merged by name.
    lines: dict[str, list[np.ndarray]] = defaultdict(list)
    first_id: dict[str, int] = {}
    for pk, name, geom in (
        models.StreetSegment.objects.exclude(name="").order_by("id").values_list("id", "name", "geom")
    ):
        # Through WKB and shapely: GEOS coordinate by coordinate costs 1 s for the demo's 2,900 segments.
        lines[name].append(shapely.get_coordinates(shapely.from_wkb(bytes(geom.wkb)), include_z=True))
        first_id.setdefault(name, pk)
    for name, parts in lines.items():
        x, y, z, size = street_anchor(parts)
        yield x, y, z, dict(kind="street", key=str(first_id[name]), label=name, range_m=_range(size))


def _places() -> Iterator[Placed]:
    for poi in models.PointOfInterest.objects.order_by("id"):
        fields = dict(kind="place", key=poi.slug, label=poi.name, range_m=PLACE_RANGE_M)
        yield poi.geom.x, poi.geom.y, poi.geom.z or 0.0, dict(fields, detail=poi.category, keywords=poi.category)


def _stops(frame) -> Iterator[Placed]:
    # GTFS has one stop per side of the street under one name: a rider looks for the name, so one result.
    by_name: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    stops = Stop.objects.current().filter(location_type__in=(0, 1), geom__isnull=False).exclude(name="")
    for stop_id, name, geom in stops.order_by("stop_id").values_list("stop_id", "name", "geom"):
        by_name[name].append((stop_id, geom.x, geom.y))
    if not by_name:
        return
    terrain = models.Terrain.current()
    sample = terrain.sampler() if terrain else None
    for name, points in by_name.items():
        lon = float(np.mean([p[1] for p in points]))
        lat = float(np.mean([p[2] for p in points]))
        x, y = frame.from_lonlat([lon], [lat])
        ground = float(sample(np.asarray(x), np.asarray(y))[0]) if sample else float("nan")
        fields = dict(kind="stop", key=points[0][0], label=name, range_m=STOP_RANGE_M)
        yield float(x[0]), float(y[0]), ground if np.isfinite(ground) else 0.0, dict(fields, keywords=STOP_WORDS)


def _buildings() -> Iterator[Placed]:
    # Only buildings that carry a name or an address: the others have nothing a person would type.
    has_address = Q()
    for name in ADDRESS_FIELDS:
        has_address |= Q(attributes__has_key=name)
    named = models.Building.objects.filter(~Q(name="") | has_address).order_by("id")
    for b in named.only("id", "name", "footprint", "roof_z", "attributes"):
        address = next((str(b.attributes[k]) for k in ADDRESS_FIELDS if b.attributes.get(k)), "")
        label = b.name or address
        if not label:
            continue
        point = b.footprint.point_on_surface
        x0, y0, x1, y1 = b.footprint.extent
        detail = address if b.name and address else ""
        fields = dict(kind="building", key=str(b.pk), label=label, range_m=_range(np.hypot(x1 - x0, y1 - y0)))
        yield point.x, point.y, b.roof_z, dict(fields, detail=detail, keywords=detail)


def _projects() -> Iterator[Placed]:
    projects = models.PlanningProject.objects.prefetch_related("variants").order_by("id")
    for project in projects:
        variant = next((v for v in project.variants.all() if v.footprint or v.origin), None)
        if variant is None:
            continue  # nothing placed in the city yet: nowhere to fly to
        if variant.footprint:
            point = variant.footprint.point_on_surface
            x0, y0, x1, y1 = variant.footprint.extent
            size = float(np.hypot(x1 - x0, y1 - y0))
        else:
            point, size = variant.origin, 0.0
        top = variant.max_z if variant.max_z is not None else variant.elevation_m
        yield (
            point.x,
            point.y,
            top,
            dict(
                kind="project",
                key=project.slug,
                label=project.name,
                range_m=_range(max(size, top - (variant.min_z or variant.elevation_m))),
                audience=PUBLIC if project.is_public() else DRAFTS,
                detail=project.get_status_display(),
                keywords="projet project",
            ),
        )


def _network_nodes() -> Iterator[Placed]:
    # Manholes, valves, hydrants by their id in the operator's delivery: what a field agent reads on a work order.
    nodes = models.NetworkNode.objects.select_related("network").order_by("id")
    for node in nodes.only("id", "source_id", "node_type", "geom", "cover_z", "network__name"):
        z = node.cover_z if node.cover_z is not None else (node.geom.z or 0.0)
        word = NODE_WORDS.get(node.node_type, node.node_type.replace("_", " ").capitalize())
        fields = dict(kind="network", key=str(node.pk), label=f"{word} {node.source_id}", range_m=NODE_RANGE_M)
        keywords = f"{node.node_type.replace('_', ' ')} {node.network.name}"
        yield node.geom.x, node.geom.y, z, dict(fields, audience=NETWORKS, detail=node.network.name, keywords=keywords)


def audiences_of(user) -> set[str]:
    """What this user may receive from search (twin.roles decides, as for every other URL)."""
    allowed = {PUBLIC}
    if roles.can_see_drafts(user):
        allowed.add(DRAFTS)
    if roles.can_see_networks(user):
        allowed.add(NETWORKS)
    return allowed


def still_visible(hits: list, user) -> list:
    """The hits minus any project that is not (any more) visible to the user, read from the database now: an index
    built a moment ago must never show a project that was just put back to draft."""
    slugs = [h.entry.key for h in hits if h.entry.kind == "project"]
    if not slugs:
        return hits
    visible = set(models.PlanningProject.objects.visible_to(user).filter(slug__in=slugs).values_list("slug", flat=True))
    return [h for h in hits if h.entry.kind != "project" or h.entry.key in visible]
