"""POST /api/viewshed/: a citizen asks what their balcony sees, and what the tower project would take away."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache

from tests.viewshed.conftest import LAND_Z, X0, Y0

URL = "/api/viewshed/"


@pytest.fixture
def city(city):
    from viewshed.dsm import ensure_surface

    ensure_surface()  # what the job that rebuilds the tiles does: requests never build it
    return city


@pytest.fixture(autouse=True)
def fresh_throttle():
    # Only this endpoint's counter for the test client: never flush a cache others share.
    cache.delete("throttle_viewshed_127.0.0.1")
    yield
    cache.delete("throttle_viewshed_127.0.0.1")


def lonlat(x: float, y: float) -> tuple[float, float]:
    from twin.geoid import city_frame

    lon, lat = city_frame().to_lonlat(x, y)
    return float(lon), float(lat)


def post(client, body: dict):
    return client.post(URL, body, content_type="application/json")


def test_a_citizen_sees_the_sea_from_a_belvedere(citizen, city) -> None:
    # 20 m above a 10 m cliff 20 m from the shore: the sea shows from about 29 m out.
    lon, lat = lonlat(X0 + 300.0, Y0 + 180.0)
    r = post(citizen, {"observer": {"lon": lon, "lat": lat, "height_above_ground": 20}, "radius": 300})
    assert r.status_code == 200, r.content
    body = r.json()
    before = body["before"]
    assert before["visible_area_m2"] > 50_000
    assert before["sea_share_of_azimuths"] > 0.3 and before["sea_solid_angle_sr"] > 0
    assert len(before["horizon_deg"]) == 360 and None not in before["horizon_deg"]
    assert 0.9 < before["sky_view_factor"] <= 1.0
    assert [lm["slug"] for lm in before["landmarks"] if lm["visible"]] == ["phare"]
    assert body["after"] is None and body["change"] is None
    assert body["observer"]["z"] == pytest.approx(LAND_Z + 21.6, abs=0.01)
    assert body["observer"]["lon"] == pytest.approx(lon) and body["observer"]["facing_deg"] is None
    assert before["visible_geojson"]["type"] == "MultiPolygon"
    assert body["overlay"]["before_png"] and body["overlay"]["after_png"] is None


def test_a_balcony_before_and_after_the_tower(citizen, city) -> None:
    r = post(
        citizen,
        {
            "observer": {"building": city.home.pk, "floor": 2, "facade_azimuth": 180},
            "eye_height": 1.6,
            "radius": 400,
            "variant": city.tower.pk,
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    before, after, change = body["before"], body["after"], body["change"]
    assert body["observer"]["facing_deg"] == pytest.approx(180.0)
    assert body["observer"]["floor"] == 2 and body["observer"]["building"] == city.home.pk
    assert body["observer"]["z"] == pytest.approx(LAND_Z + 6.0 + 1.6)
    assert before["horizon_deg"][0] is None and before["horizon_deg"][180] is not None  # behind the facade
    assert before["sea_share_of_azimuths"] > after["sea_share_of_azimuths"]
    assert change["lost_m2"] > 1000 and change["lost_geojson"]["coordinates"]
    assert {lm["slug"]: lm["visible"] for lm in before["landmarks"]} == {"phare": True}
    assert {lm["slug"]: lm["visible"] for lm in after["landmarks"]} == {"phare": False}
    assert body["overlay"]["after_png"]
    assert body["variant"] == city.tower.pk


def test_a_click_on_a_facade_is_a_balcony(citizen, city) -> None:
    from twin.geoid import city_frame

    lon, lat = lonlat(X0 + 200.0, Y0 + 199.95)
    h = LAND_Z + 4.0 + float(city_frame().undulation(lon, lat))
    r = post(
        citizen,
        {
            "observer": {"lon": lon, "lat": lat, "height": h, "building_source_id": "HOME"},
            "radius": 300,
            "shapes": False,
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["observer"]["floor"] == 1 and body["observer"]["facing_deg"] == pytest.approx(180.0)
    assert body["overlay"] is None and "visible_geojson" not in body["before"]


def test_a_radius_beyond_the_limit_is_refused(citizen, city, settings) -> None:
    lon, lat = lonlat(X0 + 300.0, Y0 + 180.0)
    settings.JUMEAU_VIEWSHED_MAX_RADIUS_M = 2000.0
    r = post(citizen, {"observer": {"lon": lon, "lat": lat}, "radius": 2500})
    assert r.status_code == 400
    assert r.json() == {"radius": ["The radius is limited to 2000 m."]}


def test_a_point_inside_a_building_is_refused(citizen, city) -> None:
    lon, lat = lonlat(X0 + 200.0, Y0 + 210.0)
    r = post(citizen, {"observer": {"lon": lon, "lat": lat}})
    assert r.status_code == 400
    assert "inside a building" in r.json()["detail"]


def test_a_point_outside_the_city_is_refused(citizen, city) -> None:
    lon, lat = lonlat(X0 + 5000.0, Y0 + 120.0)
    r = post(citizen, {"observer": {"lon": lon, "lat": lat}})
    assert r.status_code == 400
    assert "outside" in r.json()["detail"]


def test_incomplete_observers_and_bad_resolutions_are_explained(citizen, city) -> None:
    r = post(citizen, {"observer": {"lon": 7.1}})
    assert r.status_code == 400 and "lon and lat" in str(r.json())
    r = post(citizen, {"observer": {"building": city.home.pk}})
    assert r.status_code == 400 and "floor" in str(r.json())
    r = post(citizen, {"observer": {"building": city.home.pk, "floor": 9}})
    assert r.status_code == 400 and "floors 0 to 4" in r.json()["detail"]
    lon, lat = lonlat(X0 + 300.0, Y0 + 180.0)
    r = post(citizen, {"observer": {"lon": lon, "lat": lat}, "resolution": 1.5})
    assert r.status_code == 400 and "whole multiple" in r.json()["detail"]


def test_a_draft_project_is_not_offered_to_citizens(citizen, city) -> None:
    city.tower.project.status = "draft"
    city.tower.project.save()
    r = post(citizen, {"observer": {"building": city.home.pk, "floor": 1}, "variant": city.tower.pk})
    assert r.status_code == 400 and "not public" in r.json()["detail"]


def test_a_client_asking_too_often_is_slowed_down(citizen, city, settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"viewshed": "2/min"}}
    lon, lat = lonlat(X0 + 300.0, Y0 + 180.0)
    body = {"observer": {"lon": lon, "lat": lat}, "radius": 50, "shapes": False, "landmarks": False}
    assert post(citizen, body).status_code == 200
    assert post(citizen, body).status_code == 200
    r = post(citizen, body)
    assert r.status_code == 429


def test_a_slow_view_times_out(citizen, city, settings) -> None:
    settings.JUMEAU_VIEWSHED_TIMEOUT_S = 0.0
    lon, lat = lonlat(X0 + 300.0, Y0 + 180.0)
    r = post(citizen, {"observer": {"lon": lon, "lat": lat}, "radius": 300})
    assert r.status_code == 503 and "longer than" in r.json()["detail"]


def test_the_observer_position_never_reaches_the_logs(citizen, city, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    spots = [lonlat(X0 + 300.0, Y0 + 180.0), lonlat(X0 + 200.0, Y0 + 210.0), lonlat(X0 + 9000.0, Y0 + 120.0)]
    for lon, lat in spots:
        post(citizen, {"observer": {"lon": lon, "lat": lat}, "radius": 200, "shapes": False})
    post(citizen, {"observer": {"building": city.home.pk, "floor": 3, "facade": 2}, "radius": 200, "shapes": False})
    post(citizen, {"observer": {"lon": spots[0][0], "lat": "not a number"}})
    text = caplog.text
    assert "Bad Request: /api/viewshed/" in text  # the request log is there, with the path only
    for lon, lat in spots:
        for shown in (f"{lon:.4f}", f"{lat:.4f}", f"{lon:.3f}"[:-1], repr(lon), repr(lat)):
            assert shown not in text
    assert str(int(X0 + 300)) not in text and str(int(Y0 + 180)) not in text


def test_the_schema_documents_the_viewshed(citizen, db) -> None:
    r = citizen.get("/api/schema/", {"format": "json"})
    assert r.status_code == 200
    schema = r.json()
    op = schema["paths"]["/api/viewshed/"]["post"]
    assert set(op["responses"]) >= {"200", "400", "429"}
    response = schema["components"]["schemas"]["ViewshedResponse"]["properties"]
    assert {"before", "after", "change", "overlay", "observer"} <= set(response)
    numbers = schema["components"]["schemas"]["ViewNumbers"]["properties"]
    assert {
        "visible_area_m2",
        "sea_share_of_azimuths",
        "sea_solid_angle_sr",
        "sky_view_factor",
        "horizon_deg",
        "landmarks",
    } <= set(numbers)
