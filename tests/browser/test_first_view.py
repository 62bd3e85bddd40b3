"""The first 3D view: CesiumJS shows the demo terrain and buildings; a click shows a building's attributes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_a_citizen_clicks_a_building_and_reads_its_attributes(page):
    page.open("/")
    page.wait_for_layer("buildings")
    page.click_feature("buildings")
    panel = page.locator("#panel")
    panel.wait_for(state="visible")
    source_id = panel.locator("dd[data-key=source_id]").inner_text()
    assert source_id.startswith("BATIMENT")
    height = float(panel.locator("dd[data-key=height]").inner_text())
    assert 2.0 < height < 80.0
    assert not page.errors, page.errors


def test_the_terrain_comes_from_our_own_quantized_mesh(page):
    page.open("/")
    ours = page.evaluate("window.jumeau.viewer.cesium.scene.terrainProvider instanceof Cesium.CesiumTerrainProvider")
    assert ours
    assert page.evaluate("window.jumeau.session.layers.find(l => l.name === 'terrain').url") == "/tiles/terrain/"


def test_a_citizen_does_not_get_the_network_layer(page):
    page.open("/")
    names = page.evaluate("window.jumeau.session.layers.map(l => l.name)")
    assert "buildings" in names and "networks" not in names


def test_a_planner_signs_in_and_gets_the_networks(page):
    page.login("alice")
    page.open("/")
    assert page.locator("#role").get_attribute("data-role") == "planner"
    assert page.locator("#role").inner_text().endswith("urbaniste")
    assert "networks" in page.evaluate("window.jumeau.session.layers.map(l => l.name)")


def test_a_wrong_password_is_refused_with_a_message(page):
    page.goto(page.server.url + "/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "not her password")
    page.click("button[type=submit]")
    assert "incorrect" in page.locator(".error").inner_text()
