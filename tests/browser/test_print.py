"""Print or export this view: the scene's image, a title and date, the visible layers' legend, the picked feature's
panel, a north arrow and a scale, alone on paper."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.browser

# Distinct colours in the captured image, counted in the page on a 64 × 64 copy: a blank capture (a cleared
# WebGL buffer) has one.
COLOURS = """async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = 64; c.height = 64;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0, 64, 64);
    const data = ctx.getImageData(0, 0, 64, 64).data;
    const seen = new Set();
    for (let i = 0; i < data.length; i += 4) seen.add(`${data[i] >> 3},${data[i + 1] >> 3},${data[i + 2] >> 3}`);
    return {colours: seen.size, width: img.naturalWidth, height: img.naturalHeight};
}"""


def test_the_print_view_holds_the_image_the_legend_and_the_picked_feature(page):
    page.open("/")
    page.wait_for_layer("buildings")
    page.click_feature("buildings")
    page.locator("#panel").wait_for(state="visible")
    picked = page.locator("#panel-title").inner_text()
    page.locator("#layers input[data-layer='basemap']").uncheck()

    page.locator("button[data-tool=print]").click()
    view = page.locator("[data-testid=print-view]")
    view.wait_for(state="visible")
    image = view.locator("img[data-testid=print-image]")
    src = image.get_attribute("src")
    assert src.startswith("data:image/png;base64,")
    seen = page.evaluate(COLOURS, src)
    canvas = page.evaluate(
        "[window.jumeau.viewer.cesium.scene.canvas.width, window.jumeau.viewer.cesium.scene.canvas.height]"
    )
    assert [seen["width"], seen["height"]] == canvas
    assert seen["colours"] > 20, seen  # the city, not a cleared buffer
    assert view.locator("h1").inner_text().endswith("vue 3D")
    assert view.locator(".print-date").inner_text().startswith("Vue du ")
    legend = view.locator("[data-testid=print-legend]")
    assert "Couches affichées" in legend.inner_text()
    buildings = legend.locator("li[data-layers~='buildings']")
    assert buildings.count() == 1 and "Bâtiments" in buildings.inner_text()
    # A layer the visitor unticked is not in the legend.
    assert legend.locator("li[data-layers~='basemap']").count() == 0
    assert view.locator("[data-testid=print-feature] h2").inner_text().endswith(picked)
    assert view.locator("[data-testid=print-feature] dt").count() >= 1
    assert view.locator("[data-testid=print-feature] button").count() == 0
    north = view.locator("[data-testid=print-north]")
    assert north.is_visible()
    heading = page.evaluate("Cesium.Math.toDegrees(window.jumeau.viewer.cesium.camera.heading)")
    assert abs(float(north.get_attribute("data-heading")) - heading) < 0.5
    scale = view.locator("[data-testid=print-scale]")
    assert scale.get_attribute("data-metres") is not None and float(scale.get_attribute("data-metres")) > 0
    for control in view.locator(".print-actions button, .print-actions a").all():
        box = control.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, box

    # On paper: the print view alone, without its buttons.
    page.emulate_media(media="print")
    assert view.is_visible() and image.is_visible()
    assert legend.is_visible()
    assert page.locator("#toolbar").is_hidden() and page.locator("#cesium").is_hidden()
    assert view.locator(".print-actions").is_hidden()
    (ROOT / "test-results").mkdir(exist_ok=True)
    pdf = page.pdf(path=str(ROOT / "test-results" / "print-view.pdf"), format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 30_000, len(pdf)
    page.emulate_media(media="screen")

    # The preview follows a language switch, then closes with Escape and gives the focus back.
    page.click("[data-testid=language]")
    assert view.locator("h1").inner_text().endswith("3D view")
    assert "Layers shown" in legend.inner_text()
    page.click("[data-testid=language]")
    view.locator("[data-testid=print-close]").focus()
    page.keyboard.press("Escape")
    assert view.is_hidden()
    assert page.evaluate("document.activeElement.dataset.tool") == "print"
    assert not [e for e in page.errors if "favicon" not in e and "status of 404" not in e], page.errors


def test_the_browser_s_own_print_command_prints_the_view_not_the_app(page):
    page.open("/")
    page.wait_for_layer("buildings")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")
    view = page.locator("[data-testid=print-view]")
    assert view.is_visible()
    src = view.locator("img[data-testid=print-image]").get_attribute("src")
    assert page.evaluate(COLOURS, src)["colours"] > 20
    assert page.locator("#toolbar").is_hidden()
