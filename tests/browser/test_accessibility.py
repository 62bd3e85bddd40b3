"""Everyone can use the shell: axe-core finds no serious or critical violation on a phone and a desktop, for a
citizen and a planner; every control is reached with Tab and has a name; every target fits a finger.

axe-core comes from frontend/node_modules (a devDependency): the test injects it, users never download it."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}
# The controls of the shell and of every plugin placed in it.
CONTROLS = "#topbar :is(button, a, select, input), #map-controls button, #toolbar :is(button, a, select, input)"
NAME = """e => { const own = e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].textContent)
    || e.textContent || e.getAttribute('title') || ''; return own.trim(); }"""


# One page per viewport and persona, shared by the module's checks (a page load is most of a check's time in
# software WebGL); the first check opens a picked feature's panel, so the others also check what it adds.
@pytest.fixture(
    scope="module",
    params=[(v, who) for v in VIEWPORTS for who in ("citizen", "planner")],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def shell_page(request, browser, demo_server):
    from tests.browser.conftest import Page

    viewport, who = request.param
    phone = viewport == "phone"
    context = browser.new_context(
        viewport=VIEWPORTS[viewport],
        is_mobile=phone,
        has_touch=phone,
        locale="fr-FR",
        device_scale_factor=2 if phone else 1,
    )
    page = Page(context.new_page(), demo_server)
    if who == "planner":
        page.login("alice")
    page.open("/")
    toggle = page.locator("[data-testid=toolbar-toggle]")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    yield page
    context.close()


def serious_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def visible_controls(page) -> list[dict]:
    return page.evaluate(
        f"""() => [...document.querySelectorAll('{CONTROLS}')]
            .filter(e => e.type !== 'hidden' && e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
            .map(e => {{ const target = e.type === 'checkbox' && e.closest('label') ? e.closest('label') : e;
                         const r = target.getBoundingClientRect();
                         return {{id: e.id || e.dataset.testid || e.dataset.layer || e.textContent.trim().slice(0, 30),
                                  name: ({NAME})(e), w: r.width, h: r.height}}; }})"""
    )


def test_axe_finds_no_serious_or_critical_violation(shell_page):
    assert serious_violations(shell_page) == []
    # Also with a picked feature's information open in the sheet.
    shell_page.wait_for_layer("buildings")
    shell_page.click_feature("buildings")
    shell_page.locator("#panel").wait_for(state="visible")
    assert serious_violations(shell_page) == []


def test_every_control_has_a_name_and_a_44_px_target(shell_page):
    controls = visible_controls(shell_page)
    assert len(controls) >= 8, controls
    assert [c for c in controls if not c["name"]] == []
    assert [c for c in controls if c["w"] < 44 or c["h"] < 44] == []


def test_tab_reaches_every_control(shell_page):
    expected = {c["id"] for c in visible_controls(shell_page)}
    reached = set()
    shell_page.locator("body").focus()
    for _ in range(len(expected) * 2 + 20):
        shell_page.keyboard.press("Tab")
        focused = shell_page.evaluate(
            "() => { const e = document.activeElement; return e && e !== document.body"
            " ? (e.id || e.dataset.testid || e.dataset.layer || e.textContent.trim().slice(0, 30)) : null; }"
        )
        if focused:
            reached.add(focused)
    assert expected - reached == set()
