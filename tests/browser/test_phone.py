"""A citizen's phone (390 x 844): the bottom sheet folds to its handle, its targets fit a finger, the walks menu
opens inside it and never traps the phone."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

SHEET_HEIGHT = "document.getElementById('toolbar').getBoundingClientRect().height"
# What is on top at the centre of the sheet's handle: the handle itself, whatever the sheet shows.
HANDLE_ON_TOP = """() => { const h = document.getElementById('toolbar-toggle').getBoundingClientRect();
    return document.elementFromPoint(h.left + h.width / 2, h.top + h.height / 2).closest('#toolbar-toggle') !== null; }"""


def expand_toolbar(phone) -> None:
    toggle = phone.locator("[data-testid=toolbar-toggle]")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"


def open_walks(phone):
    expand_toolbar(phone)
    phone.locator("[data-testid=walks-menu]").click()
    menu = phone.locator("[data-testid=walks-list]")
    menu.wait_for(state="visible")
    # Inside the sheet, never over its handle or above the screen's edge.
    assert phone.evaluate(
        "document.getElementById('toolbar').contains(document.querySelector('[data-testid=walks-list]'))"
    )
    assert phone.evaluate(HANDLE_ON_TOP)
    return menu


def toolbar_still_answers(phone) -> None:
    """A real click (Playwright refuses to click what something else covers) on a toolbar button."""
    balcony = phone.locator("button[data-tool=balcony]")
    before = balcony.get_attribute("aria-pressed")
    balcony.click(timeout=5_000)
    assert balcony.get_attribute("aria-pressed") != before
    balcony.click(timeout=5_000)
    assert balcony.get_attribute("aria-pressed") == before


def test_a_phone_opens_on_the_map_with_a_sheet_that_folds_and_fits_a_finger(phone):
    phone.open("/")
    toggle = phone.locator("[data-testid=toolbar-toggle]")
    assert toggle.get_attribute("aria-expanded") == "false"
    # Nothing wider than the screen: the phone shows the page at its own scale, not zoomed out.
    assert phone.evaluate("[window.innerWidth, window.innerHeight]") == [390, 844]
    folded = phone.evaluate(SHEET_HEIGHT)
    assert folded <= 64, f"folded sheet is {folded} px high"
    sheet = phone.locator("[data-testid=sheet]").bounding_box()
    assert sheet["y"] + sheet["height"] == 844, "the sheet sits on the bottom edge"
    assert phone.locator("button[data-tool=balcony]").is_hidden()
    expand_toolbar(phone)
    assert phone.locator("button[data-tool=balcony]").is_visible()
    # Open, the sheet leaves the map at least 45 % of the screen, and the map controls stay above it.
    assert phone.evaluate(SHEET_HEIGHT) <= 0.55 * 844 + 1
    controls = phone.locator("#map-controls").bounding_box()
    assert controls["y"] + controls["height"] <= phone.locator("[data-testid=sheet]").bounding_box()["y"]
    targets = phone.evaluate("""() => [...document.querySelectorAll(
            '#toolbar button, #toolbar label, #toolbar a, #topbar button, #topbar a, #map-controls button')]
        .filter(e => e.offsetParent !== null)
        .map(e => { const r = e.getBoundingClientRect();
                    return {what: e.textContent.trim() || e.getAttribute('aria-label'), h: r.height, w: r.width,
                            font: parseFloat(getComputedStyle(e).fontSize)}; })""")
    assert len(targets) >= 4, targets
    small = [t for t in targets if t["h"] < 44 or t["w"] < 44]
    assert not small, small
    assert all(t["font"] >= 14 for t in targets), targets
    # Folding again gives the map its screen back.
    toggle.click()
    assert phone.evaluate(SHEET_HEIGHT) == folded


def test_the_walks_menu_closes_by_its_button_escape_and_a_map_tap(phone):
    phone.open("/")
    menu = open_walks(phone)
    phone.locator("[data-testid=walks-close]").click()
    menu.wait_for(state="hidden")
    assert phone.locator("[data-testid=walks-menu]").get_attribute("aria-expanded") == "false"
    toolbar_still_answers(phone)

    open_walks(phone)
    phone.keyboard.press("Escape")
    menu.wait_for(state="hidden")
    toolbar_still_answers(phone)

    open_walks(phone)
    # The map between the top bar and the open sheet still takes a tap, which closes the menu.
    spot = phone.evaluate("""() => { const c = window.jumeau.viewer.cesium.scene.canvas;
        const r = c.getBoundingClientRect(), x = r.left + r.width / 3;
        const y = document.getElementById('toolbar').getBoundingClientRect().top - 40;
        const e = document.elementFromPoint(x, y);
        return {x, y, on: e === c ? 'map' : `${e.tagName}#${e.id}.${e.className}`}; }""")
    assert spot["on"] == "map", f"the map above the sheet is covered by {spot['on']}"
    phone.touchscreen.tap(spot["x"], spot["y"])
    menu.wait_for(state="hidden")
    toolbar_still_answers(phone)
