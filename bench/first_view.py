"""Benchmark: the demo city's first view on a phone, with static files compressed and, in the same run, without.

    .venv/bin/python bench/first_view.py [--repeat 3]

The demo city (manage.py load_demo, into a database and tiles folder of the bench's own under var/, loaded once)
is served by two `manage.py serve_demo` processes on the same data, as `make demo` runs it:
- compressed: static files from STATIC_ROOT, each with the brotli and gzip copies collectstatic made
  (jumeau/static_files.py), which WhiteNoise picks by Accept-Encoding;
- uncompressed (the peer): JUMEAU_STATIC_FROM_SOURCE=1, the same files from their source folders as they are.
Everything else (API answers, tiles, the page) is the same bytes from both.

Each load is a fresh browser context (nothing cached, as a first visit) of headless Debian Chromium with software
WebGL (SwiftShader), a phone viewport of 390 x 844 at device scale 3, touch, French; the loads alternate between
the two servers. Measured per load, from the start of the navigation:
- seconds to the first building drawn: the first frame after which the buildings tileset issued draw commands
  (Cesium3DTileset statistics, read in a postRender listener the page's own code does not know about);
- bytes on the wire (headers included, as Chromium's network log counts them) and requests, of every request
  the page started before that frame;
- the same two once the page is ready (every plugin started) and the globe's tiles are loaded, for reference.
The median of --repeat loads per server goes to bench/results/first_view.json; goals: under 3 s and 3 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Debian's Chromium with software WebGL, launched as tests/browser/conftest.py does.
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
RESULTS = ROOT / "bench" / "results" / "first_view.json"
WORK = ROOT / "var" / "bench-first-view"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
}
GOALS = {"seconds_to_first_building": 3.0, "bytes": 3_000_000}

# Installed before any script of the page: records performance.now() of the first frame that drew buildings.
WATCH_FIRST_BUILDING = """
(() => {
  window.__firstBuilding = null;
  const hook = () => {
    const layer = window.jumeau && window.jumeau.layers && window.jumeau.layers.buildings;
    if (!layer || !layer.tileset) { requestAnimationFrame(hook); return; }
    const tileset = layer.tileset;
    const scene = window.jumeau.viewer.cesium.scene;
    const seen = () => {
      if (tileset.statistics.numberOfCommands > 0 && window.__firstBuilding === null) {
        window.__firstBuilding = performance.now();
        scene.postRender.removeEventListener(seen);
      }
    };
    scene.postRender.addEventListener(seen);
  };
  requestAnimationFrame(hook);
})();
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="jumeau.settings",
        LOG_LEVEL="warning",
        SPATIALITE_NAME="bench_first_view.sqlite3",
        JUMEAU_TILES_DIR=str(WORK / "tiles"),
        JUMEAU_CELERY_DIR=str(WORK / "celery"),
        JUMEAU_CELERY_QUEUE=f"jumeau-bench-first-view-{os.getpid()}",
    )
    env.pop("JUMEAU_STATIC_FROM_SOURCE", None)
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def prepare() -> None:
    """The demo city in the bench's own database and tiles (loaded once), and the static files collected."""
    WORK.mkdir(parents=True, exist_ok=True)
    env = _env()
    print("migrate, load_demo (once), collectstatic …", flush=True)
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "load_demo")
    _manage(env, "collectstatic", "--noinput", "-v", "0")


