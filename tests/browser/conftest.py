"""Browser tests: a real `serve_demo` process on its own database, driven by Debian's Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.conftest import ROOT
from tests.live_server import free_port, own_database

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PERSONAS = {"alice": "planner", "bob": "field_agent"}
PASSWORD = "correct horse battery"


@dataclass
class DemoServer:
    url: str
    env: dict[str, str]
    log_path: str
    process: subprocess.Popen | None = None
    extra: dict = field(default_factory=dict)

    def manage(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()[-5000:]


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory) -> Iterator[DemoServer]:
    """The demo city loaded through the importers, served by `manage.py serve_demo` (HTTP + websockets)."""
    base = tmp_path_factory.mktemp("demo-server")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        JUMEAU_TILES_DIR=str(base / "tiles"),
        DJANGO_SETTINGS_MODULE="jumeau.settings",
        LOG_LEVEL="warning",
        # serve_demo's Celery worker: a broker folder and queue of its own, never a running demo's.
        JUMEAU_CELERY_DIR=str(base / "celery"),
        JUMEAU_CELERY_QUEUE=f"jumeau-browser-{os.getpid()}",
    )
    env, drop = own_database(env, f"jumeau_browser_{os.getpid()}")
    port = free_port()
    server = DemoServer(url=f"http://127.0.0.1:{port}", env=env, log_path=str(base / "server.log"))
    try:
        server.manage("migrate", "--noinput", "-v", "0")
        server.manage("load_demo", timeout=1800)
        # As `make demo` does: serve_demo sends the collected files, with their brotli and gzip copies.
        server.manage("collectstatic", "--noinput", "-v", "0", timeout=900)
        users = "; ".join(
            f"u = User.objects.create_user({name!r}, password={PASSWORD!r}); u.groups.add(Group.objects.get(name={role!r}))"
            for name, role in PERSONAS.items()
        )
        server.manage("shell", "-c", f"from django.contrib.auth.models import User, Group; {users}")
        log = open(server.log_path, "w")
        server.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve_demo", "--port", str(port), "--interval", "2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{server.url}/api/session/", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve_demo did not start:\n{server.log()}")
            time.sleep(0.3)
        yield server
    finally:
        if server.process is not None:
            server.process.terminate()
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
        drop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test shows the end of the demo server's log: the cause is often on the server's side."""
    report = yield
    server = item.funcargs.get("demo_server") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(server, DemoServer):
        alive = "running" if server.process and server.process.poll() is None else "exited"
        report.sections.append((f"demo server log (process {alive})", server.log()))
    return report


@pytest.fixture(autouse=True)
def _demo_server_answers(request) -> None:
    """Before each browser test: the demo server still answers. If it died or hangs, the test fails at once with
    its log, instead of every later test waiting out its timeouts."""
    if "demo_server" not in request.fixturenames:
        return
    server: DemoServer = request.getfixturevalue("demo_server")
    if server.process is not None and server.process.poll() is not None:
        pytest.fail(f"serve_demo exited with {server.process.returncode}:\n{server.log()}")
    try:
        with urllib.request.urlopen(f"{server.url}/api/session/", timeout=60) as r:
            r.read()
    except OSError as exc:
        pytest.fail(f"serve_demo does not answer /api/session/ within 60 s ({exc}):\n{server.log()}")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


class Page:
    """A Playwright page that records console errors and failed requests."""

    def __init__(self, page, server: DemoServer):
        self.page = page
        self.server = server
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", self._request_failed)
        page.set_default_timeout(120_000)

    def _request_failed(self, request) -> None:
        # Cesium cancels the tile requests a camera move or a navigation makes useless, and the
        # browser reports them as ERR_ABORTED: that is the viewer working, not a failure a user sees.
        if "ERR_ABORTED" in (request.failure or ""):
            return
        self.errors.append(f"request failed: {request.url} ({request.failure})")

    def __getattr__(self, name):
        return getattr(self.page, name)

    def open(self, path: str = "/") -> Page:
        self.page.goto(self.server.url + path)
        self.page.wait_for_function("window.jumeau && window.jumeau.ready === true")
        return self

    def login(self, username: str) -> Page:
        self.page.goto(self.server.url + "/accounts/login/?next=/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.server.url + "/")
        return self

    def wait_for_layer(self, name: str) -> None:
        """Until the layer's tileset has loaded every tile it needs for the current view."""
        self.page.wait_for_function(
            "(name) => { const l = window.jumeau.layers[name]; if (!l) return false;"
            " window.jumeau.viewer.requestRender(); return l.loaded && l.tileset.tilesLoaded; }",
            arg=name,
        )

    def click_feature(self, layer: str) -> None:
        """Find a pixel where `layer` has a feature, then click it like a person would."""
        spot = self.page.evaluate(
            """(layer) => {
                const v = window.jumeau.viewer.cesium, ts = window.jumeau.layers[layer].tileset;
                const c = v.scene.canvas;
                for (let step = 40; step >= 10; step -= 10)
                  for (let y = step; y < c.clientHeight; y += step)
                    for (let x = step; x < c.clientWidth; x += step) {
                      const r = c.getBoundingClientRect();
                      if (document.elementFromPoint(r.left + x, r.top + y) !== c) continue;  // under the toolbar or a panel
                      const p = v.scene.pick(new Cesium.Cartesian2(x, y));
                      if (p instanceof Cesium.Cesium3DTileFeature && p.tileset === ts) return {x, y};
                    }
                return null;
            }""",
            layer,
        )
        assert spot is not None, f"no feature of {layer} on screen"
        box = self.page.locator("#cesium canvas").first.bounding_box()
        self.page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])


@pytest.fixture
def new_page(browser, demo_server) -> Iterator:
    """Pages for a test with several people (each a browser context of its own), closed after the test: a page
    left open keeps drawing its live buses and takes the CPU the next tests need."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
        contexts.append(context)
        return Page(context.new_page(), demo_server)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    """One person's desktop page (1280 x 800, French), closed after the test."""
    return new_page()


@pytest.fixture
def phone(browser, demo_server) -> Iterator[Page]:
    """A citizen's phone: small portrait screen, touch."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR"
    )
    wrapped = Page(context.new_page(), demo_server)
    yield wrapped
    context.close()
