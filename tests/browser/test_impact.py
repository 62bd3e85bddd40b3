"""The impact heat map: a planner switches it on for a draft variant and reads a window's numbers; a citizen never
sees a draft's impact."""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.every_backend]

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
def reports(demo_server):
    """The demo's first variant's report computed and stored, the other's not (yet)."""
    ids = json.loads(
        shell(
            demo_server,
            (
                "import json; from twin.models import ProjectVariant; "
                "print(json.dumps(list(ProjectVariant.objects.order_by('pk').values_list('pk', flat=True))))"
            ),
        )
    )
    assert len(ids) >= 2, "the demo city has two variants"
    first, other = ids[0], ids[1]
    demo_server.manage("impact_report", str(first), timeout=1800)
    stored = json.loads(
        shell(
            demo_server,
            (
                "import json; from viewshed.models import ImpactReport; "
                f"ImpactReport.objects.filter(pk={other}).delete(); r = ImpactReport.objects.get(pk={first}); "
                "print(json.dumps({'windows': r.windows, 'summary': r.summary}))"
            ),
        )
    )
    return {"variant": first, "other": other, **stored}


@pytest.fixture
def draft(demo_server, reports):
    """The demo project back to a draft for one test."""
    statuses = json.loads(
        shell(
            demo_server,
            (
                "import json; from twin.models import PlanningProject; "
                "s = dict(PlanningProject.objects.values_list('slug', 'status')); "
                "PlanningProject.objects.update(status='draft'); print(json.dumps(s))"
            ),
        )
    )
    try:
        yield reports
    finally:
        code = "; ".join(
            f"PlanningProject.objects.filter(slug={slug!r}).update(status={status!r})"
            for slug, status in statuses.items()
        )
        shell(demo_server, f"from twin.models import PlanningProject; {code}")


def show_variant(page, variant: int) -> None:
    """Tick the variant's box in the toolbar, as a person would (one variant at a time)."""
    box = page.locator(f"input[data-layer=project-{variant}]")
    box.wait_for()
    if not box.is_checked():
        box.click()
    page.wait_for_function(f"window.jumeau.tools.ProjectsPlugin.shown() === window.jumeau.layers['project-{variant}']")


def a_window_on_screen(page, south_only: bool = False) -> dict | None:
    """A pixel where a click lands on a drawn window (those losing most tried first), and that window's index;
    south_only: among the windows BR 209 tests for sunlight (within 90 degrees of due south)."""
    return page.evaluate(
        """(southOnly) => {
            const plugin = window.jumeau.tools.ImpactPlugin, scene = window.jumeau.viewer.cesium.scene;
            const c = scene.canvas, box = c.getBoundingClientRect();
            const loss = (p) => (p.vsc_fails ? 2 : 0) + (p.vsc_before > 0 ? 1 - p.vsc_after / p.vsc_before : 0);
            const order = plugin.windows.map((f, i) => i)
              .filter((i) => !southOnly || plugin.windows[i].properties.apsh_before !== null);
            order.sort((a, b) => loss(plugin.windows[b].properties) - loss(plugin.windows[a].properties));
            let tries = 0;
            for (const i of order) {
              const xy = Cesium.SceneTransforms.worldToWindowCoordinates(scene, plugin.points.get(i).position);
              if (!xy || xy.x < 4 || xy.y < 4 || xy.x > c.clientWidth - 4 || xy.y > c.clientHeight - 4) continue;
              if (document.elementFromPoint(box.left + xy.x, box.top + xy.y) !== c) continue;
              if (++tries > 300) break;
              const picked = scene.pick(xy);
              if (picked && picked.collection === plugin.points && picked.id.impactWindow === i)
                return {x: box.left + xy.x, y: box.top + xy.y, index: i};
            }
            return null;
        }""",
        south_only,
    )


def one_decimal(value: float) -> str:
    # The app writes numbers with the browser's rounding (half away from zero on the shortest decimal form).
    return str(Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)).replace(".", ",")


def shown_value(page, key: str) -> str | None:
    return page.locator(f'#panel dd[data-key="{key}"] span').get_attribute("data-value")


