"""TLS as shipped: nginx terminates it, redirects plain HTTP, sends HSTS, and Django knows the request was secure."""

from __future__ import annotations

import http.client

from tests.deploy.conftest import HOST, NETWORK_SECRET
from tests.deploy.production import env_example


def _django_hsts_policy() -> str:
    """The Strict-Transport-Security value Django's SecurityMiddleware builds from env.example's settings."""
    env = env_example()
    policy = f"max-age={int(env['SECURE_HSTS_SECONDS'])}"
    if env["SECURE_HSTS_INCLUDE_SUBDOMAINS"] == "1":
        policy += "; includeSubDomains"
    if env["SECURE_HSTS_PRELOAD"] == "1":
        policy += "; preload"
    return policy


def test_plain_http_is_redirected_to_https_on_our_own_name(stack):
    conn = http.client.HTTPConnection(HOST, stack.http_port, timeout=10)
    conn.request("GET", "/tiles/networks/tileset.json?x=1", headers={"Host": "evil.example"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 301
    # The configured server name, not the Host the client wrote.
    assert response.getheader("Location") == f"https://{HOST}/tiles/networks/tileset.json?x=1"
    assert NETWORK_SECRET not in body


def test_every_https_answer_carries_one_hsts_policy_the_same_as_djangos(stack, anonymous):
    expected = _django_hsts_policy()
    assert "max-age=31536000" in expected
    for target in (
        "/api/session/",
        "/tiles/buildings/tileset.json",
        f"/tiles/buildings/@{stack.versions['buildings']}/t/r.glb",
        "/tiles/networks/tileset.json",
        "/no/such/page/",
    ):
        response = anonymous.get(target)
        assert response.all("Strict-Transport-Security") == [expected], target
        assert response.all("X-Content-Type-Options") == ["nosniff"], target


def test_a_sign_in_over_https_gets_secure_cookies_and_django_sees_https(stack):
    client = stack.client()
    response = client.login("charlie")
    cookies = response.all("Set-Cookie")
    session = [c for c in cookies if c.startswith("sessionid=")]
    assert session and "Secure" in session[0] and "HttpOnly" in session[0]
    # SECURE_SSL_REDIRECT is on: had Django not trusted nginx's X-Forwarded-Proto, it would redirect in a loop.
    session_json = client.get("/api/session/")
    assert session_json.status == 200
    assert b'"charlie"' in session_json.body


def test_the_app_itself_redirects_a_request_that_skipped_nginx(stack):
    """SECURE_SSL_REDIRECT: a plain request straight to uvicorn, without nginx's X-Forwarded-Proto."""
    conn = http.client.HTTPConnection(HOST, stack.app_port, timeout=10)
    conn.request("GET", "/api/session/", headers={"Host": HOST})
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 301
    assert response.getheader("Location").startswith("https://")
