"""When the server fails, the app says so in French and offers a retry, instead of a black screen or English."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

ENGLISH = re.compile(r"Unexpected token|Request has failed|Status Code|undefined|is not valid JSON", re.I)


def fail_with(status: int, body: str = "Internal Server Error", content_type: str = "text/html"):
    return lambda route: route.fulfill(status=status, body=body, content_type=content_type)


def notice(page, key: str):
    box = page.locator(f"#notices [data-notice='{key}']")
    box.wait_for(state="visible")
    text = box.locator(".notice-text").inner_text()
    assert not ENGLISH.search(text), text
    return box, text


def test_buildings_answering_500_are_announced_and_come_back_on_retry(page):
    page.route("**/tiles/buildings/**", fail_with(500))
    page.goto(page.server.url + "/")
    page.wait_for_function("window.jumeau && window.jumeau.ready === true")
    box, text = notice(page, "layer-buildings")
    assert text.startswith("Bâtiments") and "serveur" in text and "erreur" in text
    assert page.evaluate("'buildings' in window.jumeau.layers") is False
    page.unroute("**/tiles/buildings/**")
    box.locator("[data-testid=notice-retry]").click()
    page.wait_for_layer("buildings")
    assert page.locator("#notices [data-notice='layer-buildings']").count() == 0


def test_building_tiles_answering_500_are_announced_and_reloaded_on_retry(page):
    # tileset.json loads; its content files fail: Cesium alone would leave holes without a word.
    page.route(re.compile(r"/tiles/buildings/.*\.(glb|b3dm|subtree)(\?.*)?$"), fail_with(500))
    page.goto(page.server.url + "/")
    page.wait_for_function("window.jumeau && window.jumeau.ready === true")
    box, text = notice(page, "tiles-buildings")
    assert text.startswith("Bâtiments") and "serveur" in text
    page.unroute(re.compile(r"/tiles/buildings/.*\.(glb|b3dm|subtree)(\?.*)?$"))
    box.locator("[data-testid=notice-retry]").click()
    page.wait_for_layer("buildings")
    assert page.evaluate("window.jumeau.layers.buildings.errors.length") == 0
    assert page.locator("#notices [data-notice='tiles-buildings']").count() == 0


def test_a_failing_session_says_so_in_french_and_retries(page):
    page.route("**/api/session/", fail_with(500))
    page.goto(page.server.url + "/")
    box, text = notice(page, "session")
    assert "Le serveur a rencontré une erreur" in text
    assert page.locator("#loading").is_hidden()
    page.unroute("**/api/session/")
    box.locator("[data-testid=notice-retry]").click()
    page.wait_for_function("window.jumeau && window.jumeau.ready === true")
    assert page.locator("#notices [data-notice='session']").count() == 0


def test_an_unreadable_session_is_not_an_unexpected_token(page):
    page.route("**/api/session/", fail_with(200, "<html><body>Proxy login</body></html>"))
    page.goto(page.server.url + "/")
    _, text = notice(page, "session")
    assert "illisible" in text


def test_the_loading_message_shows_until_the_globe_has_drawn(page):
    held = []
    page.route("**/api/session/", lambda route: held.append(route))
    page.goto(page.server.url + "/")
    page.wait_for_function("document.getElementById('loading') !== null")
    assert page.locator("#loading").is_visible()
    assert "Chargement" in page.locator("#loading").inner_text()
    page.wait_for_timeout(300)
    assert held, "the page did not ask for its session"
    held[0].continue_()
    page.wait_for_function("window.jumeau && window.jumeau.ready === true")
    page.locator("#loading").wait_for(state="hidden")


@pytest.mark.parametrize(
    "path, init, status, french",
    [
        ("/api/projects/no-such-project/", {}, 404, "introuvable"),
        (
            "/api/viewshed/",
            {"method": "POST", "headers": {"Content-Type": "application/json"}, "body": "{}"},
            400,
            "pas été acceptée",
        ),
    ],
)
def test_the_servers_english_errors_read_in_french(page, path, init, status, french):
    page.open("/")
    answer = page.evaluate(
        """async ([path, init]) => {
            const src = document.querySelector('script[type=module]').src;
            const { fetchJson } = await import(new URL('core/http.js', src));
            const csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || '';
            if (init.headers) init.headers['X-CSRFToken'] = csrf;
            try { await fetchJson(path, init); return null; }
            catch (err) { return {message: err.message, status: err.status, detail: err.detail}; }
        }""",
        [path, init],
    )
    assert answer is not None and answer["status"] == status, answer
    assert french in answer["message"] and not ENGLISH.search(answer["message"]), answer
    assert answer["detail"], "the server's own words are kept for the console"
