"""Seeing what is hidden: a planner's cut-away of the buildings, a field agent's excavation, networks by type."""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image
from pyproj import Geod

from tests.browser.test_desk_tools import SHOTS, free_spots, settle

pytestmark = pytest.mark.browser

GEOD = Geod(ellps="WGS84")

# The building drawn at a screen spot: its source id and where the pick ray meets it, or null.
BUILDING_AT = """(s) => {
    const scene = window.jumeau.viewer.cesium.scene, xy = new Cesium.Cartesian2(s.x, s.y);
    const p = scene.pick(xy);
    if (!(p instanceof Cesium.Cesium3DTileFeature) || p.tileset !== window.jumeau.layers.buildings.tileset) return null;
    const at = scene.pickPosition(xy);
    const g = at && Cesium.Cartographic.fromCartesian(at);
    return {id: String(p.getProperty("source_id")),
            lon: g ? Cesium.Math.toDegrees(g.longitude) : null, lat: g ? Cesium.Math.toDegrees(g.latitude) : null};
}"""


def building_at(page, spot: dict) -> dict | None:
    return page.evaluate(BUILDING_AT, spot)


def metres(a: dict, b: dict) -> float:
    return GEOD.inv(a["lon"], a["lat"], b["lon"], b["lat"])[2]


def look_at(page, spot: dict, range_m: float, pitch_deg: float = -50) -> None:
    """The camera `range_m` from the spot, facing north, looking down `pitch_deg`, free to move afterwards."""
    page.evaluate(
        """([s, range, pitch]) => { const camera = window.jumeau.viewer.cesium.camera;
            camera.lookAt(Cesium.Cartesian3.fromDegrees(s.lon, s.lat, s.height),
                          new Cesium.HeadingPitchRange(0, Cesium.Math.toRadians(pitch), range));
            camera.lookAtTransform(Cesium.Matrix4.IDENTITY); window.jumeau.viewer.requestRender(); }""",
        [spot, range_m, pitch_deg],
    )


