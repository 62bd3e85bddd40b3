"""POST /api/viewshed/ under abuse: forged X-Forwarded-For, more views at once than cores, no surface model yet."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client

from tests.viewshed.conftest import X0, Y0

URL = "/api/viewshed/"


def lonlat(x: float, y: float) -> tuple[float, float]:
    from twin.geoid import city_frame

    lon, lat = city_frame().to_lonlat(x, y)
    return float(lon), float(lat)


def body(radius: float = 50, shapes: bool = False) -> dict:
    lon, lat = lonlat(X0 + 300.0, Y0 + 180.0)
    return {"observer": {"lon": lon, "lat": lat}, "radius": radius, "shapes": shapes, "landmarks": False}


def post(client, data: dict, **headers):
    return client.post(URL, data, content_type="application/json", **headers)


@pytest.fixture
def built(city):
    from viewshed.dsm import ensure_surface

    ensure_surface()
    return city


@pytest.fixture
def idle_slots(settings):
    """One computation slot, free: a view a previous test timed out on may still be running."""
    from viewshed.views import _computations

    settings.JUMEAU_VIEWSHED_WORKERS = 1
    slots, executor = _computations()
    executor.submit(lambda: None).result(timeout=60)  # queued after any leftover computation
    assert slots.in_use == 0
    return slots


@pytest.fixture
def fresh_throttle():
    keys = [f"throttle_viewshed_{ip}" for ip in ("127.0.0.1", "203.0.113.9", "198.51.100.7")]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


def test_a_client_forging_x_forwarded_for_is_still_slowed_down(citizen, built, settings, fresh_throttle) -> None:
    # Behind nginx (one trusted proxy) the address nginx appends is the client, whatever came before it.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": 1,
        "DEFAULT_THROTTLE_RATES": {"viewshed": "2/min"},
    }
    codes = [post(citizen, body(), HTTP_X_FORWARDED_FOR=f"10.0.0.{i}, 203.0.113.9").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    r = post(citizen, body(), HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.9")
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    # Another client behind the same nginx has a bucket of its own.
    assert post(citizen, body(), HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 200


def test_without_a_proxy_a_forged_header_is_ignored(citizen, built, settings, fresh_throttle) -> None:
    # The embedded server has no proxy: the socket's address is the client, the header is the client's own words.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": 0,
        "DEFAULT_THROTTLE_RATES": {"viewshed": "2/min"},
    }
    codes = [post(citizen, body(), HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    assert int(post(citizen, body(), HTTP_X_FORWARDED_FOR="10.1.1.1")["Retry-After"]) > 0


def test_the_default_settings_trust_no_proxy(settings) -> None:
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.JUMEAU_TRUSTED_PROXIES == 0


def test_a_view_asked_while_every_worker_computes_is_refused_not_queued(citizen, built, idle_slots) -> None:
    assert idle_slots.try_take()  # a computation holds the only slot
    try:
        r = post(citizen, body())
        assert r.status_code == 503 and int(r["Retry-After"]) > 0
        assert "ask again" in r.json()["detail"]
    finally:
        idle_slots.give_back()
    assert post(citizen, body()).status_code == 200
    assert idle_slots.in_use == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_views_beyond_the_workers_get_503(built, idle_slots, settings, fresh_throttle) -> None:
    # Real requests on real threads against the real kernel: with one slot, views asked at the same
    # moment cannot all be computing; those that find it taken are told to come back.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"viewshed": "1000/min"}}
    n = 4
    start = threading.Barrier(n)
    answers: list = [None] * n

    def ask(i: int) -> None:
        try:
            start.wait()
            answers[i] = post(Client(), body(radius=400, shapes=True))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    codes = sorted(r.status_code for r in answers)
    assert 200 in codes and 503 in codes, codes
    assert set(codes) <= {200, 503}
    for r in answers:
        if r.status_code == 503:
            assert int(r["Retry-After"]) > 0
    views = [r.json()["before"]["visible_area_m2"] for r in answers if r.status_code == 200]
    assert len(set(views)) == 1  # the computations that ran did not disturb each other
    assert idle_slots.in_use == 0


def test_no_surface_model_yet_is_a_503_and_no_request_builds_one(citizen, city, fresh_throttle) -> None:
    from viewshed.dsm import dsm_dir

    r = post(citizen, body())
    assert r.status_code == 503 and int(r["Retry-After"]) > 0
    detail = r.json()["detail"]
    assert "being prepared" in detail and "manage.py build_dsm" in detail
    assert not (dsm_dir() / "meta.json").exists() and not list(dsm_dir().glob("*.npy"))


def test_views_answer_once_the_demo_job_has_built_the_surface_model(citizen, city, fresh_throttle) -> None:
    from jumeau.demo_loader import build_surface_model

    assert post(citizen, body()).status_code == 503
    messages: list[str] = []
    build_surface_model(messages.append)
    assert any("build done" in m for m in messages)
    assert post(citizen, body()).status_code == 200
