"""The permission matrix's city: real rows of every kind the app serves, five personas, one published build per layer.

Secret rows carry marker strings so that any response can be searched for them: a network segment and node, and a
draft project with its variant. A planner's responses contain them (the markers are real), a citizen's never.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon
from django.test import Client

from tests.realtime.conftest import SAMPLE, realtime_namespace  # noqa: F401 - autouse: a clean transit hub
from tests.security import expectations as ex
from tests.security.expectations import ADMIN, ANONYMOUS, CITIZEN, FIELD_AGENT, PLANNER
from tests.tiles.conftest import X0, Y0, make_buildings, make_network, terrain, terrain_height  # noqa: F401 - fixture

NETWORK_MARKERS = ("SECRET-PIPE-7731", "SECRET-VALVE-7732")
DRAFT_MARKERS = ("zeta-confidentiel", "Projet Zeta confidentiel", "tour-zeta-secrete")
# Comments only moderators (planners, admins) read: waiting for moderation, refused, or pinned to a draft.
UNMODERATED_MARKERS = ("SECRET-PENDING-COMMENT-5521", "SECRET-REJECTED-COMMENT-5522", "SECRET-DRAFT-COMMENT-5523")
APPROVED_COMMENT = "Une halle bienvenue sur la place"


@dataclass
class City:
    """The rows a URL's parameters are filled with."""

    building: object
    segment: object
    poi: object
    projects: dict  # case -> PlanningProject ("draft project", "public project")
    variants: dict  # case -> ProjectVariant
    stop_id: str
    users: dict = field(default_factory=dict)  # persona -> User (none for anonymous)

    def draft_markers(self) -> tuple[str, ...]:
        """What only those who see drafts receive: the draft's names and layer, and unmoderated comments."""
        # The layer name follows variant.tile_layer, whatever its spelling.
        return DRAFT_MARKERS + UNMODERATED_MARKERS + (f"/tiles/{self.variants['draft project'].tile_layer}/",)


def _square(x: float, y: float, side: float) -> Polygon:
    return Polygon.from_bbox((x, y, x + side, y + side))


@pytest.fixture
def city(terrain, admin_user, settings, tmp_path) -> City:  # noqa: F811 - terrain is the tiles fixture
    from gis_sync.models import Source, SyncRun
    from realtime.gtfs_import import import_feed
    from realtime.models import Stop
    from tests.conftest import _person
    from tiles.models import TileBuild
    from twin.models import (
        Change,
        ChangeCursor,
        CircuitStop,
        NetworkNode,
        NetworkSegment,
        PlanningProject,
        PointCloud,
        PointOfInterest,
        ProjectStatus,
        ProjectVariant,
        StreetSegment,
        Tree,
        WalkingCircuit,
    )

    [building, *_] = make_buildings(3)
    network = make_network("water", "Régie des Eaux")
    segment = NetworkSegment.objects.create(
        network=network,
        source_key="matrix",
        source_id=NETWORK_MARKERS[0],
        feature_type="Canalisation",
        geom=LineString([(X0 + 300, Y0 + 300), (X0 + 400, Y0 + 310)], srid=2154),
        precision_xy="B",
    )
    NetworkNode.objects.create(
        network=network,
        source_key="matrix",
        source_id=NETWORK_MARKERS[1],
        node_type="valve",
        geom=Point(X0 + 350, Y0 + 305, 10.0, srid=2154),
    )
    draft = PlanningProject.objects.create(name=DRAFT_MARKERS[1], slug=DRAFT_MARKERS[0], status=ProjectStatus.DRAFT)
    public = PlanningProject.objects.create(
        name="Place du marché", slug="place-du-marche", status=ProjectStatus.CONSULTATION
    )
    # Both stand beside the first building, so that each has an impact report with windows in it.
    site_z = float(terrain_height(np.array([X0 + 140.0]), np.array([Y0 + 100.0]))[0])
    variants = {
        "draft project": ProjectVariant.objects.create(
            project=draft,
            name="Tour",
            slug=DRAFT_MARKERS[2],
            model_file="tour.ifc",
            model_format="ifc",
            footprint=MultiPolygon(_square(X0 + 130, Y0 + 90, 20.0), srid=2154),
            min_z=site_z,
            max_z=site_z + 40.0,
        ),
        "public project": ProjectVariant.objects.create(
            project=public,
            name="Halle",
            slug="halle",
            model_file="halle.glb",
            model_format="glb",
            footprint=MultiPolygon(_square(X0 + 130, Y0 + 90, 20.0), srid=2154),
            min_z=site_z,
            max_z=site_z + 12.0,
        ),
    }
    _comments(variants, admin_user)
    poi = PointOfInterest.objects.create(name="Fort Carré", slug="fort-carre", geom=Point(X0, Y0, 20.0, srid=2154))
    StreetSegment.objects.create(
        source_key="matrix",
        source_id="rue-1",
        name="Rue du Port",
        geom=LineString([(X0, Y0, 2.0), (X0 + 50, Y0, 3.0)], srid=2154),
    )
    Tree.objects.create(
        source_key="matrix",
        source_id="platane-1",
        location=Point(X0 + 5, Y0 + 5, srid=2154),
        ground_z=2.0,
        height_m=12.0,
        crown_base_m=3.0,
        crown_radius_m=4.0,
        species="Platanus x acerifolia",
    )
    circuit = WalkingCircuit.objects.create(name="Vieil Antibes", slug="vieil-antibes", published=True)
    CircuitStop.objects.create(circuit=circuit, poi=poi, order=1, text="Le fort")
    PointCloud.objects.create(name="falaise", file="falaise.laz", point_count=0)
    source = Source.objects.create(key="reseau-eau", name="Réseau d'eau", location="eau.gml")
    SyncRun.objects.create(source=source, path="eau.gml", status=SyncRun.Status.SUCCESS)
    TileBuild.objects.create(layer="buildings", version="v1", status=TileBuild.Status.PUBLISHED)
    Change.objects.create(layer="buildings", area=MultiPolygon(_square(X0, Y0, 10.0), srid=2154))
    ChangeCursor.objects.create(consumer="tiles", layer="buildings", position=0)
    # django-axes' records, so its admin pages are asked with a real row: a sign-in that failed, one that worked.
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    seen = {
        "username": "mallory",
        "ip_address": "203.0.113.7",
        "user_agent": "curl",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
    }
    AccessAttempt.objects.create(**seen, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**seen, locked_out=False)
    AccessLog.objects.create(**seen)
    # The jobs' records (Celery beat schedules, results, a held lock), so their admin pages are asked with a row.
    from datetime import timedelta

    from django.utils import timezone
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )
    from django_celery_results.models import GroupResult, TaskResult

    from twin.models import JobLock

    ClockedSchedule.objects.create(clocked_time=timezone.now())
    CrontabSchedule.objects.create(minute="0", hour="3")
    SolarSchedule.objects.create(event="sunrise", latitude=43.58, longitude=7.12)
    hourly = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.create(
        name="reseau-eau hourly", task="gis_sync.sync_source", interval=hourly, args='["reseau-eau"]'
    )
    TaskResult.objects.create(task_id="matrix-task", task_name="tiles.build_layer", status="SUCCESS")
    GroupResult.objects.create(group_id="matrix-group")
    JobLock.objects.create(key="tiles:buildings", owner="matrix:1", expires_at=timezone.now() + timedelta(hours=1))
    import_feed(str(SAMPLE))
    # The viewshed's surface model over a 1 km square of the synthetic terrain, built as the tile job builds it
    # (requests never build one); VIEWSHED_OBSERVER stands in its middle.
    from viewshed.dsm import ensure_surface

    settings.VAR_DIR = tmp_path
    settings.JUMEAU_EXTENT = (X0, Y0, X0 + 1000.0, Y0 + 1000.0)
    ensure_surface()
    from viewshed.impact import Parameters
    from viewshed.models import ImpactReport

    for variant in variants.values():
        ImpactReport.refresh(variant, Parameters(radius_m=100.0))
    users = {
        CITIZEN: _person("charlie", None),
        PLANNER: _person("alice", "planner"),
        FIELD_AGENT: _person("bob", "field_agent"),
        ADMIN: admin_user,
    }
    return City(
        building=building,
        segment=segment,
        poi=poi,
        projects={"draft project": draft, "public project": public},
        variants=variants,
        stop_id=Stop.objects.filter(location_type=0).order_by("stop_id").values_list("stop_id", flat=True)[0],
        users=users,
    )