class Server:
    def __init__(self, label: str, compressed: bool) -> None:
        self.label = label
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = _env()
        if not compressed:
            env["JUMEAU_STATIC_FROM_SOURCE"] = "1"
        self.log = open(WORK / f"server-{label}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve_demo", "--port", str(self.port), "--no-worker"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/api/session/", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"serve_demo ({label}) did not start: see {self.log.name}")
            time.sleep(0.3)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _kind(url: str) -> str:
    """What a request fetched, for the bytes' breakdown: Cesium, the app's modules, a layer's tiles, the API."""
    path = url.split("://", 1)[-1].split("/", 1)[-1]
    if "/static/vendor/cesium" in url or "/static/cesium/" in url:
        return "cesium-workers" if "/Workers/" in url else "cesium-assets" if "/Assets/" in url else "cesium"
    if path.startswith("static/"):
        return "app"
    if path.startswith("tiles/"):
        return "tiles-" + path.split("/")[1]
    if path.startswith("api/"):
        return "api"
    return "page" if path in ("", "/") else "other"


def load_once(browser, url: str) -> dict:
    context = browser.new_context(**PHONE)
    context.add_init_script(script=WATCH_FIRST_BUILDING)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    started: dict[str, float] = {}  # requestId -> CDP timestamp (s, monotonic)
    finished: dict[str, tuple[float, int]] = {}  # requestId -> (timestamp, bytes on the wire)
    navigation = {}

    urls: dict[str, str] = {}

    def will_send(event: dict) -> None:
        if event["requestId"] not in started:
            started[event["requestId"]] = event["timestamp"]
            urls[event["requestId"]] = event["request"]["url"]
        if event.get("type") == "Document" and "t0" not in navigation:
            navigation["t0"] = event["timestamp"]

    def loading_finished(event: dict) -> None:
        finished[event["requestId"]] = (event["timestamp"], int(event["encodedDataLength"]))

    def loading_failed(event: dict) -> None:
        finished.setdefault(event["requestId"], (event["timestamp"], 0))

    cdp.on("Network.requestWillBeSent", will_send)
    cdp.on("Network.loadingFinished", loading_finished)
    cdp.on("Network.loadingFailed", loading_failed)
    try:
        page.goto(url + "/", wait_until="commit")
        page.wait_for_function("window.__firstBuilding !== null", timeout=180_000, polling=100)
        first_ms = page.evaluate("window.__firstBuilding")
        page.wait_for_function(
            "window.jumeau && window.jumeau.ready === true && window.jumeau.viewer.cesium.scene.globe.tilesLoaded",
            timeout=180_000,
            polling=200,
        )
        # Requests the page started until then end, so their bytes are counted.
        deadline = time.monotonic() + 30
        while any(r not in finished for r in started) and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        ready = {"requests": len(started), "bytes": sum(b for _, b in finished.values())}
    finally:
        context.close()
    moment = navigation["t0"] + first_ms / 1000.0
    before = [r for r, t in started.items() if t <= moment]
    by_kind: dict[str, int] = {}
    for r in before:
        kind = _kind(urls[r])
        by_kind[kind] = by_kind.get(kind, 0) + finished.get(r, (0, 0))[1]
    return {
        "seconds_to_first_building": round(first_ms / 1000.0, 2),
        "bytes": sum(finished.get(r, (0, 0))[1] for r in before),
        "requests": len(before),
        "bytes_by_kind": dict(sorted(by_kind.items(), key=lambda kv: -kv[1])),
        "bytes_when_ready": ready["bytes"],
        "requests_when_ready": ready["requests"],
    }


def median_of(loads: list[dict]) -> dict:
    keys = [k for k in loads[0] if k != "bytes_by_kind"]
    return {
        k: (
            round(statistics.median(x[k] for x in loads), 2)
            if k.startswith("seconds")
            else int(statistics.median(x[k] for x in loads))
        )
        for k in keys
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="loads per server; the median is reported")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    prepare()
    servers = [Server("compressed", True), Server("uncompressed", False)]
    loads: dict[str, list[dict]] = {s.label: [] for s in servers}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            # One unmeasured load per server: the servers' own first-request work (imports, walk graph) is not
            # what a phone waits for on a running server.
            for server in servers:
                load_once(browser, server.url)
            for i in range(args.repeat):
                for server in servers:
                    result = load_once(browser, server.url)
                    loads[server.label].append(result)
                    print(f"{server.label:>12} #{i + 1}: {result}", flush=True)
            version = browser.version
            browser.close()
    finally:
        for server in servers:
            server.stop()

    ours, peer = median_of(loads["compressed"]), median_of(loads["uncompressed"])
    print(f"\nFirst view on a phone (390 x 844, software WebGL), median of {args.repeat}:")
    print(f"{'':>34} {'compressed':>12} {'uncompressed':>13} {'goal':>10}")
    rows = [
        ("seconds to the first building", "seconds_to_first_building", "{:.2f}"),
        ("MB before the first building", "bytes", "{:.2f}"),
        ("requests before the first building", "requests", "{:d}"),
        ("MB when ready", "bytes_when_ready", "{:.2f}"),
        ("requests when ready", "requests_when_ready", "{:d}"),
    ]
    for title, key, fmt in rows:
        scale = 1e6 if key.startswith("bytes") else 1
        a, b = ours[key] / scale, peer[key] / scale
        if fmt == "{:d}":
            a, b = int(a), int(b)
        goal = GOALS.get(key)
        goal_text = "" if goal is None else f"< {goal / scale:g}"
        print(f"{title:>34} {fmt.format(a):>12} {fmt.format(b):>13} {goal_text:>10}")
    met = {k: ours[k] < v for k, v in GOALS.items()}
    print("goals met:" if all(met.values()) else "goals NOT all met:", met)
    RESULTS.write_text(
        json.dumps(
            {
                **{k: ours[k] for k in ("seconds_to_first_building", "bytes", "requests")},
                "bytes_when_ready": ours["bytes_when_ready"],
                "requests_when_ready": ours["requests_when_ready"],
                "uncompressed": peer,
                "goals": GOALS,
                "goals_met": met,
                "loads": loads,
                "repeat": args.repeat,
                "viewport": PHONE["viewport"],
                "device_scale_factor": PHONE["device_scale_factor"],
                "browser": f"Chromium {version} headless, SwiftShader WebGL",
                "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            },
            indent=1,
        )
        + "\n"
    )
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
