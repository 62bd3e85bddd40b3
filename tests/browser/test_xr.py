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
    context.add_init_script(
        script="window.__xrDevice = new IWER.XRDevice(IWER.metaQuest3); window.__xrDevice.installRuntime({ forceInstall: true });"
    )
    page = Page(context.new_page(), demo_server)
    yield page
    context.close()


def _open_xr(page, query: str = "") -> None:
    page.goto(page.server.url + "/xr/" + query)
    page.wait_for_function("window.jumeauXR && window.jumeauXR.ready === true")


# A point inside one of the networks' triangles, in pixels of the page, and in the scene's frame (metres, y up).
PIPE_TARGET = """() => {
    const v = window.jumeauXR;
    v.camera.updateMatrixWorld();
    const size = v.renderer.domElement.getBoundingClientRect();
    let found = null;
    v.layers.networks.tiles.group.traverse(o => {
        if (found || !o.isMesh || !o.userData.meshFeatures) return;
        const p = o.geometry.getAttribute('position');
        const index = o.geometry.index;
        for (let t = 0; t < (index ? index.count : p.count) / 3 && !found; t++) {
            const c = [0, 0, 0];
            for (let k = 0; k < 3; k++) {
                const i = index ? index.getX(3 * t + k) : 3 * t + k;
                const e = o.matrixWorld.elements;
                const [x, y, z] = [p.getX(i), p.getY(i), p.getZ(i)];
                c[0] += (e[0] * x + e[4] * y + e[8] * z + e[12]) / 3;
                c[1] += (e[1] * x + e[5] * y + e[9] * z + e[13]) / 3;
                c[2] += (e[2] * x + e[6] * y + e[10] * z + e[14]) / 3;
            }
            const world = c.slice();
            const m = v.camera.matrixWorldInverse.elements, q = v.camera.projectionMatrix.elements;
            const view = [0, 1, 2].map(r => m[r] * c[0] + m[4 + r] * c[1] + m[8 + r] * c[2] + m[12 + r]);
            if (view[2] > -1) continue;
            const clip = [0, 1, 3].map(r => q[r] * view[0] + q[4 + r] * view[1] + q[8 + r] * view[2] + q[12 + r]);
            const [nx, ny] = [clip[0] / clip[2], clip[1] / clip[2]];
            if (Math.abs(nx) > 0.8 || Math.abs(ny) > 0.8) continue;
            found = { x: size.left + (nx + 1) / 2 * size.width, y: size.top + (1 - ny) / 2 * size.height, world };
        }
    });
    return found || false;
}"""


def _aim(point: list[float], at: list[float]) -> dict:
    """The quaternion that turns a controller at `point` (its ray along -Z) towards `at`."""
    d = [a - p for a, p in zip(at, point)]
    norm = sum(c * c for c in d) ** 0.5
    dx, dy, dz = (c / norm for c in d)
    q = [dy, -dx, 0.0, 1.0 - dz]  # (0, 0, -1) -> d: axis (0,0,-1) x d, angle from the dot product
    n = sum(c * c for c in q) ** 0.5
    return dict(zip("xyzw", (c / n for c in q)))


def _field_agent_at_a_pipe(page) -> None:
    sign_in(page, "bob")
    page.goto(page.server.url + "/api/session/")
    segment = page.evaluate("fetch('/api/network-segments/?page_size=1').then(r => r.json())")
    x, y = segment["results"]["features"][0]["geometry"]["coordinates"][0]
    lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(x, y)
    _open_xr(page, f"?lon={lon:.7f}&lat={lat:.7f}")
    page.wait_for_function("['terrain', 'buildings', 'networks'].every(n => window.jumeauXR.layers[n].models > 0)")


def _enter(page, mode: str) -> None:
    button = page.locator(f"[data-testid=xr-enter-{mode}]")
    button.wait_for(state="visible")
    assert button.is_enabled()
    button.click()
    page.wait_for_function("window.jumeauXR.renderer.xr.isPresenting === true && window.jumeauXR.xrSession !== null")
    # The camera swap: every tileset now refines for the XR camera.
    swapped = page.evaluate("""() => Object.values(window.jumeauXR.layers).every(
        l => l.tiles.cameras.length === 1 && l.tiles.cameras[0] === window.jumeauXR.renderer.xr.getCamera())""")
    assert swapped is True
    # Pipes are drawn for the headset's eyes: network tiles in the XR camera's view, their group shown.
    page.wait_for_function("""() => { const n = window.jumeauXR.layers.networks.tiles;
        return n.group.visible && n.visibleTiles.size > 0 && window.jumeauXR.renderer.info.render.triangles > 0; }""")