def _comments(variants: dict, moderator) -> None:
    """One comment of each state on the public project, and one on the draft (written as a planner could have
    before it went back to draft: the model refuses new ones)."""
    from twin.models import CommentStatus, ProjectComment

    public, draft = variants["public project"], variants["draft project"]
    pin = Point(X0 + 140.0, Y0 + 100.0, (public.min_z or 0.0) + 6.0, srid=2154)
    for text, state in (
        (APPROVED_COMMENT, CommentStatus.APPROVED),
        (UNMODERATED_MARKERS[0], CommentStatus.PENDING),
        (UNMODERATED_MARKERS[1], CommentStatus.REJECTED),
    ):
        ProjectComment.objects.create(project=public.project, variant=public, point=pin, text=text, status=state)
    ProjectComment.objects.create(
        project=draft.project, variant=draft, point=pin, text=UNMODERATED_MARKERS[2], status=CommentStatus.APPROVED
    )


@pytest.fixture
def clients(city) -> dict[str, Client]:
    """One browser per persona, signed in through the session like the app does."""
    out = {ANONYMOUS: Client()}
    for persona, user in city.users.items():
        out[persona] = Client()
        out[persona].force_login(user)
    return out


@pytest.fixture
def published_layers(city, tiles_root) -> dict[str, tuple[str, str]]:
    """One small published build per tile layer kind: kind -> (layer name, version)."""
    from tiles.publish import LayerBuild

    names = {
        "buildings": "buildings",
        "terrain": "terrain",
        "basemap": "basemap",
        "networks": "networks",
        "draft project": city.variants["draft project"].tile_layer,
        "public project": city.variants["public project"].tile_layer,
        "pointcloud": "pointcloud-falaise",
    }
    out = {}
    for kind, layer in names.items():
        with LayerBuild(tiles_root, layer) as build:
            (build.path / "tileset.json").write_text(
                '{"asset": {"version": "1.1"}, "geometricError": 100, "root": {"boundingVolume": '
                '{"region": [0.12, 0.75, 0.13, 0.76, 0, 100]}, "geometricError": 0, "content": {"uri": "0/0.glb"}}}'
            )
            (build.path / "0").mkdir()
            (build.path / "0" / "0.glb").write_bytes(b"glTF" + layer.encode())
        out[kind] = (layer, build.version)
    return out


@pytest.fixture
def forbidden(city) -> dict[str, tuple[str, ...]]:
    """For each persona, the secret markers it must never receive."""
    from django.contrib.auth.models import AnonymousUser

    from twin import roles

    out = {}
    for persona in ex.PERSONAS:
        user = city.users.get(persona, AnonymousUser())
        out[persona] = (() if roles.can_see_networks(user) else NETWORK_MARKERS) + (
            () if roles.can_see_drafts(user) else city.draft_markers()
        )
    return out
