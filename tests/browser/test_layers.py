"""CesiumJS loads every layer we publish (buildings, terrain, networks, project variants) and picks their features."""

from __future__ import annotations

import pytest
from pyproj import Transformer

pytestmark = [pytest.mark.browser, pytest.mark.every_backend]


def sign_in(page, username: str) -> None:
    """Sign a persona in through a server-side session.

    The fixture's page.login goes through the admin login form, which only lets staff in; our personas are
    a planner and a field agent, not staff.
    """
    code = (
        "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY;"
        "from django.contrib.auth.models import User;"
        "from django.contrib.sessions.backends.db import SessionStore;"
        f"u = User.objects.get(username={username!r}); s = SessionStore();"
        "s[SESSION_KEY] = str(u.pk); s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend';"
        "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.create(); print('SESSION', s.session_key)"
    )
    out = page.server.manage("shell", "-c", code).stdout
    key = next(line.split()[1] for line in out.splitlines() if line.startswith("SESSION "))
    page.page.context.add_cookies([{"name": "sessionid", "value": key, "url": page.server.url}])


def watch(page) -> list[str]:
    """Console errors with their URL (the page fixture keeps only the text, which never names a favicon)."""
    errors: list[str] = []

    def record(message) -> None:
        url = (message.location or {}).get("url", "")
        if message.type == "error" and not url.endswith("/favicon.ico"):
            errors.append(f"{message.text} ({url})")

    page.page.on("console", record)
    page.page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def click_feature(page, layer: str) -> None:
    """Like the fixture's click_feature, but only on pixels where the canvas itself is on top (not the toolbar)."""
    spot = page.evaluate(
        """(layer) => {
            const v = window.jumeau.viewer.cesium, ts = window.jumeau.layers[layer].tileset;
            const c = v.scene.canvas, r = c.getBoundingClientRect();
            for (let step = 40; step >= 10; step -= 10)
              for (let y = step; y < c.clientHeight; y += step)
                for (let x = step; x < c.clientWidth; x += step) {
                  if (document.elementFromPoint(r.left + x, r.top + y) !== c) continue;
                  const p = v.scene.pick(new Cesium.Cartesian2(x, y));
                  if (p instanceof Cesium.Cesium3DTileFeature && p.tileset === ts) return {x: r.left + x, y: r.top + y};
                }
            return null;
        }""",
        layer,
    )
    assert spot is not None, f"no feature of {layer} on screen"
    page.mouse.click(spot["x"], spot["y"])


def _look_down_at(page, lon: float, lat: float, height: float) -> None:
    page.evaluate(
        """([lon, lat, h]) => {
            const v = window.jumeau.viewer.cesium;
            v.camera.setView({destination: Cesium.Cartesian3.fromDegrees(lon, lat, h),
                              orientation: {heading: 0, pitch: Cesium.Math.toRadians(-89), roll: 0}});
            v.scene.requestRender();
        }""",
        [lon, lat, height],
    )


def settle(page, layer: str) -> None:
    """After a camera move: render a few frames so the tileset notices, then wait until it has loaded the view."""
    page.evaluate("""() => new Promise((resolve) => {
        const scene = window.jumeau.viewer.cesium.scene; let frames = 0;
        const next = () => { if (++frames >= 5) { scene.postRender.removeEventListener(next); resolve(); }
                             else scene.requestRender(); };
        scene.postRender.addEventListener(next); scene.requestRender(); })""")
    page.wait_for_layer(layer)


def _panel(page) -> dict[str, str]:
    """The panel's rows as read: attribute name → the words shown."""
    panel = page.locator("#panel")
    panel.wait_for(state="visible")
    keys = panel.locator("dd").evaluate_all("els => els.map(e => [e.dataset.key, e.textContent])")
    return dict(keys)


def _codes(page) -> dict[str, str]:
    """The panel's rows as the tiles hold them: attribute name → the value (a code, not its words)."""
    return dict(page.locator("#panel dd").evaluate_all("els => els.map(e => [e.dataset.key, e.dataset.value])"))


def test_a_citizen_sees_buildings_on_our_terrain_and_picks_one(page):
    errors = watch(page)
    page.open("/")
    page.wait_for_layer("buildings")
    # Our own quantized-mesh terrain (constructor names are minified in Cesium.js: ask instanceof).
    assert page.evaluate("window.jumeau.viewer.cesium.scene.terrainProvider instanceof Cesium.CesiumTerrainProvider")
    assert page.evaluate("window.jumeau.viewer.cesium.scene.terrainProvider.hasVertexNormals") is True
    click_feature(page, "buildings")
    attrs = _panel(page)
    assert attrs["source_id"].startswith("BATIMENT")
    assert 2.0 < float(attrs["height"]) < 80.0 and "roof_z" in attrs and "use" in attrs
    # The rows read in words with their units; the attribute names stay on the rows for links and tests.
    terms = page.locator("#panel dt").all_inner_texts()
    assert {"Identifiant", "Hauteur (m)", "Altitude du toit (m)", "Usage"} <= set(terms), terms
    assert not any("_" in term for term in terms), terms
    assert not errors, errors


