"""The impact heat map: a planner switches it on for a draft variant and reads a window's numbers; a citizen never
sees a draft's impact."""
from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.browser

PLUGIN = "window.jumeau.tools.ImpactPlugin"
# The same rules as the legend's classes (ImpactPlugin.windowClass): BR 209's tests first, then the sky lost.
NOTICEABLE_LOSS, SMALL_LOSS = 0.2, 0.05


def stored_class(w: dict) -> str:
    if w["vsc_fails"]:
        return "vsc"
    if w["apsh_fails"]:
        return "sun"
    loss = 1 - w["vsc_after"] / w["vsc_before"] if w["vsc_before"] > 0 else 0.0
    return "noticeable" if loss >= NOTICEABLE_LOSS else "some" if loss >= SMALL_LOSS else "none"


def shell(server, code: str) -> str:
    """The last line `code` printed (a command may say other things first)."""
    out = server.manage("shell", "-c", code).stdout.strip().splitlines()
    return out[-1] if out else ""


@pytest.fixture(scope="module")
def draft_with_one_report(demo_server):
    """The demo project back to a draft; its first variant's report computed and stored, the other's not (yet)."""
    ids = json.loads(shell(demo_server, (
        "import json; from twin.models import ProjectVariant; "
        "print(json.dumps(list(ProjectVariant.objects.order_by('pk').values_list('pk', flat=True))))")))
    assert len(ids) >= 2, "the demo city has two variants"
    first, other = ids[0], ids[1]
    demo_server.manage("impact_report", str(first), timeout=1800)
    stored = json.loads(shell(demo_server, (
        "import json; from viewshed.models import ImpactReport; "
        f"ImpactReport.objects.filter(pk={other}).delete(); r = ImpactReport.objects.get(pk={first}); "
        "print(json.dumps({'windows': r.windows, 'summary': r.summary}))")))
    statuses = json.loads(shell(demo_server, (
        "import json; from twin.models import PlanningProject; "
        "s = dict(PlanningProject.objects.values_list('slug', 'status')); "
        "PlanningProject.objects.update(status='draft'); print(json.dumps(s))")).strip())
    try:
        yield {"variant": first, "other": other, **stored}
    finally:
        code = "; ".join(f"PlanningProject.objects.filter(slug={slug!r}).update(status={status!r})"
                         for slug, status in statuses.items())
        shell(demo_server, f"from twin.models import PlanningProject; {code}")


def show_variant(page, variant: int) -> None:
    """Tick the variant's box in the toolbar, as a person would (one variant at a time)."""
    box = page.locator(f"input[data-layer=project-{variant}]")
    box.wait_for()
    if not box.is_checked():
        box.click()
    page.wait_for_function(
        f"window.jumeau.tools.ProjectsPlugin.shown() === window.jumeau.layers['project-{variant}']")


def a_window_on_screen(page) -> dict | None:
    """A pixel where a click lands on a drawn window (those losing most tried first), and that window's index."""
    return page.evaluate(
        """() => {
            const plugin = window.jumeau.tools.ImpactPlugin, scene = window.jumeau.viewer.cesium.scene;
            const c = scene.canvas, box = c.getBoundingClientRect();
            const loss = (p) => (p.vsc_fails ? 2 : 0) + (p.vsc_before > 0 ? 1 - p.vsc_after / p.vsc_before : 0);
            const order = plugin.windows.map((f, i) => i);
            order.sort((a, b) => loss(plugin.windows[b].properties) - loss(plugin.windows[a].properties));
            let tries = 0;
            for (const i of order) {
              const xy = Cesium.SceneTransforms.worldToWindowCoordinates(scene, plugin.points.get(i).position);
              if (!xy || xy.x < 4 || xy.y < 4 || xy.x > c.clientWidth - 4 || xy.y > c.clientHeight - 4) continue;
              if (document.elementFromPoint(box.left + xy.x, box.top + xy.y) !== c) continue;
              if (++tries > 300) break;
              const picked = scene.pick(xy);
              if (picked && picked.collection === plugin.points)
                return {x: box.left + xy.x, y: box.top + xy.y, index: picked.id.impactWindow};
            }
            return null;
        }""")


def shown_value(page, key: str) -> str | None:
    return page.locator(f"#panel dd[data-key=\"{key}\"] span").get_attribute("data-value")