def _leave(page) -> None:
    page.evaluate("window.jumeauXR.xrSession.end()")
    page.wait_for_function("window.jumeauXR.xrSession === null")


def test_a_field_agent_sees_pipes_around_him_with_their_legend_and_picks_one(headset):
    page = headset
    errors = watch(page)
    _field_agent_at_a_pipe(page)
    assert set(page.evaluate("Object.keys(window.jumeauXR.layers)")) == {"terrain", "buildings", "networks"}
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
    legend = page.locator("[data-testid=xr-legend] li")
    assert legend.count() >= 8
    water = page.locator("[data-testid=xr-legend] li[data-network=water]")
    assert water.inner_text() == "Eau potable"
    assert water.locator(".swatch").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 90, 255)"
    # A click on a pipe (not a drag) shows its attributes in words.
    target = page.wait_for_function(PIPE_TARGET, timeout=60_000).json_value()
    page.mouse.click(target["x"], target["y"])
    pick = page.locator("[data-testid=xr-pick]")
    pick.wait_for(state="visible")
    terms = pick.locator("dt").all_inner_texts()
    assert {"Réseau", "Profondeur", "Classe de précision", "Exploitant"} <= set(terms), terms
    assert "_" not in pick.inner_text(), pick.inner_text()  # words, not field or layer names
    assert not errors, errors


@pytest.mark.parametrize("mode", ["vr", "ar"])
def test_a_field_agent_enters_each_immersive_session_and_sees_the_pipes(headset, mode):
    page = headset
    errors = watch(page)
    _field_agent_at_a_pipe(page)
    # A Quest (iwer) offers both: VR, and AR with the real street seen through (passthrough).
    assert page.locator("[data-testid=xr-enter-vr]").is_visible()
    assert page.locator("[data-testid=xr-enter-ar]").is_visible()
    target = page.wait_for_function(PIPE_TARGET, timeout=60_000).json_value()
    _enter(page, mode)
    state = page.evaluate("""() => { const v = window.jumeauXR; return {
        mode: v.xrSession.mode || v.mode, blend: v.xrSession.environmentBlendMode,
        terrain: v.layers.terrain.tiles.group.visible, buildings: v.layers.buildings.tiles.group.visible,
        background: v.scene.background !== null, legend: v.legendPanel.mesh.visible }; }""")
    if mode == "ar":
        assert state["blend"] == "alpha-blend"
        # The real street replaces the model's ground and façades; the clear is transparent for passthrough.
        assert (state["terrain"], state["buildings"], state["background"]) == (False, False, False), state
    else:
        assert state["blend"] == "opaque"
        assert (state["terrain"], state["buildings"], state["background"]) == (True, True, True), state
    assert state["legend"] is True
    # The right controller aims at a pipe and pulls its trigger: the pick panel appears in the headset.
    hand = [0.25, 1.2, -0.2]
    page.evaluate(
        """([p, q]) => { const c = window.__xrDevice.controllers.right;
        c.position.set(p[0], p[1], p[2]); c.quaternion.set(q.x, q.y, q.z, q.w); }""",
        [hand, _aim(hand, target["world"])],
    )
    page.evaluate("window.__xrDevice.controllers.right.updateButtonValue('trigger', 1)")
    # The session sees the press on a later frame; select fires when the trigger is released.
    page.wait_for_function("""() => [...window.jumeauXR.xrSession.inputSources].some(
        s => s.handedness === 'right' && s.gamepad && s.gamepad.buttons[0].pressed)""")
    page.evaluate("window.__xrDevice.controllers.right.updateButtonValue('trigger', 0)")
    page.wait_for_function("window.jumeauXR.picked !== null && window.jumeauXR.infoPanel.mesh.visible === true")
    entries = dict(page.evaluate("window.jumeauXR.picked.entries"))
    assert entries["Classe de précision"][0] in "ABC", entries
    _leave(page)
    assert page.evaluate("window.jumeauXR.layers.terrain.tiles.group.visible") is True
    assert not errors, errors


def test_a_citizen_gets_no_network_tiles_and_is_told_why(headset):
    page = headset
    _open_xr(page)
    assert "networks" not in page.evaluate("Object.keys(window.jumeauXR.layers)")
    messages = page.evaluate("window.jumeauXR.messages")
    assert any("Réseaux enterrés" in m for m in messages)
    page.locator("[data-testid=xr-messages]").get_by_text("Réseaux enterrés").wait_for()
    page.wait_for_function("window.jumeauXR.layers.buildings && window.jumeauXR.layers.buildings.models > 0")
