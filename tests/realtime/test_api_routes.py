"""GET /api/routes/, /api/circuits/, /api/transit/stops/ and a stop's departures."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_citizen_gets_a_walk_between_two_places(citizen, street_grid):
    response = citizen.get("/api/routes/", {"from": "port-vauban", "to": "chateau"})
    assert response.status_code == 200
    feature = response.json()
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "LineString"
    assert {"length_m", "duration_s", "profile"} <= set(feature["properties"])


def test_a_walk_from_coordinates(citizen, street_grid):
    from tests.realtime.conftest import X0, Y0
    from twin.geoid import city_frame

    lon, lat = city_frame().to_lonlat(X0 + 100.0, Y0 + 100.0)
    response = citizen.get("/api/routes/", {"from_lon": float(lon), "from_lat": float(lat), "to": "chateau"})
    assert response.status_code == 200, response.content


def test_missing_ends_are_a_400(citizen, street_grid):
    response = citizen.get("/api/routes/", {"from": "port-vauban"})
    assert response.status_code == 400 and "to=" in response.json()["detail"]


def test_an_unknown_place_is_a_404_and_an_unreachable_one_a_422(citizen, street_grid):
    assert citizen.get("/api/routes/", {"from": "nowhere", "to": "chateau"}).status_code == 404
    response = citizen.get("/api/routes/", {"from": "port-vauban", "to": "ile-sainte-marguerite"})
    assert response.status_code == 422 and "nearest street" in response.json()["detail"]


def test_only_published_circuits_are_listed_with_their_texts(citizen, circuit):
    assert citizen.get("/api/circuits/").json()["features"] == []
    circuit.published = True
    circuit.save()
    [feature] = citizen.get("/api/circuits/").json()["features"]
    assert feature["properties"]["slug"] == "vieil-antibes"
    assert [s["text"] for s in feature["properties"]["stops"]] == ["Texte port-vauban", "Texte marche", "Texte chateau"]


@pytest.fixture
def imported(sample_dir):
    from realtime.gtfs_import import import_feed

    import_feed(str(sample_dir))


def test_stops_come_with_the_lines_that_call_there(citizen, imported):
    features = citizen.get("/api/transit/stops/").json()["features"]
    by_id = {f["id"]: f for f in features}
    assert by_id["PL_GAULLE"]["geometry"]["coordinates"] == pytest.approx([7.1235, 43.58085])
    assert "1" in [line["line"] for line in by_id["PL_GAULLE"]["properties"]["lines"]]
    assert by_id["ANT_PEM"]["properties"]["location_type"] == 1


def test_departures_fall_back_to_the_timetable_without_a_worker(citizen, imported, monkeypatch):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    morning = datetime(2025, 7, 10, 7, 20, tzinfo=ZoneInfo("Europe/Paris")).timestamp()
    monkeypatch.setattr("realtime.views.time.time", lambda: morning)
    body = citizen.get("/api/transit/stops/ANT_PEM_A/departures/").json()
    assert body["source"] == "schedule" and body["updated"] == "never updated"
    assert body["departures"][0]["trip"] == "L1_A_0730" and body["departures"][0]["realtime"] is False


def test_departures_come_from_the_worker_when_it_runs(citizen, imported):
    import asyncio
    import json

    from realtime.hub import Change, default_publisher

    board = [
        {"trip": "L1_A_0730", "route": "L1", "line": "1", "expected": 1, "scheduled": 1, "delay": 60, "realtime": True}
    ]
    changes = [
        Change("stop:PL_GAULLE", 7, "{}", json.dumps({"seq": 7, "feed_timestamp": 1, "departures": board})),
        Change("status", 3, "{}", json.dumps({"seq": 3, "feed_timestamp": 1, "state": "ok"})),
    ]
    asyncio.run(default_publisher().publish(changes))
    body = citizen.get("/api/transit/stops/PL_GAULLE/departures/").json()
    assert body["source"] == "worker" and body["departures"][0]["delay"] == 60 and body["status"] == "ok"


def test_an_unknown_stop_is_a_404(citizen, imported):
    assert citizen.get("/api/transit/stops/NOPE/departures/").status_code == 404


def test_departures_fall_back_to_the_timetable_when_redis_is_down(citizen, imported, settings):
    import socket

    with socket.socket() as s:  # a port where no Redis answers
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    working, settings.REDIS_URL = settings.REDIS_URL, f"redis://127.0.0.1:{dead}/0"
    try:
        response = citizen.get("/api/transit/stops/ANT_PEM_A/departures/")
    finally:
        settings.REDIS_URL = working  # the namespace fixture cleans up on the real Redis
    assert response.status_code == 200
    assert response.json()["source"] == "schedule" and response.json()["status"] == "unknown"


def test_the_stops_collection_pages_at_5000_and_keeps_its_shape(citizen, imported):
    whole = citizen.get("/api/transit/stops/").json()
    count = whole["numberMatched"]
    assert count == len(whole["features"]) >= 3 and whole["next"] is None  # a city's network in one answer
    first = citizen.get("/api/transit/stops/", {"limit": 2}).json()
    assert [f["id"] for f in first["features"]] == [f["id"] for f in whole["features"][:2]]
    rest = citizen.get(first["next"]).json()
    assert [f["id"] for f in rest["features"]] == [f["id"] for f in whole["features"][2:4]]
    asked_too_much = citizen.get("/api/transit/stops/", {"limit": 10**9}).json()
    assert len(asked_too_much["features"]) == count  # the ceiling (5000) is above this feed, and is not lifted


def test_a_page_of_more_than_5000_stops_is_never_served(citizen, imported):
    from django.contrib.gis.geos import Point

    from realtime.models import Feed, Stop

    feed = Feed.objects.current()
    Stop.objects.bulk_create(
        Stop(
            feed=feed,
            stop_id=f"ZZ{i:05d}",
            name=f"Arrêt {i}",
            location_type=0,
            geom=Point(7.1 + i * 1e-6, 43.58, srid=4326),
        )
        for i in range(5001)
    )
    body = citizen.get("/api/transit/stops/", {"limit": 100000}).json()
    assert len(body["features"]) == 5000 and body["numberMatched"] > 5000 and body["next"]
