"""The consultation in a real browser: a citizen pins a comment on the project in 3D, nobody sees it until a planner
approves it in the admin, then everyone sees its pin; a citizen's page never asks for nor receives the draft."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import PASSWORD, Page
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.every_backend]
PLUGIN = "window.jumeau.tools.ConsultationPlugin"
COMMENT = "Le socle commercial masque la vue depuis le quai"
DRAFT_WORDS = ("Îlot Fersen", "ilot-fersen", "Esquisse")


def shell(server, code: str) -> str:
    out = server.manage("shell", "-c", code).stdout.strip().splitlines()
    return out[-1] if out else ""


@pytest.fixture(scope="module")
def demo(demo_server) -> dict:
    """The demo's projects as the database holds them: the draft's tile layers, the consultation's slug."""
    return json.loads(
        shell(
            demo_server,
            "import json; from twin.models import ProjectVariant as V; "
            "print(json.dumps({'draft_layers': [v.tile_layer for v in V.objects.filter(project__status='draft')], "
            "'public': sorted({v.project.slug for v in V.objects.filter(project__status='consultation')})}))",
        )
    )


def open_project(page: Page, slug: str) -> str:
    """Open the consultation and the project's page, as a person would; returns the layer it shows."""
    page.click("[data-testid=consultation]")
    opener = page.locator(f"[data-testid=consultation-open][data-project='{slug}']")
    if opener.count():
        opener.click()
    page.wait_for_function("(s) => document.getElementById('panel').dataset.consultation === s", arg=slug)
    page.wait_for_function(f"{PLUGIN}.comments !== undefined")
    layer = page.evaluate("window.jumeau.tools.ProjectsPlugin.shown().layer.name")
    page.wait_for_timeout(2000)  # the camera's flight to the project (1.5 s)
    page.wait_for_layer(layer)
    return layer


def pins(page: Page) -> int:
    return page.evaluate(f"{PLUGIN}.pins.entities.values.filter((e) => e.comment).length")