def check_window_panel(page, w: dict, summary: dict) -> bool:
    """The open panel tells window `w`'s stored numbers in words; True if it had sun numbers to tell."""
    page.locator("#panel").wait_for(state="visible")
    assert page.locator("#panel-title").inner_text().startswith("Fenêtre")
    building = page.locator('#panel dd[data-key="Bâtiment"]').inner_text()
    assert building == str(w["building_source_id"] or w["building_id"])
    assert int(shown_value(page, "Bâtiment")) == w["building_id"]
    assert int(shown_value(page, "Étage")) == w["floor"]
    floor_text = page.locator('#panel dd[data-key="Étage"]').inner_text()
    ordinal = "er" if w["floor"] == 1 else "e"
    assert floor_text == ("rez-de-chaussée" if w["floor"] == 0 else f"{w['floor']}{ordinal} étage")
    assert float(shown_value(page, "Ciel visible avant")) == w["vsc_before"]
    assert float(shown_value(page, "Ciel visible après")) == w["vsc_after"]
    for key, number in (("Ciel visible avant", w["vsc_before"]), ("Ciel visible après", w["vsc_after"])):
        assert page.locator(f'#panel dd[data-key="{key}"]').inner_text() == f"{one_decimal(number)}\u00a0%"
    assert shown_value(page, "Critère ciel visible (BR 209 2.2.7)") == ("fail" if w["vsc_fails"] else "pass")
    sun_test = shown_value(page, "Critère soleil (BR 209 3.2.11)")
    if w["apsh_before"] is None:
        assert sun_test == "n/a"
        assert "nord" in page.locator('#panel dd[data-key="Critère soleil (BR 209 3.2.11)"]').inner_text()
        assert page.locator('#panel dd[data-key="Soleil annuel avant"]').count() == 0
        return False
    assert sun_test == ("fail" if w["apsh_fails"] else "pass")
    year_hours = summary["apsh"]["sun_positions"] * summary["apsh"]["step_minutes"] / 60
    for key, share in (
        ("Soleil annuel avant", w["apsh_before"]),
        ("Soleil annuel après", w["apsh_after"]),
        ("Soleil d'hiver avant", w["winter_before"]),
        ("Soleil d'hiver après", w["winter_after"]),
    ):
        assert float(shown_value(page, key)) == share
        text = re.sub(r"\s", "", page.locator(f'#panel dd[data-key="{key}"]').inner_text())
        hours = Decimal(str(share / 100 * year_hours)).quantize(Decimal(1), ROUND_HALF_UP)
        assert text.endswith(f"desheuresprobables({hours}h)"), text
    return True


def test_a_planner_sees_a_draft_variants_impact_window_by_window(page, draft):
    stored = draft
    windows = stored["windows"]
    page.login("alice").open("/")
    page.wait_for_layer("buildings")
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
    # The window that loses most, then one facing south: its sun numbers too.
    seen_sun = False
    for south_only in (False, True):
        spot = a_window_on_screen(page, south_only)
        assert spot is not None, "no drawn window on screen after the camera came to them"
        page.mouse.click(spot["x"], spot["y"])
        page.wait_for_function("(i) => window.jumeau.tools.ImpactPlugin.shownWindow === i", arg=spot["index"])
        seen_sun = check_window_panel(page, windows[spot["index"]], stored["summary"]) or seen_sun
    assert seen_sun
    # In render-on-demand mode the "loading" line can outlive the last frame that would hide it (reported):
    # frames asked here, as a moving pointer would ask them, let it go before the picture is taken.
    page.wait_for_function("window.jumeau.viewer.requestRender() || document.getElementById('loading').hidden")
    (ROOT / "test-results").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-results" / "impact-heatmap.png"))

    # The other variant's report is not there yet: the legend says so in words, and nothing stale stays drawn.
    show_variant(page, stored["other"])
    page.wait_for_function(f"{PLUGIN}.state === 'pending'")
    assert page.locator("#panel").is_hidden()  # no window's numbers left over from the other variant
    assert "en cours de calcul" in legend.locator("[data-testid=impact-message]").inner_text()
    assert page.evaluate(f"{PLUGIN}.points === null")

    button.click()
    assert button.get_attribute("aria-pressed") == "false"
    assert not legend.is_visible()
    # The only console error is the browser's own line for that 404, which the legend put in words.
    assert [e for e in page.errors if "404" not in e] == []


def test_a_citizen_gets_no_impact_of_a_draft(page, draft):
    variant = draft["variant"]
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
        [f"/reports/impact/{variant}/windows.geojson", "/reports/impact/987654321/windows.geojson"],
    )
    assert answers[0][0] == 404 == answers[1][0]
    assert answers[0][1] == answers[1][1]


def test_a_citizen_sees_the_impact_of_a_published_variant(page, reports):
    page.open("/")
    page.wait_for_layer("buildings")
    show_variant(page, reports["variant"])
    page.locator("button[data-tool=impact]").click()
    page.wait_for_function(f"{PLUGIN}.state === 'shown'", timeout=240_000)
    count = page.locator("[data-testid=impact-legend] [data-testid=impact-count]")
    assert int(count.get_attribute("data-value")) == len(reports["windows"])
    assert page.evaluate(f"{PLUGIN}.points.length") == len(reports["windows"])