def planner_close_to_buildings(page) -> list[dict]:
    """A planner signed in, the camera 350 m from a building: the screen spots 40 px apart, buildings under them."""
    page.login("alice").open("/")
    # Only a building to fly to is wanted from the city view: its tiles loaded are enough, the ground's refining
    # (settle) is waited for once the camera is close.
    page.wait_for_layer("buildings")
    # Close enough that the buildings are drawn one by one (the city view shows merged levels of detail).
    spots = free_spots(page, want_building=True, step=60)
    assert spots, "no building on screen"
    look_at(page, spots[len(spots) // 2], 350)
    page.wait_for_layer("buildings")
    settle(page)
    return free_spots(page, want_building=True, step=40)


def test_a_planners_box_cuts_away_the_building_under_it_and_only_what_is_inside(page):
    spots = planner_close_to_buildings(page)
    page.screenshot(path=str(SHOTS / "clip-before.png"))
    assert len(spots) >= 2, "too few buildings on screen"
    box = page.locator("#cesium canvas").first.bounding_box()
    mid = (box["width"] * 0.7, box["height"] * 0.6)
    spot = min(spots, key=lambda s: (s["x"] - mid[0]) ** 2 + (s["y"] - mid[1]) ** 2)
    before = building_at(page, spot)
    assert before is not None
    # Buildings whose drawn point lies well outside the 60 m box (its half diagonal is 43 m).
    far = [s for s in spots if metres(s, spot) > 120]
    assert far, "no building far enough from the cut on screen"
    far_before = [building_at(page, s) for s in far[:4]]

    page.click("button[data-tool=clip]")
    assert page.get_attribute("[data-clip-mode=box]", "aria-pressed") == "true"
    page.mouse.click(spot["pageX"], spot["pageY"])
    page.locator("[data-testid=clip-card][data-clipped=true]").wait_for()
    settle(page)
    page.screenshot(path=str(SHOTS / "clip-box.png"))
    after = building_at(page, spot)
    # Either nothing, or a building behind it whose drawn point is outside the box: never the one under the box.
    assert after is None or (after["id"] != before["id"] and metres(after, spot) > 30), (before, after)
    far_after = [building_at(page, s) for s in far[:4]]
    assert [b and b["id"] for b in far_after] == [b and b["id"] for b in far_before]

    page.click("[data-testid=clip-reset]")
    settle(page)
    restored = building_at(page, spot)
    assert restored is not None and restored["id"] == before["id"], (before, restored)

    # The same cut from a polygon tapped around the spot: a triangle 50 m across.
    page.click("[data-clip-mode=polygon]")
    around = [s for s in spots if 15 < metres(s, spot) < 60]
    corners = page.evaluate(
        """(s) => { const c = Cesium.Cartesian3.fromDegrees(s.lon, s.lat, s.height), scene = window.jumeau.viewer.cesium.scene;
                    const f = Cesium.Transforms.eastNorthUpToFixedFrame(c);
                    return [[0, 30], [26, -15], [-26, -15]].map(([e, n]) => {
                      const w = Cesium.Matrix4.multiplyByPoint(f, new Cesium.Cartesian3(e, n, 0), new Cesium.Cartesian3());
                      const xy = Cesium.SceneTransforms.worldToWindowCoordinates(scene, w);
                      const r = scene.canvas.getBoundingClientRect();
                      return xy ? {pageX: r.left + xy.x, pageY: r.top + xy.y} : null; }); }""",
        spot,
    )
    print(f"clip: {len(spots)} building spots, {len(far)} far, {len(around)} near; before {before}, after {after}")
    assert all(corners)
    for corner in corners:
        page.mouse.click(corner["pageX"], corner["pageY"])
    page.click("[data-testid=clip-cut]")
    page.locator("[data-testid=clip-card][data-clipped=true]").wait_for()
    settle(page)
    page.screenshot(path=str(SHOTS / "clip-polygon.png"))
    after = building_at(page, spot)
    assert after is None or (after["id"] != before["id"] and metres(after, spot) > 10), (before, after)
    page.click("[data-testid=clip-reset]")


# The box's centre: where it is, its handle on the page, and the camera's position (to tell it held still).
BOX = """() => {
    const plugin = window.jumeau.tools.ClipPlugin, scene = window.jumeau.viewer.cesium.scene;
    if (!plugin.centre) return null;
    const g = Cesium.Cartographic.fromCartesian(plugin.centre), r = scene.canvas.getBoundingClientRect();
    const xy = Cesium.SceneTransforms.worldToWindowCoordinates(scene, plugin.centre);
    const cut = plugin.cutCorners.reduce((a, c) => Cesium.Cartesian3.add(a, c, a), new Cesium.Cartesian3());
    const cg = Cesium.Cartographic.fromCartesian(Cesium.Cartesian3.divideByScalar(cut, plugin.cutCorners.length, cut));
    const camera = scene.camera.positionWC;
    return {lon: Cesium.Math.toDegrees(g.longitude), lat: Cesium.Math.toDegrees(g.latitude),
            cut: {lon: Cesium.Math.toDegrees(cg.longitude), lat: Cesium.Math.toDegrees(cg.latitude)},
            pageX: r.left + xy.x, pageY: r.top + xy.y, camera: [camera.x, camera.y, camera.z],
            handle: !!plugin.handle, inputs: scene.screenSpaceCameraController.enableInputs};
}"""

# The ground under a page point, as the drag puts the box's centre there.
GROUND_UNDER = """([x, y]) => {
    const scene = window.jumeau.viewer.cesium.scene, r = scene.canvas.getBoundingClientRect();
    const ray = scene.camera.getPickRay(new Cesium.Cartesian2(x - r.left, y - r.top));
    const p = ray && scene.globe.pick(ray, scene), g = p && Cesium.Cartographic.fromCartesian(p);
    return g ? {lon: Cesium.Math.toDegrees(g.longitude), lat: Cesium.Math.toDegrees(g.latitude)} : null;
}"""


def east_north(a: dict, b: dict) -> tuple[float, float]:
    """How far b lies east and north of a, metres."""
    azimuth, _, distance = GEOD.inv(a["lon"], a["lat"], b["lon"], b["lat"])
    return distance * math.sin(math.radians(azimuth)), distance * math.cos(math.radians(azimuth))


def test_a_planner_drags_the_box_by_its_handle_with_a_mouse_or_a_finger_and_moves_it_with_the_arrow_keys(page):
    spots = planner_close_to_buildings(page)
    box = page.locator("#cesium canvas").first.bounding_box()
    mid = (box["width"] * 0.6, box["height"] * 0.6)
    spot = min(spots, key=lambda s: (s["x"] - mid[0]) ** 2 + (s["y"] - mid[1]) ** 2)
    before = building_at(page, spot)
    assert before is not None
    page.click("button[data-tool=clip]")
    page.mouse.click(spot["pageX"], spot["pageY"])
    page.locator("[data-testid=clip-card][data-clipped=true]").wait_for()
    settle(page)
    assert building_at(page, spot) is None or building_at(page, spot)["id"] != before["id"]
    placed = page.evaluate(BOX)
    assert placed["handle"], placed

    # A mouse drag from the handle: the box follows onto the ground under the pointer, the camera holds still.
    to = (placed["pageX"] - 220, placed["pageY"] - 40)
    page.mouse.move(placed["pageX"], placed["pageY"])
    page.mouse.down()
    page.mouse.move(*to, steps=8)
    page.mouse.up()
    settle(page)
    dragged = page.evaluate(BOX)
    target = page.evaluate(GROUND_UNDER, list(to))
    print(f"clip drag: from {placed} to {dragged}, ground under the pointer {target}")
    assert metres(dragged, target) < 3, (dragged, target)
    assert metres(dragged, placed) > 60 and metres(dragged["cut"], dragged) < 1
    assert dragged["camera"] == pytest.approx(placed["camera"], abs=0.01) and dragged["inputs"] is True
    # The building the box first cut is back; the tap that ends a drag moves nothing more.
    back = building_at(page, spot)
    assert back is not None and back["id"] == before["id"], (before, back)

    # A finger's drag (touch events, as a phone sends them) moves it back.
    cdp = page.context.new_cdp_session(page.page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
    start, end = (dragged["pageX"], dragged["pageY"]), (spot["pageX"], spot["pageY"])
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": start[0], "y": start[1]}]})
    for k in range(1, 9):
        x, y = (start[i] + (end[i] - start[i]) * k / 8 for i in range(2))
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    settle(page)
    touched = page.evaluate(BOX)
    target = page.evaluate(GROUND_UNDER, list(end))
    print(f"clip touch drag: to {touched}, ground under the finger {target}")
    assert metres(touched, target) < 3, (touched, target)
    assert touched["camera"] == pytest.approx(placed["camera"], abs=0.01) and touched["inputs"] is True

    # The keyboard: the move button takes the arrow keys, 5 m a press, 25 m with Shift, as the view faces (north).
    page.focus("[data-testid=clip-move]")
    page.keyboard.press("ArrowRight")
    right = page.evaluate(BOX)
    assert east_north(touched, right) == pytest.approx((5, 0), abs=0.3)
    page.keyboard.press("Shift+ArrowUp")
    up = page.evaluate(BOX)
    assert east_north(right, up) == pytest.approx((0, 25), abs=0.3)
    assert metres(up["cut"], up) < 1
    assert "25\u00a0m vers le nord" in page.locator("[data-testid=clip-card] .tool-note").inner_text()
    page.click("[data-testid=clip-reset]")
    assert page.evaluate(BOX) is None


# The first pixels, scanning from the middle of the free part of the screen outwards, where a pipe (a network
# segment, its sleeve included) of the networks layer is drawn once the ground is hidden.
PIPE_SPOTS = """(step) => {
    const scene = window.jumeau.viewer.cesium.scene, c = scene.canvas, r = c.getBoundingClientRect();
    const ts = window.jumeau.layers.networks.tileset, found = [];
    const cx = c.clientWidth * 0.68, cy = c.clientHeight * 0.6, candidates = [];
    for (let y = Math.round(c.clientHeight * 0.3); y < c.clientHeight - step; y += step)
      for (let x = Math.round(c.clientWidth * 0.4); x < c.clientWidth - step; x += step)
        candidates.push([x, y]);
    candidates.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
    scene.globe.show = false;
    try {
      for (const [x, y] of candidates) {
        if (document.elementFromPoint(r.left + x, r.top + y) !== c) continue;
        const p = scene.pick(new Cesium.Cartesian2(x, y));
        if (p instanceof Cesium.Cesium3DTileFeature && p.tileset === ts && p.getProperty("feature_kind") !== "node") {
          found.push({x, y, pageX: r.left + x, pageY: r.top + y, id: String(p.getProperty("source_id"))});
          if (found.length >= 3) break;
        }
      }
    } finally { scene.globe.show = true; }
    return found;
}"""

NETWORK_AT = """(s) => {
    const p = window.jumeau.viewer.cesium.scene.pick(new Cesium.Cartesian2(s.x, s.y));
    return p instanceof Cesium.Cesium3DTileFeature && p.tileset === window.jumeau.layers.networks.tileset
      ? String(p.getProperty("source_id")) : null;
}"""

# How far below the terrain the surface drawn at a screen spot lies, in metres (negative: above it).
BELOW_GROUND = """(s) => {
    const scene = window.jumeau.viewer.cesium.scene, at = scene.pickPosition(new Cesium.Cartesian2(s.x, s.y));
    if (!Cesium.defined(at)) return null;
    const g = Cesium.Cartographic.fromCartesian(at), ground = scene.globe.getHeight(g);
    return ground === undefined ? null : ground - g.height;
}"""


# Where the pit's inside walls and floor are drawn: screen spots of points on the far (north) wall halfway down and
# on a grid over the floor, kept where the pick finds the pit itself (not a building in front of it), with the
# networks hidden so that no pipe or sleeve tints the soil.
PIT_SPOTS = """() => {
    const scene = window.jumeau.viewer.cesium.scene, shape = window.jumeau.tools.ExcavationPlugin.shape;
    const toWindow = Cesium.SceneTransforms.worldToWindowCoordinates || Cesium.SceneTransforms.wgs84ToWindowCoordinates;
    const at = (p, height) => { const g = Cesium.Cartographic.fromCartesian(p);
                                return Cesium.Cartesian3.fromRadians(g.longitude, g.latitude, height); };
    const lerp = (a, b, t) => Cesium.Cartesian3.lerp(a, b, t, new Cesium.Cartesian3());
    const [sw, se, ne, nw] = shape.corners, points = [];
    for (const t of [0.3, 0.5, 0.7]) {
      const top = Cesium.Math.lerp(shape.tops[2], shape.tops[3], t);
      points.push(["wall", at(lerp(ne, nw, t), (top + shape.floor) / 2)]);
    }
    for (const u of [0.25, 0.5, 0.75]) for (const v of [0.25, 0.5, 0.75])
      points.push(["floor", at(lerp(lerp(sw, se, u), lerp(nw, ne, u), v), shape.floor)]);
    const spots = [];
    for (const [part, p] of points) {
      const xy = toWindow(scene, p);
      if (!xy) continue;
      const picked = scene.pick(new Cesium.Cartesian2(Math.round(xy.x), Math.round(xy.y)), 1, 1);
      if (picked && picked.id === "excavation-" + part) spots.push({part, x: Math.round(xy.x), y: Math.round(xy.y)});
    }
    return spots;
}"""

# The sleeves (translucent, drawn around each pipe where it may be) are not drawn: what is left is the pipes.
HIDE_SLEEVES = """(hide) => {
    const ts = window.jumeau.layers.networks.tileset;
    ts.customShader = hide ? new Cesium.CustomShader({
      fragmentShaderText: "void fragmentMain(FragmentInput fsInput, inout czm_modelMaterial material) {"
        + " if (material.alpha < 0.5) discard; }",
    }) : undefined;
    window.jumeau.viewer.requestRender();
}"""

# The first pixel, along the row then the column through a spot, where a pipe (a segment, not a node) is drawn, with
# the distance from the camera to the surface drawn there.
PIPE_PIXEL_NEAR = """([s, reach]) => {
    const scene = window.jumeau.viewer.cesium.scene, ts = window.jumeau.layers.networks.tileset;
    const offsets = [0]; for (let d = 1; d <= reach; d++) offsets.push(d, -d);
    const tries = [...offsets.map((d) => [s.x + d, s.y]), ...offsets.map((d) => [s.x, s.y + d])];
    for (const [x, y] of tries) {
      const xy = new Cesium.Cartesian2(x, y), p = scene.pick(xy, 1, 1);
      if (!(p instanceof Cesium.Cesium3DTileFeature) || p.tileset !== ts || p.getProperty("feature_kind") === "node")
        continue;
      const at = scene.pickPosition(xy);
      if (!Cesium.defined(at)) continue;
      return {x, y, id: String(p.getProperty("source_id")),
              range: Cesium.Cartesian3.distance(scene.camera.positionWC, at)};
    }
    return null;
}"""

RANGE_AT = """(s) => {
    const scene = window.jumeau.viewer.cesium.scene, at = scene.pickPosition(new Cesium.Cartesian2(s.x, s.y));
    return Cesium.defined(at) ? Cesium.Cartesian3.distance(scene.camera.positionWC, at) : null;
}"""


def soil(rgb: tuple) -> bool:
    """A soil brown: red over green over blue, neither washed out to white nor unlit to black."""
    r, g, b = rgb[:3]
    return r > g > b and r - b >= 25 and 40 <= r <= 200


def test_an_excavation_opens_the_ground_so_the_pipes_under_it_are_seen_and_picked(page):
    page.login("bob").open("/")
    page.wait_for_layer("networks")
    settle(page)
    # Close over the networks, where a pipe is several pixels wide.
    centre = page.evaluate(
        """() => { const g = Cesium.Cartographic.fromCartesian(window.jumeau.layers.networks.tileset.boundingSphere.center);
                   return {lon: Cesium.Math.toDegrees(g.longitude), lat: Cesium.Math.toDegrees(g.latitude), height: 0}; }"""
    )
    look_at(page, centre, 200, -60)
    page.wait_for_layer("networks")
    settle(page)
    pipes = page.evaluate(PIPE_SPOTS, 30)
    assert pipes, "no pipe on screen"
    page.click("button[data-tool=excavation]")
    assert page.evaluate("window.jumeau.viewer.cesium.scene.globe.translucency.enabled") is False
    settle(page)
    # Under the opaque ground, what is drawn there is the ground's surface.
    pipe = pipes[0]
    before = page.evaluate(BELOW_GROUND, pipe)
    assert before is not None and abs(before) < 0.3, before
    page.fill("[data-testid=excavation-width]", "30")
    page.fill("[data-testid=excavation-depth]", "8")
    page.mouse.click(pipe["pageX"], pipe["pageY"])
    page.locator("[data-testid=excavation-card][data-dug=true]").wait_for()
    settle(page)
    page.screenshot(path=str(SHOTS / "excavation.png"))
    seen = page.evaluate(NETWORK_AT, pipe)
    depth = page.evaluate(BELOW_GROUND, pipe)
    print(
        f"excavation: pipe {pipe['id']} at ({pipe['x']}, {pipe['y']}), before {before} m below the ground; "
        f"in the pit: {seen} drawn {depth} m below the ground"
    )
    # In the pit, a pipe is picked and what is drawn there is no longer the ground's surface but the pipe in its
    # sleeve (the scene's pick pass ignores the ground: the drawn depth is what tells the ground away).
    assert seen is not None
    assert depth is not None and abs(depth) > 0.3
    # The pipe itself, its sleeve not drawn, lies below the ground at that place: the surface drawn at a pixel of it
    # is under the terrain's height there (and above the pit's floor, 8 m down).
    page.evaluate(HIDE_SLEEVES, True)
    settle(page)
    bare = page.evaluate(PIPE_PIXEL_NEAR, [pipe, 40])
    assert bare is not None, "no pipe drawn near the spot once the sleeves are hidden"
    bare_depth = page.evaluate(BELOW_GROUND, bare)
    print(f"excavation: pipe {bare['id']} drawn at ({bare['x']}, {bare['y']}), {bare_depth} m below the ground")
    assert bare_depth is not None and 0.2 < bare_depth < 7.7, bare_depth
    # The walls and the floor are soil-coloured, in the light of the scene as it is.
    page.evaluate("window.jumeau.layers.networks.tileset.show = false")
    settle(page)
    spots = page.evaluate(PIT_SPOTS)
    walls, floors = [s for s in spots if s["part"] == "wall"], [s for s in spots if s["part"] == "floor"]
    assert len(walls) >= 2 and len(floors) >= 5, spots
    image = Image.open(io.BytesIO(page.locator("#cesium canvas").first.screenshot())).convert("RGB")
    scale = image.width / page.evaluate("window.jumeau.viewer.cesium.scene.canvas.clientWidth")
    colours = {(s["part"], s["x"], s["y"]): image.getpixel((int(s["x"] * scale), int(s["y"] * scale))) for s in spots}
    print(f"excavation: soil colours {colours}")
    assert all(soil(rgb) for rgb in colours.values()), colours
    page.evaluate("window.jumeau.layers.networks.tileset.show = true")
    # Filled in, the ground is opaque again: the same line of sight stops on the ground's surface, in front of the
    # pipe it reached in the pit.
    page.click("[data-testid=excavation-reset]")
    settle(page)
    filled = page.evaluate(BELOW_GROUND, pipe)
    assert filled is not None and abs(filled) < 0.3
    ground = page.evaluate(BELOW_GROUND, bare)
    ground_range = page.evaluate(RANGE_AT, bare)
    print(f"excavation: filled in, the line of sight to the pipe stops {bare['range'] - ground_range} m before it")
    assert ground is not None and abs(ground) < 0.3, ground
    assert ground_range is not None and ground_range < bare["range"] - 0.2, (ground_range, bare)
    page.evaluate(HIDE_SLEEVES, False)
    # Closing the tool gives the underground mode its see-through ground back.
    page.click("button[data-tool=excavation]")
    assert page.evaluate("window.jumeau.viewer.cesium.scene.globe.translucency.enabled") is True


def test_the_layer_panel_groups_the_networks_by_type_and_shows_one_type_alone(page):
    page.login("bob").open("/")
    page.wait_for_layer("networks")
    settle(page)
    group = page.locator("fieldset[data-group=networks]")
    boxes = group.locator("input[data-network-type]")
    types = [boxes.nth(i).get_attribute("data-network-type") for i in range(boxes.count())]
    print(f"network types: {types}")
    assert "water" in types and len(types) >= 3
    assert "Eau potable" in group.inner_text()
    for kind in types:
        if kind != "water":
            group.locator(f"input[data-network-type={kind}]").uncheck()
    settle(page)
    # The features of the tiles drawn in the next frame (the style decides exactly their show).
    drawn = page.evaluate(
        """() => new Promise((resolve) => {
            const viewer = window.jumeau.viewer, ts = window.jumeau.layers.networks.tileset, seen = [];
            const visit = (tile) => {
              const content = tile.content;
              for (let i = 0; i < Math.min(content.featuresLength, 200); i++) {
                const f = content.getFeature(i);
                seen.push({type: f.getProperty("network_type"), show: f.show});
              }
            };
            ts.tileVisible.addEventListener(visit);
            const done = () => {
              viewer.cesium.scene.postRender.removeEventListener(done);
              ts.tileVisible.removeEventListener(visit);
              resolve(seen);
            };
            viewer.cesium.scene.postRender.addEventListener(done);
            viewer.requestRender();
        })"""
    )
    water = [f for f in drawn if f["type"] == "water"]
    others = [f for f in drawn if f["type"] in types and f["type"] != "water"]
    print("kinds drawn:", sorted({(f["type"], f["show"]) for f in drawn}))
    print(f"networks by type: {len(water)} water features, {len(others)} others")
    assert water and others
    assert all(f["show"] for f in water)
    assert not any(f["show"] for f in others)
    settle(page)
    page.screenshot(path=str(SHOTS / "networks-water-only.png"))
    group.locator("input[data-network-type=gas]").check() if "gas" in types else None
    assert page.evaluate("window.jumeau.tools.NetworksPlugin.hiddenTypes.has('gas')") is False
