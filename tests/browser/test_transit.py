"""Live buses, a stop's departure board and the walking circuits in the 3D scene, with the simulator running."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = [pytest.mark.browser, pytest.mark.every_backend]

# Centre the camera on a stop and return where its (ground-clamped) point is drawn, once a pick there finds it.
LOCATE_STOP = """(s) => {
  const v = window.jumeau.viewer.cesium, scene = v.scene;
  const ground = scene.globe.getHeight(Cesium.Cartographic.fromDegrees(s.lon, s.lat)) || 0;
  const target = Cesium.Cartesian3.fromDegrees(s.lon, s.lat, ground);
  v.camera.lookAt(target, new Cesium.HeadingPitchRange(0, Cesium.Math.toRadians(-60), 500));
  v.camera.lookAtTransform(Cesium.Matrix4.IDENTITY);
  scene.render();
  const at = Cesium.SceneTransforms.worldToWindowCoordinates(scene, target);
  if (!at) return null;
  for (let dy = -4; dy <= 4; dy += 2)
    for (let dx = -4; dx <= 4; dx += 2) {
      const p = scene.pick(new Cesium.Cartesian2(at.x + dx, at.y + dy));
      if (p && p.id && p.id.id === "stop:" + s.stop_id) return {x: at.x + dx, y: at.y + dy};
    }
  return null;
}"""


MINE = ("TransitPlugin", "RoutesPlugin", "/ws/", "/api/transit/", "/api/routes/", "/api/circuits/")


@pytest.fixture(scope="module")
def published_circuits(demo_server):
    """The city publishes the demo circuits (in real life: a tick in the admin)."""
    demo_server.manage(
        "shell",
        "-c",
        "from twin.models import WalkingCircuit; "
        "[c.save() for c in WalkingCircuit.objects.all() if not setattr(c, 'published', True)]",
    )
    return demo_server


def open_transit(page):
    page.open("/")
    page.wait_for_function(
        "window.jumeau.tools.TransitPlugin && window.jumeau.tools.TransitPlugin.snapshots > 0", timeout=60_000
    )
    return page


def test_buses_appear_and_move(page):
    # The simulator follows the wall clock; the demo's night line puts a bus on the road at every hour.
    open_transit(page)
    page.wait_for_function("Object.keys(window.jumeau.tools.TransitPlugin.vehicles).length > 0", timeout=60_000)
    first = page.evaluate("JSON.parse(JSON.stringify(window.jumeau.tools.TransitPlugin.vehicles))")
    seq = page.evaluate("window.jumeau.tools.TransitPlugin.lastSeq.vehicles")
    # serve_demo reads the simulator every 2 s in the browser tests: a few cycles later buses have moved.
    page.wait_for_function(
        "(s) => window.jumeau.tools.TransitPlugin.lastSeq.vehicles >= s + 2", arg=seq, timeout=60_000
    )
    later = page.evaluate("JSON.parse(JSON.stringify(window.jumeau.tools.TransitPlugin.vehicles))")
    moved = [
        vid
        for vid in first
        if vid in later and (first[vid]["lon"], first[vid]["lat"]) != (later[vid]["lon"], later[vid]["lat"])
    ]
    assert moved, "no bus moved"
    assert page.evaluate("window.jumeau.tools.TransitPlugin.resyncs") == 0
    assert (
        page.evaluate("window.jumeau.viewer.cesium.dataSources.getByName('transit-buses')[0].entities.values.length")
        > 0
    )
    assert not [e for e in page.errors if any(k in e for k in MINE)], page.errors


def test_a_click_on_a_stop_shows_its_departure_board(page):
    open_transit(page)
    stop = page.evaluate("""() => {
        // The stop with the most lines (the station): the night line calls there too, so at any hour its board
        // has a departure within the next two hours.
        const stops = Object.values(window.jumeau.tools.TransitPlugin.stops).filter(s => s.lines.length > 1);
        return stops.sort((a, b) => b.lines.length - a.lines.length)[0];
    }""")
    assert stop is not None, "no stop served by several lines"
    spot, previous = None, None
    for _ in range(40):
        # Coarse globe tiles put the ground kilometres low at first: wait until two looks agree. The globe may
        # never report every tile loaded while buses move and the camera is placed again (a CI run waited 120 s
        # in vain): the two agreeing looks are what proves the ground settled, the wait only saves looks.
        try:
            page.wait_for_function(
                "() => { const s = window.jumeau.viewer.cesium.scene; s.requestRender(); return s.globe.tilesLoaded; }",
                timeout=10_000,
            )
        except PlaywrightTimeout:
            pass
        found = page.evaluate(LOCATE_STOP, stop)
        if found and previous and abs(found["x"] - previous["x"]) < 2 and abs(found["y"] - previous["y"]) < 2:
            spot = found
            break
        previous = found
        page.wait_for_timeout(300)
    assert spot is not None, "no stop on screen"
    box = page.locator("#cesium canvas").first.bounding_box()
    page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])
    board = page.locator("#panel table.board")
    board.wait_for(state="visible")
    page.wait_for_function("document.querySelectorAll('#panel table.board tr[data-trip]').length > 0", timeout=30_000)
    updated = page.locator("[data-testid=board-updated]").inner_text()
    assert re.match(r"mis à jour il y a \d+ s", updated), updated


def test_a_published_circuit_is_drawn_on_the_ground(published_circuits, page):
    open_transit(page)
    page.wait_for_function("Object.keys(window.jumeau.tools.RoutesPlugin.circuits).length > 0", timeout=60_000)
    page.click("[data-testid=walks-menu]")
    first = page.locator(".walks-list input[data-circuit]").first
    slug = first.get_attribute("data-circuit")
    first.check()
    page.wait_for_function("(s) => window.jumeau.tools.RoutesPlugin.drawn.includes(s)", arg=slug)
    entity = page.evaluate(
        """(s) => { const e = window.jumeau.viewer.cesium.dataSources.getByName('walks')[0]
        .entities.getById('circuit:' + s); return e && e.polyline.clampToGround.getValue() && e.polyline.positions.getValue().length; }""",
        slug,
    )
    assert entity and entity > 10


def test_a_route_between_two_places_is_drawn_with_its_profile(page):
    open_transit(page)
    page.wait_for_function(
        "window.jumeau.tools.RoutesPlugin.pois.length > 1 && window.jumeau.tools.RoutesPlugin.connected"
    )
    page.click("[data-testid=walks-menu]")
    page.click("[data-testid=route-picker] button[type=submit]")
    # As long as the app waits (45 s): a server that just started may still be building its street graph.
    page.wait_for_function("window.jumeau.tools.RoutesPlugin.lastRoute !== null", timeout=50_000)
    assert page.locator("#panel [data-testid=route-profile] polyline").count() == 1