def test_a_planner_sees_a_draft_variants_impact_window_by_window(page, draft_with_one_report):
    stored = draft_with_one_report
    windows = stored["windows"]
    page.login("alice").open("/")
    page.wait_for_layer("buildings")
    page.locator("#loading").wait_for(state="hidden")
    show_variant(page, stored["variant"])
    button = page.locator("button[data-tool=impact]")
    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    page.wait_for_function(f"{PLUGIN}.state === 'shown' && {PLUGIN}.framed", timeout=240_000)

    legend = page.locator("[data-testid=impact-legend]")
    assert legend.is_visible()
    assert "Impact sur la lumière du jour" in legend.inner_text()
    count = legend.locator("[data-testid=impact-count]")
    assert int(count.get_attribute("data-value")) == len(windows) == stored["summary"]["windows"] > 0
    assert re.sub(r"\s", "", count.inner_text()) == f"{len(windows)}fenêtresévaluées"
    for cls in ("vsc", "sun", "noticeable", "some", "none"):
        shown = int(legend.locator(f"li[data-class={cls}]").get_attribute("data-count"))
        assert shown == sum(stored_class(w) == cls for w in windows), cls
    assert int(legend.locator("li[data-class=vsc]").get_attribute("data-count")) == stored["summary"]["vsc_fails"]
    assert page.evaluate(f"{PLUGIN}.points.length") == len(windows)

    page.wait_for_layer("buildings")
    spot = a_window_on_screen(page)
    assert spot is not None, "no drawn window on screen after the camera came to them"
    page.mouse.click(spot["x"], spot["y"])
    page.locator("#panel").wait_for(state="visible")
    w = windows[spot["index"]]
    assert w["index"] == spot["index"]
    assert page.locator("#panel-title").inner_text().startswith("Fenêtre")
    building = page.locator("#panel dd[data-key=\"Bâtiment\"]").inner_text()
    assert building == str(w["building_source_id"] or w["building_id"])
    assert float(shown_value(page, "Ciel visible avant")) == w["vsc_before"]
    assert float(shown_value(page, "Ciel visible après")) == w["vsc_after"]
    before_text = page.locator("#panel dd[data-key=\"Ciel visible avant\"]").inner_text()
    assert before_text.endswith("%") and f"{w['vsc_before']:.1f}".replace(".", ",") in before_text
    assert int(shown_value(page, "Étage")) == w["floor"]
    assert int(shown_value(page, "Bâtiment")) == w["building_id"]
    assert shown_value(page, "Critère ciel visible (BR 209 2.2.7)") == ("fail" if w["vsc_fails"] else "pass")
    sun_test = shown_value(page, "Critère soleil (BR 209 3.2.11)")
    if w["apsh_before"] is None:
        assert sun_test == "n/a"
        assert "nord" in page.locator("#panel dd[data-key=\"Critère soleil (BR 209 3.2.11)\"]").inner_text()
        assert page.locator("#panel dd[data-key=\"Soleil annuel avant\"]").count() == 0
    else:
        assert sun_test == ("fail" if w["apsh_fails"] else "pass")
        assert float(shown_value(page, "Soleil annuel avant")) == w["apsh_before"]
        assert float(shown_value(page, "Soleil annuel après")) == w["apsh_after"]
        assert "heures probables" in page.locator("#panel dd[data-key=\"Soleil annuel après\"]").inner_text()
    (ROOT / "test-results").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-results" / "impact-heatmap.png"))

    # The other variant's report is not there yet: the legend says so in words, and nothing stale stays drawn.
    show_variant(page, stored["other"])
    page.wait_for_function(f"{PLUGIN}.state === 'pending'")
    assert "en cours de calcul" in legend.locator("[data-testid=impact-message]").inner_text()
    assert page.evaluate(f"{PLUGIN}.points === null")

    button.click()
    assert button.get_attribute("aria-pressed") == "false"
    assert not legend.is_visible()
    # The only console error is the browser's own line for that 404, which the legend put in words.
    assert [e for e in page.errors if "404" not in e] == []


def test_a_citizen_gets_no_impact_of_a_draft(page, draft_with_one_report):
    variant = draft_with_one_report["variant"]
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/reports/impact/" in r.url else None)
    page.open("/")
    page.wait_for_layer("buildings")
    assert page.locator("button[data-tool=impact]").count() == 0
    assert not page.locator("[data-testid=impact-legend]").is_visible()
    assert f"project-{variant}" not in page.evaluate("window.jumeau.viewer.session.layers.map((l) => l.name)")
    assert asked == []
    # Asked by hand, the draft's report answers exactly as a variant that never existed.
    answers = page.evaluate(
        """async (urls) => Promise.all(urls.map(async (u) => {
            const r = await fetch(u); return [r.status, await r.text()]; }))""",
        [f"/reports/impact/{variant}/windows.geojson", "/reports/impact/987654321/windows.geojson"])
    assert answers[0][0] == 404 == answers[1][0]
    assert answers[0][1] == answers[1][1]
