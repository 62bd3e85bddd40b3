"""Seeing what is hidden: a planner's cut-away of the buildings, a field agent's excavation, networks by type."""

from __future__ import annotations

import pytest
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


def test_a_planners_box_cuts_away_the_building_under_it_and_only_what_is_inside(page):
    page.login("alice").open("/")
    page.wait_for_layer("buildings")
    settle(page)
    # Close enough that the buildings are drawn one by one (the city view shows merged levels of detail).
    spots = free_spots(page, want_building=True, step=60)
    assert spots, "no building on screen"
    look_at(page, spots[len(spots) // 2], 350)
    page.wait_for_layer("buildings")
    settle(page)
    page.screenshot(path=str(SHOTS / "clip-before.png"))
    spots = free_spots(page, want_building=True, step=40)
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