def test_a_comment_goes_through_moderation_and_a_citizen_never_gets_the_draft(new_page, demo_server, demo):
    assert demo["draft_layers"] and demo["public"] == ["tour-du-port"], demo
    slug = "tour-du-port"
    citizen = new_page()
    asked: list[str] = []
    answers = []
    citizen.page.on("request", lambda r: asked.append(r.url))
    citizen.page.on("response", lambda r: answers.append(r) if "/api/" in r.url else None)
    citizen.open("/")
    layer = open_project(citizen, slug)
    # Variants side by side with their key figures, computed by the server.
    table = citizen.locator("[data-testid=consultation-variants]")
    assert table.locator("thead th").count() == 3
    storeys = table.locator("td[data-figure=storeys]").all_inner_texts()
    assert len(storeys) == 2 and all(s.startswith("≈ ") for s in storeys) and storeys[0] != storeys[1]
    assert all(t.endswith("m²") for t in table.locator("td[data-figure=footprint]").all_inner_texts())

    # Comment here: tap the project in 3D, write, send.
    citizen.click("[data-testid=consultation-comment]")
    assert "Touchez un point du projet" in citizen.locator("[data-testid=consultation-hint]").inner_text()
    citizen.click_feature(layer)
    citizen.locator("[data-testid=consultation-text]").fill(COMMENT)
    citizen.locator("[data-testid=consultation-name]").fill("Chloé")
    citizen.click("[data-testid=consultation-send]")
    citizen.wait_for_function("document.querySelector('[data-testid=consultation-hint]').textContent.includes('Merci')")
    citizen.screenshot(path=str(ROOT / "test-results" / "consultation-comment-sent.png"))
    stored = json.loads(
        shell(
            demo_server,
            "import json; from twin.models import ProjectComment as C; "
            "print(json.dumps([[c.text, c.status, c.author_name, c.variant.tile_layer] for c in C.objects.all()]))",
        )
    )
    assert stored == [[COMMENT, "pending", "Chloé", layer]]
    # The author sees no pin of her own comment until a planner approves it.
    assert pins(citizen) == 0
    # Her page is done: what it was sent is read now and the page closed, so that it stops drawing its live buses
    # while the next pages load (in software WebGL, each page left open made the next one load twice as slowly).
    citizen_bodies = []
    for response in answers:
        try:
            citizen_bodies.append((response.url, response.text()))
        except Exception:  # noqa: BLE001 - a redirect or an aborted request has no body to search
            continue
    citizen_errors = list(citizen.errors)
    citizen.page.close()

    # Another citizen sees no pin either.
    other = new_page()
    other.open("/")
    open_project(other, slug)
    assert pins(other) == 0
    assert COMMENT not in other.locator("[data-testid=consultation-comments]").inner_text()

    # A planner approves it in the admin: create_user makes a planner staff, the comments page lists it.
    demo_server.manage("create_user", "alice", "--role", "planner")
    planner = new_page()
    planner.goto(f"{demo_server.url}/admin/login/?next=/admin/twin/projectcomment/")
    planner.fill("#id_username", "alice")
    planner.fill("#id_password", PASSWORD)
    planner.click("input[type=submit], button[type=submit]")
    planner.wait_for_url("**/admin/twin/projectcomment/")
    row = planner.locator("#result_list tbody tr", has_text=COMMENT[:40])
    row.locator("input[name=_selected_action]").check()
    planner.select_option("select[name=action]", "approve")
    planner.click("button[name=index]")
    planner.wait_for_selector(".messagelist")
    assert "approved" in planner.locator(".messagelist").inner_text()
    planner.screenshot(path=str(ROOT / "test-results" / "consultation-admin-approved.png"))

    # The other citizen's page now draws the pin; tapping it reads the comment.
    other.open("/")
    open_project(other, slug)
    other.wait_for_function(f"{PLUGIN}.pins.entities.values.filter((e) => e.comment).length === 1")
    assert COMMENT in other.locator("[data-testid=consultation-comments]").inner_text()
    other.click("#panel-close")  # the whole scene free to tap
    spot = other.evaluate(
        f"""() => {{
            const v = window.jumeau.viewer.cesium, e = {PLUGIN}.pins.entities.values.find((x) => x.comment);
            v.scene.render();
            const p = e.position.getValue(Cesium.JulianDate.now());
            const w = Cesium.SceneTransforms.worldToWindowCoordinates(v.scene, p);
            if (!w) return null;
            const r = v.scene.canvas.getBoundingClientRect(), picked = v.scene.pick(w);
            const under = document.elementFromPoint(r.left + w.x, r.top + w.y);
            return {{x: w.x, y: w.y, picked: Boolean(picked && picked.id === e),
                     under: under === v.scene.canvas ? "canvas" : under && (under.id || under.tagName)}};
        }}"""
    )
    assert spot is not None and spot["picked"] and spot["under"] == "canvas", spot
    box = other.locator("#cesium canvas").first.bounding_box()
    other.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])
    other.wait_for_function("(t) => document.getElementById('panel-body').textContent.includes(t)", arg=COMMENT)
    other.screenshot(path=str(ROOT / "test-results" / "consultation-pin.png"))
    other_errors = list(other.errors)
    other.page.close()

    # The citizen's page never asked for the draft's tiles, and no answer named it; a planner's session offers them.
    for name in demo["draft_layers"]:
        assert not [u for u in asked if f"/tiles/{name}/" in u], name
    assert any("/tiles/" in u for u in asked)  # the watch saw tile requests at all
    assert citizen_bodies  # the watch saw the API's answers
    for url, body in citizen_bodies:
        assert not [w for w in DRAFT_WORDS if w in body], url
    planner.goto(demo_server.url + "/")
    planner.wait_for_function("window.jumeau && window.jumeau.ready === true")
    offered = planner.evaluate("window.jumeau.session.layers.map((l) => l.name)")
    assert set(demo["draft_layers"]) <= set(offered)
    errors = [e for e in citizen_errors + other_errors if "favicon" not in e and "status of 404" not in e]
    assert not errors, errors
