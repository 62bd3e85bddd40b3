"""Sign-in under attack: the Nth wrong password locks (address, account) out until the cool-off, for every form."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.test import Client

RIGHT = "correct horse battery"
ATTACKER = "203.0.113.5"
ELSEWHERE = "198.51.100.20"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def sign_in(client: Client, username: str, password: str, url: str = "/accounts/login/", **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_nth_wrong_password_locks_out_even_the_right_one(charlie) -> None:
    client = Client(REMOTE_ADDR=ATTACKER)
    assert sign_in(client, "charlie", "wrong 1").status_code == 200  # the form again, with its error
    assert sign_in(client, "charlie", "wrong 2").status_code == 200
    r = sign_in(client, "charlie", "wrong 3")
    assert r.status_code == 429 and int(r["Retry-After"]) == 15 * 60
    r = sign_in(client, "charlie", RIGHT)
    assert r.status_code == 429 and not signed_in(client)
    text = r.content.decode()
    assert "Trop d’essais de connexion manqués" in text and "Too many failed sign-in attempts" in text


def test_another_address_is_not_locked_out(charlie) -> None:
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for i in range(3):
        sign_in(attacker, "charlie", f"wrong {i}")
    charlie_at_home = Client(REMOTE_ADDR=ELSEWHERE)
    assert sign_in(charlie_at_home, "charlie", RIGHT).status_code == 302 and signed_in(charlie_at_home)


def test_the_right_password_works_again_after_the_cool_off(charlie, settings) -> None:
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    client = Client(REMOTE_ADDR=ATTACKER)
    for i in range(3):
        sign_in(client, "charlie", f"wrong {i}")
    assert sign_in(client, "charlie", RIGHT).status_code == 429
    time.sleep(1.2)
    assert sign_in(client, "charlie", RIGHT).status_code == 302 and signed_in(client)


def test_the_admin_login_is_covered_too(alice) -> None:
    alice.is_staff = True
    alice.is_superuser = True
    alice.save()
    client = Client(REMOTE_ADDR=ATTACKER)
    for i in range(3):
        r = sign_in(client, "alice", f"wrong {i}", url="/admin/login/")
    assert r.status_code == 429
    assert sign_in(client, "alice", RIGHT, url="/admin/login/").status_code == 429
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_the_app_gets_the_lockout_as_json(charlie) -> None:
    client = Client(REMOTE_ADDR=ATTACKER)
    for i in range(3):
        r = sign_in(client, "charlie", f"wrong {i}", HTTP_ACCEPT="application/json")
    assert r.status_code == 429 and r["Content-Type"] == "application/json"
    body = r.json()
    assert body["retry_after_s"] == 15 * 60
    assert "bloqué" in body["detail_fr"] and "locked" in body["detail_en"]


def test_behind_nginx_a_forged_x_forwarded_for_does_not_escape_the_lockout(charlie, settings) -> None:
    # nginx appends the address it saw: an attacker writing its own X-Forwarded-For only adds entries before it.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    nginx = Client(REMOTE_ADDR="172.18.0.5")
    for i in range(3):
        sign_in(nginx, "charlie", f"wrong {i}", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}, {ATTACKER}")
    r = sign_in(nginx, "charlie", RIGHT, HTTP_X_FORWARDED_FOR=f"10.0.0.99, {ATTACKER}")
    assert r.status_code == 429
    # Charlie, at another address behind the same nginx, signs in.
    assert sign_in(nginx, "charlie", RIGHT, HTTP_X_FORWARDED_FOR=ELSEWHERE).status_code == 302


def test_guessing_the_old_password_of_a_stolen_session_is_locked_out(charlie) -> None:
    client = Client(REMOTE_ADDR=ATTACKER)
    client.force_login(charlie)
    new = {"new_password1": "un tout nouveau secret 42", "new_password2": "un tout nouveau secret 42"}
    assert client.post("/accounts/password_change/", {"old_password": "guess 1", **new}).status_code == 200
    assert client.post("/accounts/password_change/", {"old_password": "guess 2", **new}).status_code == 200
    r = client.post("/accounts/password_change/", {"old_password": "guess 3", **new})
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    r = client.post("/accounts/password_change/", {"old_password": RIGHT, **new})
    assert r.status_code == 429
    charlie.refresh_from_db()
    assert charlie.check_password(RIGHT)  # unchanged


def test_reset_emails_are_rate_limited_per_address(charlie, settings, mailoutbox) -> None:
    settings.JUMEAU_PASSWORD_RESET_RATE = "2/hour"
    cache.delete_many([f"throttle_password_reset_{ip}" for ip in (ATTACKER, ELSEWHERE)])
    client = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(2):
        assert client.post("/accounts/password_reset/", {"email": charlie.email}).status_code == 302
    r = client.post("/accounts/password_reset/", {"email": charlie.email})
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    assert len(mailoutbox) == 2
    assert Client(REMOTE_ADDR=ELSEWHERE).post("/accounts/password_reset/", {"email": charlie.email}).status_code == 302
    cache.delete_many([f"throttle_password_reset_{ip}" for ip in (ATTACKER, ELSEWHERE)])


def test_code_that_checks_a_password_without_a_request_still_can(charlie) -> None:
    assert authenticate(username="charlie", password=RIGHT) == charlie
    assert authenticate(username="charlie", password="wrong") is None
