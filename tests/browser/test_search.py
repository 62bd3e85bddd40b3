"""The search box on the demo city: a street found with a typo and a bus stop without accents, chosen by keyboard or
by a tap, fly the camera there and open their panel; a failing server is told in words."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.every_backend]

# How far the camera is from the chosen result, and from where it was before, in metres.
CAMERA_TO = """(r) => {
  const camera = window.jumeau.viewer.cesium.camera;
  const target = Cesium.Cartesian3.fromDegrees(r.lon, r.lat, r.height);
  return Cesium.Cartesian3.distance(camera.positionWC, target);
}"""
# The flight is over: the camera stands still at the result's range (within a quarter).
ARRIVED = """(r) => {
  const camera = window.jumeau.viewer.cesium.camera;
  const target = Cesium.Cartesian3.fromDegrees(r.lon, r.lat, r.height);
  const d = Cesium.Cartesian3.distance(camera.positionWC, target);
  const still = window.__lastCamera && Cesium.Cartesian3.distance(window.__lastCamera, camera.positionWC) < 0.01;
  window.__lastCamera = Cesium.Cartesian3.clone(camera.positionWC);
  return still && Math.abs(d - r.range) < 0.25 * r.range;
}"""


def box(page):
    return page.get_by_role("combobox", name="Rechercher une rue, un lieu, un arrêt")


def results(page):
    return page.locator("[data-testid=search-result]")


def type_and_wait(page, text: str, label: str):
    field = box(page)
    field.fill("")
    field.press_sequentially(text, delay=30)
    results(page).filter(has_text=label).first.wait_for(state="visible")
    return field


def chosen(page) -> dict:
    return page.evaluate("() => window.jumeau.tools.SearchPlugin.selected")


def test_a_street_typed_with_a_typo_is_found_and_enter_flies_there(page):
    page.open("/")
    field = type_and_wait(page, "répubique", "Rue de la République")
    first = results(page).first
    assert "Rue de la République" in first.inner_text()
    assert "Rue" in first.locator(".search-kind").inner_text()
    assert field.get_attribute("aria-expanded") == "true"
    assert first.bounding_box()["height"] >= 44
    assert field.bounding_box()["height"] >= 44
    street = page.evaluate("() => window.jumeau.tools.SearchPlugin.results[0]")
    before = page.evaluate(CAMERA_TO, street)

    field.press("ArrowDown")
    assert first.get_attribute("aria-selected") == "true"
    assert field.get_attribute("aria-activedescendant") == first.get_attribute("id")
    field.press("Enter")

    page.wait_for_function(ARRIVED, arg=street, polling=200, timeout=20_000)
    after = page.evaluate(CAMERA_TO, street)
    assert chosen(page)["label"] == "Rue de la République"
    assert after < 1.25 * street["range"] < before, (before, after, street["range"])
    panel = page.locator("#panel")
    assert panel.is_visible()
    assert page.locator("#panel-title").inner_text() == "Rue de la République"
    assert "Rue" in page.locator("[data-testid=attributes]").inner_text()
    assert page.locator("#search-list").is_hidden()
    assert page.locator("[data-testid=search-message]").is_hidden()  # "1 résultat" is done with
    (ROOT / "test-results").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-results" / "search-street.png"))
    assert page.errors == []


def test_a_stop_typed_without_accents_is_found_and_a_click_flies_there(page):
    page.open("/")
    type_and_wait(page, "pole echange", "Antibes Pôle d'Échanges SNCF")
    stop = results(page).filter(has_text="Antibes Pôle d'Échanges SNCF").first
    assert stop.get_attribute("data-kind") == "stop"
    assert "Arrêt de bus" in stop.inner_text()
    target = page.evaluate(
        '() => window.jumeau.tools.SearchPlugin.results.find((r) => r.label === "Antibes Pôle d\'Échanges SNCF")'
    )
    before = page.evaluate(CAMERA_TO, target)
    stop.click()
    page.wait_for_function(ARRIVED, arg=target, polling=200, timeout=20_000)
    after = page.evaluate(CAMERA_TO, target)
    assert after < 1.25 * target["range"] < before, (before, after, target["range"])
    assert page.locator("#panel-title").inner_text() == "Antibes Pôle d'Échanges SNCF"
    assert page.errors == []


def test_escape_closes_the_list_then_clears_the_box(page):
    page.open("/")
    field = type_and_wait(page, "fort carre", "Fort Carré")
    field.press("Escape")
    assert page.locator("#search-list").is_hidden()
    assert field.get_attribute("aria-expanded") == "false"
    field.press("Escape")
    assert field.input_value() == ""


def test_a_search_nobody_matches_and_a_failing_server_are_told_in_french(page):
    page.open("/")
    field = box(page)
    field.press_sequentially("xqzwv", delay=30)
    message = page.locator("[data-testid=search-message]")
    message.filter(has_text="Aucun résultat").wait_for(state="visible")
    page.route("**/api/search/**", lambda route: route.fulfill(status=500, body="boom", content_type="text/html"))
    field.fill("")
    field.press_sequentially("sade", delay=30)
    message.filter(has_text="Le serveur a rencontré une erreur").wait_for(state="visible")
    assert message.get_attribute("role") == "alert"
    page.unroute("**/api/search/**")
    # The 500 was ours; its console line is the only error.
    assert all("500" in e or "search" in e for e in page.errors), page.errors


def test_on_a_phone_the_box_and_its_results_are_44_px_tall(phone):
    phone.open("/")
    # A phone opens on the map with the tools folded (core/toolbarToggle.js): a visitor unfolds them first.
    phone.locator("[data-testid=toolbar-toggle]").tap()
    field = type_and_wait(phone, "republique", "Rue de la République")
    assert field.bounding_box()["height"] >= 44
    option = results(phone).first
    assert option.bounding_box()["height"] >= 44
    option.tap()
    phone.locator("#panel-title").filter(has_text="Rue de la République").wait_for(state="visible")
