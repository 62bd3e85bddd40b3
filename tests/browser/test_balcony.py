"""My balcony: a citizen clicks a facade, flies to the balcony, reads what it sees, and flips before/after the project."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PLUGIN = "window.jumeau.tools.BalconyPlugin"


def click_a_facade(page) -> None:
    """Click a building where the canvas itself is under the pointer (not the toolbar), nearest the centre first."""
    spot = page.evaluate(
        """() => {
            const v = window.jumeau.viewer.cesium, ts = window.jumeau.layers.buildings.tileset;
            const c = v.scene.canvas, box = c.getBoundingClientRect();
            const spots = [];
            for (let y = 20; y < c.clientHeight; y += 12)
              for (let x = 20; x < c.clientWidth; x += 12) spots.push([x, y]);
            spots.sort((a, b) => Math.hypot(a[0] - c.clientWidth / 2, a[1] - c.clientHeight / 2)
                               - Math.hypot(b[0] - c.clientWidth / 2, b[1] - c.clientHeight / 2));
            for (const [x, y] of spots) {
              if (document.elementFromPoint(box.left + x, box.top + y) !== c) continue;
              const p = v.scene.pick(new Cesium.Cartesian2(x, y));
              if (p instanceof Cesium.Cesium3DTileFeature && p.tileset === ts
                  && v.scene.pickPosition(new Cesium.Cartesian2(x, y))) return {x: box.left + x, y: box.top + y};
            }
            return null;
        }"""
    )
    assert spot is not None, "no building facade on screen"
    page.mouse.click(spot["x"], spot["y"])


def number(page, key: str) -> float:
    return float(page.locator(f"#panel dd[data-key='{key}'] span").get_attribute("data-value"))


def test_a_citizen_sees_the_view_from_a_balcony_before_and_after(page):
    page.open("/")
    page.wait_for_layer("buildings")
    button = page.locator("button[data-tool=balcony]")
    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    height_before = page.evaluate("window.jumeau.viewer.cesium.camera.positionCartographic.height")

    click_a_facade(page)
    page.wait_for_function(f"{PLUGIN}.lastResult !== null || {PLUGIN}.lastError !== null", timeout=240_000)
    assert page.evaluate(f"{PLUGIN}.lastError") is None
    result = page.evaluate(f"{PLUGIN}.lastResult")
    assert result["observer"]["facing_deg"] is not None  # a balcony, in front of a facade
    assert result["before"]["visible_area_m2"] > 0

    panel = page.locator("#panel")
    panel.wait_for(state="visible")
    assert page.locator("#panel-title").inner_text().startswith("Mon balcon")
    assert number(page, "Surface visible") == result["before"]["visible_area_m2"]
    assert 0.0 <= number(page, "Ciel visible") <= 1.0
    assert 0.0 <= number(page, "Mer (azimuts)") <= 1.0
    assert page.locator("#panel canvas.horizon").count() == 1
    # The overlay is draped and the camera went down to the balcony, looking out.
    assert page.evaluate(f"{PLUGIN}.imagery !== null")
    page.wait_for_function(
        "(h) => Math.abs(window.jumeau.viewer.cesium.camera.positionCartographic.height - h) < 5",
        arg=result["observer"]["height"],
    )
    assert result["observer"]["height"] < height_before

    if result["after"] is not None:
        switch = page.locator("#panel button.balcony-switch")
        assert switch.get_attribute("aria-pressed") == "false"
        switch.click()
        page.wait_for_function("document.querySelector(\"#panel dd[data-key='Vue'] span\").dataset.value === 'after'")
        assert number(page, "Surface visible") == result["after"]["visible_area_m2"]
        assert number(page, "Surface perdue") == result["change"]["lost_m2"]
        assert page.locator("#panel button.balcony-switch").get_attribute("aria-pressed") == "true"
        page.locator("#panel button.balcony-switch").click()
        page.wait_for_function("document.querySelector(\"#panel dd[data-key='Vue'] span\").dataset.value === 'before'")

    button.click()
    assert button.get_attribute("aria-pressed") == "false"
    assert page.evaluate(f"{PLUGIN}.imagery === null")
    # Chromium reports the missing /favicon.ico as a bare "404" without its URL.
    assert not [e for e in page.errors if "favicon" not in e and "status of 404" not in e], page.errors


def variant_ids_by_layer(page) -> dict[str, int]:
    """Each project variant's id as /api/projects/ gives it, by the tile layer the session names."""
    data = page.evaluate("fetch('/api/projects/').then(r => r.json())")
    projects = data if isinstance(data, list) else data["results"]
    return {v["tile_layer"]: v["id"] for p in projects for v in p["variants"]}


def test_the_balcony_measures_the_variant_the_scene_shows_and_hides_it_before(page):
    page.open("/")
    page.wait_for_layer("buildings")
    layers = page.evaluate("window.jumeau.session.layers.filter(l => l.project).map(l => l.name)")
    assert len(layers) >= 2, layers
    ids = variant_ids_by_layer(page)
    second = layers[1]
    # The citizen ticks the second variant: the scene now shows it, not the first.
    page.locator(f"#layers input[data-layer='{second}']").check()
    shown = "(n) => window.jumeau.layers[n].tileset.show"
    assert page.evaluate(shown, second) is True and page.evaluate(shown, layers[0]) is False
    sent: list[dict] = []
    page.on(
        "request",
        lambda r: sent.append(r.post_data_json) if r.method == "POST" and r.url.endswith("/api/viewshed/") else None,
    )

    page.locator("button[data-tool=balcony]").click()
    click_a_facade(page)
    page.wait_for_function(f"{PLUGIN}.lastResult !== null || {PLUGIN}.lastError !== null", timeout=240_000)
    assert page.evaluate(f"{PLUGIN}.lastError") is None
    assert sent and sent[-1]["variant"] == ids[second] != ids[layers[0]]
    result = page.evaluate(f"{PLUGIN}.lastResult")
    assert result["variant"] == ids[second] and result["after"] is not None
    assert page.locator("#panel dd[data-key='Projet'] span").get_attribute("data-value") == str(ids[second])

    # "Before": the numbers of today's city, and the variant is gone from the 3D scene (still ticked).
    assert page.evaluate(shown, second) is False
    assert page.locator(f"#layers input[data-layer='{second}']").is_checked()
    page.locator("#panel button.balcony-switch").click()
    page.wait_for_function("document.querySelector(\"#panel dd[data-key='Vue'] span\").dataset.value === 'after'")
    assert page.evaluate(shown, second) is True
    assert page.evaluate(shown, layers[0]) is False
    page.locator("#panel button.balcony-switch").click()
    page.wait_for_function("document.querySelector(\"#panel dd[data-key='Vue'] span\").dataset.value === 'before'")
    assert page.evaluate(shown, second) is False
    # Leaving the balcony gives the scene its project back.
    page.locator("button[data-tool=balcony]").click()
    assert page.evaluate(shown, second) is True
