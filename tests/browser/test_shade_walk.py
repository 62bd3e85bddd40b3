"""A walk in the shade asked on a citizen's phone, in French: the answer's shade and detour, and its stretches drawn."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Page

pytestmark = pytest.mark.browser

# Each drawn stretch of the last route: whether it is a shaded one (the plugin draws one entity per run).
STRETCHES = """() => window.jumeau.viewer.cesium.dataSources.getByName('walks')[0].entities.values
  .filter((e) => e.id === 'route' || e.id.startsWith('route:'))
  .map((e) => ({shaded: e.properties.shaded ? e.properties.shaded.getValue() : null,
                colour: e.polyline.material.color.getValue().toCssHexString(),
                width: e.polyline.width.getValue()}))"""


@pytest.fixture
def antibes_phone(browser, demo_server):
    """A visitor's phone in Antibes: 390 x 844, touch, French, the city's clock."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",
        timezone_id="Europe/Paris",
    )
    yield Page(context.new_page(), demo_server)
    context.close()


def test_a_shade_walk_on_a_phone_tells_its_shade_and_detour_in_french_and_draws_shade_and_sun(antibes_phone):
    phone = antibes_phone
    phone.open("/")
    phone.wait_for_function(
        "window.jumeau.tools.RoutesPlugin.pois.length > 1 && window.jumeau.tools.RoutesPlugin.connected",
        timeout=60_000,
    )
    toggle = phone.locator("[data-testid=toolbar-toggle]")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    phone.locator("[data-testid=walks-menu]").click()
    picker = phone.locator("[data-testid=route-picker]")
    picker.wait_for(state="visible")
    # From the first landmark to the last: a walk long enough to cross streets in shade and in sun.
    count = picker.locator("select[name=from] option").count()
    picker.locator("select[name=from]").select_option(index=0)
    picker.locator("select[name=to]").select_option(index=count - 1)
    picker.locator("[data-testid=route-shade]").select_option("most")
    # A winter afternoon (the demo's shade covers today and tomorrow): a low sun, long shadows, sunny squares.
    depart = picker.locator("[data-testid=route-depart]")
    assert depart.get_attribute("aria-label") == "heure de départ (vide : maintenant)"
    assert depart.bounding_box()["height"] >= 44  # a finger's target, like the selects beside it
    depart.fill("14:00")
    picker.locator("button[type=submit]").click()
    phone.wait_for_function("window.jumeau.tools.RoutesPlugin.lastRoute !== null", timeout=60_000)
    shade = phone.evaluate("window.jumeau.tools.RoutesPlugin.lastRoute.properties.shade")
    assert shade["available"] and shade["preference"] == "most"

    panel = phone.locator("#panel")
    panel.wait_for(state="visible")
    text = panel.inner_text()
    # Distance with the detour beside it, minutes, and the share in shade, in French.
    assert re.search(r"Distance\s+[\d ,.]+\s?(m|km) \(\+\d+ % détour\)", text), text
    assert re.search(r"Durée à pied\s+\d+ min", text), text
    share = phone.locator("[data-testid=route-shade-share]").inner_text()
    assert re.fullmatch(r"\d+ % à l'ombre", share), share
    assert int(share.split()[0]) == round(shade["share"] * 100)
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # on the phone's screen, not off its side

    stretches = phone.evaluate(STRETCHES)
    kinds = {s["shaded"] for s in stretches}
    assert kinds == {True, False}, stretches
    # Told apart by colour and by width (for colour-blind walkers).
    shaded = {(s["colour"], s["width"]) for s in stretches if s["shaded"]}
    sunny = {(s["colour"], s["width"]) for s in stretches if not s["shaded"]}
    assert len(shaded) == 1 and len(sunny) == 1 and shaded != sunny
    assert not phone.errors, phone.errors
