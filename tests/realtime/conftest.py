"""Realtime fixtures: a Redis namespace per test (Redis is shared with parallel runs), the sample feed, a street
grid."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "gtfs" / "envibus_sample"


@pytest.fixture(autouse=True)
def realtime_namespace(settings):
    """Keys, channels and groups of this test under a prefix nobody else uses; the hub starts empty."""
    from realtime.hub import hub

    tag = f"jumeau-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    settings.REALTIME_REDIS_PREFIX = f"{tag}:"
    if settings.REDIS_URL:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": tag, "capacity": 1500, "expiry": 30},
            }
        }
    hub.reset()
    yield tag
    hub.reset()
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            keys = list(client.scan_iter(f"{tag}*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@pytest.fixture
def sample_dir() -> Path:
    return SAMPLE


X0, Y0, STEP = 1033000.0, 6283000.0, 50.0


def grid_z(i: int, j: int) -> float:
    """A slope climbing north: 4 m per 50 m block (8 %)."""
    return 2.0 + 4.0 * i


@pytest.fixture
def street_grid(db):
    """A 6 x 6 block grid of streets in Lambert-93 near the old town, a flight of stairs, and three places."""
    from django.contrib.gis.geos import LineString, Point

    from twin.models import PointOfInterest, StreetSegment

    def xy(i: int, j: int) -> tuple[float, float, float]:
        return (X0 + j * STEP, Y0 + i * STEP, grid_z(i, j))

    segments = []
    for i in range(6):
        for j in range(6):
            for di, dj in ((0, 1), (1, 0)):
                if i + di > 5 or j + dj > 5:
                    continue
                a, b = xy(i, j), xy(i + di, j + dj)
                mid = tuple((p + q) / 2 for p, q in zip(a, b))
                segments.append(
                    StreetSegment(
                        source_key="test-streets",
                        source_id=f"s{i}{j}{di}{dj}",
                        kind="street",
                        name=f"Rue {i}-{j}",
                        geom=LineString([a, mid, b], srid=2154),
                    )
                )
    segments.append(
        StreetSegment(
            source_key="test-streets",
            source_id="stairs",
            kind="stairs",
            name="Montée du Château",
            geom=LineString([xy(0, 5), xy(1, 5)], srid=2154),
        )
    )
    StreetSegment.objects.bulk_create(segments)
    places = {
        "port-vauban": (X0 + 3, Y0 - 2, 2.0),
        "chateau": (X0 + 5 * STEP, Y0 + 5 * STEP + 4, 22.0),
        "marche": (X0 + 2 * STEP, Y0 + 3 * STEP, 14.0),
        "ile-sainte-marguerite": (X0 + 3000, Y0 - 3000, 0.0),
    }
    pois = {}
    for slug, (x, y, z) in places.items():
        pois[slug] = PointOfInterest.objects.create(
            name=slug.replace("-", " ").title(), slug=slug, category="patrimoine", geom=Point(x, y, z, srid=2154)
        )
    return pois


@pytest.fixture
def circuit(street_grid):
    """A draft circuit of three places, with texts."""
    from twin.models import CircuitStop, WalkingCircuit

    walk = WalkingCircuit.objects.create(name="Vieil Antibes", slug="vieil-antibes", description="Du port au château.")
    for order, slug in enumerate(["port-vauban", "marche", "chateau"]):
        CircuitStop.objects.create(circuit=walk, poi=street_grid[slug], order=order, text=f"Texte {slug}")
    return walk