def test_a_citizen_is_refused_network_tiles(page):
    page.open("/")
    status = page.evaluate("fetch('/tiles/networks/tileset.json').then(r => r.status)")
    assert status == 403
    assert page.evaluate("'networks' in window.jumeau.layers") is False


def test_a_field_agent_sees_the_pipes_under_a_translucent_ground_and_picks_one(page):
    errors = watch(page)
    sign_in(page, "bob")
    page.open("/")
    page.wait_for_function("window.jumeau.layers.networks && window.jumeau.layers.networks.tileset")
    assert page.evaluate("window.jumeau.viewer.cesium.scene.globe.translucency.enabled") is True
    segment = page.evaluate("fetch('/api/network-segments/?page_size=1').then(r => r.json())")
    x, y = segment["results"]["features"][0]["geometry"]["coordinates"][0]
    lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(x, y)
    _look_down_at(page, lon, lat, 260.0)
    settle(page, "networks")
    click_feature(page, "networks")
    attrs, codes = _panel(page), _codes(page)
    assert codes["network_type"] in {"water", "sewer", "gas", "stormwater"}
    assert codes["precision_xy"] in {"A", "B", "C"} and "cover_depth_min" in attrs and "diameter_mm" in attrs
    # The codes read in words, in French: the network's name, the class with the largest error it allows.
    names = {"water": "Eau potable", "sewer": "Eaux usées", "gas": "Gaz", "stormwater": "Eaux pluviales"}
    assert attrs["network_type"] == names[codes["network_type"]], attrs
    assert attrs["precision_xy"].startswith(codes["precision_xy"] + " : à ") and " près" in attrs["precision_xy"]
    title = page.locator("#panel-title").inner_text()
    assert names[codes["network_type"]] in title and codes["network_type"] not in title, title
    assert title.split()[0] in {"Tronçon", "Ouvrage"} or codes.get("node_type"), title  # not the source's layer name
    for key in ("material", "status", "axis_method", "depth_source", "node_type"):
        if codes.get(key) and codes[key] != "PVC":
            assert attrs[key] != codes[key] and attrs[key] != "—", (key, attrs[key])
    terms = page.locator("#panel dt").all_inner_texts()
    assert {"Réseau", "Classe de précision en plan", "Diamètre (mm)", "Exploitant"} <= set(terms), terms
    assert not any("_" in term for term in terms), terms
    page.click("[data-testid=networks-precision]")
    assert page.evaluate("!!window.jumeau.layers.networks.tileset.style") is True
    assert not errors, errors


def test_a_planner_sees_a_project_variant_picks_it_and_compares_two(page):
    errors = watch(page)
    sign_in(page, "alice")
    page.open("/")
    layers = page.evaluate("window.jumeau.session.layers.filter(l => l.project).map(l => l.name)")
    assert len(layers) >= 2
    first = layers[0]
    page.wait_for_function("(n) => window.jumeau.layers[n] && window.jumeau.layers[n].tileset", arg=first)
    page.evaluate(
        """(n) => { const v = window.jumeau.viewer.cesium, s = window.jumeau.layers[n].tileset.boundingSphere;
            v.camera.viewBoundingSphere(s, new Cesium.HeadingPitchRange(0.3, -0.5, Math.max(80, s.radius * 3)));
            v.camera.lookAtTransform(Cesium.Matrix4.IDENTITY); v.scene.requestRender(); }""",
        first,
    )
    settle(page, first)
    click_feature(page, first)
    attrs = _panel(page)
    codes = _codes(page)
    assert attrs["project"] and attrs["variant"] and codes["status"] in {"draft", "consultation", "approved", "built"}
    words = {"draft": "Brouillon", "consultation": "En concertation", "approved": "Approuvé", "built": "Construit"}
    assert attrs["status"] == words[codes["status"]], attrs
    page.click("[data-testid=projects-compare]")
    split = page.evaluate(
        "(ns) => ns.map(n => [window.jumeau.layers[n].tileset.show, window.jumeau.layers[n].tileset.splitDirection])",
        layers[:2],
    )
    assert [s[0] for s in split] == [True, True]
    assert {s[1] for s in split} == {
        page.evaluate("Cesium.SplitDirection.LEFT"),
        page.evaluate("Cesium.SplitDirection.RIGHT"),
    }
    assert not errors, errors
