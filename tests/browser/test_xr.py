"""The WebXR field viewer: same tilesets in three.js, pipes for a field agent, an immersive session (iwer emulation)."""
from __future__ import annotations

import pytest
from pyproj import Transformer

from tests.browser.conftest import Page
from tests.browser.test_layers import sign_in, watch
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

IWER = ROOT / "frontend" / "node_modules" / "iwer" / "build" / "iwer.min.js"


@pytest.fixture
def headset(browser, demo_server):
    """A browser page with a Meta Quest 3 emulated by iwer (WebXR Device API runtime).

    Chromium has a native navigator.xr (with no device behind it): iwer must be forced in.
    """
    if not IWER.is_file():
        pytest.fail("frontend/node_modules/iwer is missing: run `make test` (it runs npm ci).")
    context = browser.new_context(viewport={"width": 1024, "height": 700}, locale="fr-FR")
    context.add_init_script(path=str(IWER))
    context.add_init_script(script="window.__xrDevice = new IWER.XRDevice(IWER.metaQuest3); window.__xrDevice.installRuntime({ forceInstall: true });")
    page = Page(context.new_page(), demo_server)
    yield page
    context.close()


def _open_xr(page, query: str = "") -> None:
    page.goto(page.server.url + "/xr/" + query)
    page.wait_for_function("window.jumeauXR && window.jumeauXR.ready === true")


def test_a_field_agent_sees_pipes_around_him_and_enters_an_immersive_session(headset):
    page = headset
    errors = watch(page)
    sign_in(page, "bob")
    page.goto(page.server.url + "/api/session/")
    segment = page.evaluate("fetch('/api/network-segments/?page_size=1').then(r => r.json())")
    x, y = segment["results"]["features"][0]["geometry"]["coordinates"][0]
    lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(x, y)
    _open_xr(page, f"?lon={lon:.7f}&lat={lat:.7f}")
    assert set(page.evaluate("Object.keys(window.jumeauXR.layers)")) == {"terrain", "buildings", "networks"}
    # Tiles of every layer arrive and are drawn; the pipes are below the user's feet.
    page.wait_for_function("['terrain', 'buildings', 'networks'].every(n => window.jumeauXR.layers[n].models > 0)")
    assert page.evaluate("window.jumeauXR.groundHeight") > 0
    assert page.evaluate("window.jumeauXR.layers.networks.errors") == []
    # Tiles come and go with the LRU cache: wait until a pipe mesh is in the scene, then measure it.
    lowest = page.wait_for_function("""() => {
        const v = window.jumeauXR;
        let lowest = null;
        v.layers.networks.tiles.group.traverse(o => { if (o.isMesh) { o.geometry.computeBoundingBox();
            const b = o.geometry.boundingBox.clone().applyMatrix4(o.matrixWorld);
            lowest = lowest === null ? b.min.y : Math.min(lowest, b.min.y); } });
        return lowest === null ? false : { lowest, ground: v.groundY };
    }""").json_value()
    assert lowest["lowest"] < lowest["ground"], lowest
    button = page.locator("[data-testid=xr-enter]")
    button.wait_for(state="visible")
    assert button.is_enabled()
    button.click()
    page.wait_for_function("window.jumeauXR.renderer.xr.isPresenting === true && window.jumeauXR.xrSession !== null")
    # The camera swap: every tileset now refines for the XR camera.
    swapped = page.evaluate("""() => Object.values(window.jumeauXR.layers).every(
        l => l.tiles.cameras.length === 1 && l.tiles.cameras[0] === window.jumeauXR.renderer.xr.getCamera())""")
    assert swapped is True
    page.evaluate("window.jumeauXR.xrSession.end()")
    page.wait_for_function("window.jumeauXR.xrSession === null")
    assert not errors, errors


def test_a_citizen_gets_no_network_tiles_and_is_told_why(headset):
    page = headset
    _open_xr(page)
    assert "networks" not in page.evaluate("Object.keys(window.jumeauXR.layers)")
    messages = page.evaluate("window.jumeauXR.messages")
    assert any("Réseaux enterrés" in m for m in messages)
    page.locator("[data-testid=xr-messages]").get_by_text("Réseaux enterrés").wait_for()
    page.wait_for_function("window.jumeauXR.layers.buildings && window.jumeauXR.layers.buildings.models > 0")
