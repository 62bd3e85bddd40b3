"""Benchmark: does a 100,000-building city load as fast as a 1,000-building one at the same view? Real CesiumJS.

    .venv/bin/python bench/tiles_view.py [--sizes 1000 10000 100000] [--repeat 1] [--options JSON --label NAME]

Each city has the same building density (DENSITY per km², bench/tiles.py's generator over an extent scaled to
it), so the street around the viewpoint is the same and only the rest of the city grows. Each is built by our
buildings builder (leaves + simplified parent tiles, REPLACE) into a temporary folder, without a database,
served by a local static server that counts requests and bytes, and loaded by CesiumJS 1.x in headless Debian
Chromium (SwiftShader WebGL, no network, no ion, ellipsoid globe), with the app's tileset options.

Views, each in a fresh browser context (nothing cached), after one warm-up load of another city from the same kind
of view in the page, and once the globe under the camera is loaded (its tiles and shaders are not the city's):
- street: 40 m above the ground at the city centre (the generator's density is even: any block is the densest),
  looking north 15° down: the near streets and, up to the horizon, as much of the city as the screen-space
  error asks for (a 25 m building 4 km away is still 7 px tall at 720 px).
- block: the same spot looking 45° down: the same few streets in every city.
- city-wide: straight down from high enough to see the whole city (the height scales with the city).

Measured per view: seconds from the tileset's creation (camera already set) to allTilesLoaded, tiles and bytes
served, tiles and features drawn in the settled frame. "must draw" is the floor of any level of detail: the
buildings in view whose omission alone would exceed the screen-space error (must_draw). The tileset options are
the app's own for the buildings layer (TILESET_OPTIONS in frontend/static/jumeau/plugins/TilesetLayerPlugin.js,
skipLevelOfDetail), and the page raises Cesium's request limits for the tile server with the app's own module
(raiseRequestLimits in frontend/static/jumeau/core/Viewer.js); results go to bench/results/tiles_view.json. With
--options '{"maximumScreenSpaceError": 8}' --label default_traversal, other options are compared
(bench/results/tiles_view_<label>.json).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bench.tiles as city_generator  # noqa: E402  (the generator of bench/tiles.py: X0, Y0, WIDTH, HEIGHT)

# The builders are Django apps' modules (their models load with them), though this bench opens no database.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumeau.settings")
import django  # noqa: E402

django.setup()

from tiles.builders import buildings as builder  # noqa: E402 - after sys.path: the bench runs as a script
from tiles.publish import LayerBuild  # noqa: E402
from twin.geoid import HeightFrame  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "tiles_view.json"
CESIUM = ROOT / "frontend" / "node_modules" / "cesium" / "Build" / "Cesium"
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
]
VIEWPORT = {"width": 1280, "height": 720}
VIEWS = ("street", "block", "city-wide")
DENSITY = 2000.0  # buildings per km², a dense European town
ASPECT = 6.0 / 8.0  # width / height of the city, as bench/tiles.py
APP_JS = ROOT / "frontend" / "static" / "jumeau"
I18NEXT = ROOT / "frontend" / "node_modules" / "i18next" / "dist" / "esm"
APP_PLUGIN = APP_JS / "plugins" / "TilesetLayerPlugin.js"
APP_VIEWER = APP_JS / "core" / "Viewer.js"


def app_block(path: Path, marker: str) -> dict:
    """The plain JSON the app keeps between /* marker */ and /* end marker */ in one of its modules."""
    return json.loads(path.read_text().split(f"/* {marker} */", 1)[1].split(f"/* end {marker} */", 1)[0])


def app_tileset_options(layer: str = "buildings") -> dict:
    """The Cesium3DTileset options the app gives a layer: TILESET_OPTIONS of TilesetLayerPlugin.js."""
    options = app_block(APP_PLUGIN, "tileset-options")
    return options.get(layer, options["default"])


def app_request_limits() -> dict:
    """How many tile requests the app lets Cesium keep in flight to its server: REQUEST_LIMITS of Viewer.js."""
    return app_block(APP_VIEWER, "request-limits")


LOAD_TIMEOUT_S = 150
FRAME = HeightFrame(2154, os.environ.get("JUMEAU_GEOID_GRID", "egm96_15.gtx"))

PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<script>window.CESIUM_BASE_URL = "/cesium/";</script>
<script type="importmap">{"imports": {"i18next": "/i18next/i18next.js"}}</script>
<script src="/cesium/Cesium.js"></script>
<link rel="stylesheet" href="/cesium/Widgets/widgets.css">
<style>html, body, #c { margin: 0; width: 100%; height: 100%; overflow: hidden; }</style>
</head><body><div id="c"></div>
<script>
Cesium.Ion.defaultAccessToken = undefined;
// The app's own request limits for the server of its tiles (this page's server here).
const app = import("/app/core/Viewer.js").then((viewerModule) => viewerModule.raiseRequestLimits());
const viewer = new Cesium.Viewer("c", {
  baseLayer: false, baseLayerPicker: false, geocoder: false, homeButton: false, sceneModePicker: false,
  navigationHelpButton: false, animation: false, timeline: false, fullscreenButton: false, infoBox: false,
  selectionIndicator: false, terrainProvider: new Cesium.EllipsoidTerrainProvider(),
});
viewer.scene.globe.baseColor = Cesium.Color.fromCssColorString("#1d4e6e");
viewer.cesiumWidget.creditContainer.style.display = "none";
const frames = (n) => new Promise((resolve) => {
  let k = 0;
  const next = () => { if (++k >= n) { viewer.scene.postRender.removeEventListener(next); resolve(); } };
  viewer.scene.postRender.addEventListener(next);
});
window.measure = async (url, cam, options, timeoutMs) => {
  viewer.camera.setView({
    destination: Cesium.Cartesian3.fromDegrees(cam.lon, cam.lat, cam.h),
    orientation: { heading: Cesium.Math.toRadians(cam.heading), pitch: Cesium.Math.toRadians(cam.pitch), roll: 0 },
  });
  // The globe under the camera first: its tiles and shader variants are the same with any city, or none.
  await frames(2);
  while (!viewer.scene.globe.tilesLoaded) await frames(1);
  await frames(2);
  let framesDrawn = 0;
  const countFrame = () => { framesDrawn += 1; };
  viewer.scene.postRender.addEventListener(countFrame);
  const t0 = performance.now();
  const tileset = await Cesium.Cesium3DTileset.fromUrl(url, options);
  const failed = [];
  tileset.tileFailed.addEventListener((e) => failed.push(`${e.url}: ${e.message}`));
  const loaded = new Promise((resolve) => tileset.allTilesLoaded.addEventListener(() => resolve(true)));
  viewer.scene.primitives.add(tileset);
  const ok = await Promise.race([loaded, new Promise((r) => setTimeout(() => r(false), timeoutMs))]);
  const seconds = (performance.now() - t0) / 1000;
  viewer.scene.postRender.removeEventListener(countFrame);
  // One settled frame: what is drawn.
  const visible = new Set();
  const onVisible = (tile) => visible.add(tile);
  tileset.tileVisible.addEventListener(onVisible);
  await frames(2);
  tileset.tileVisible.removeEventListener(onVisible);
  let features = 0, parents = 0;
  for (const tile of visible) {
    features += tile.content.featuresLength;
    if (tile.children.length) parents += 1;
  }
  viewer.scene.primitives.remove(tileset);
  return { loaded: ok, seconds, tiles_drawn: visible.size, parent_tiles_drawn: parents, features_drawn: features,
           frames: framesDrawn, failed };
};
app.then(() => { window.ready = true; });
</script></body></html>
"""


# --- the cities ---------------------------------------------------------------------------------------------


def city_extent(n: int) -> tuple[float, float, float, float]:
    """(x0, y0, width, height), Lambert-93 metres, of a city of n buildings at DENSITY, centred as bench/tiles.py's."""
    area_m2 = n / DENSITY * 1e6
    width = math.sqrt(area_m2 * ASPECT)
    height = area_m2 / width
    cx = city_generator.X0 + city_generator.WIDTH / 2
    cy = city_generator.Y0 + city_generator.HEIGHT / 2
    return cx - width / 2, cy - height / 2, width, height


def generate(n: int) -> builder.BuildingArrays:
    """n buildings from bench/tiles.py's generator, over an extent giving DENSITY, as builder columns."""
    x0, y0, width, height = city_extent(n)
    saved = (city_generator.X0, city_generator.Y0, city_generator.WIDTH, city_generator.HEIGHT)
    city_generator.X0, city_generator.Y0, city_generator.WIDTH, city_generator.HEIGHT = x0, y0, width, height
    try:
        rows = city_generator.buildings(n)
    finally:
        city_generator.X0, city_generator.Y0, city_generator.WIDTH, city_generator.HEIGHT = saved
    wkb = shapely.to_wkb(shapely.from_wkt([r[1] for r in rows]))
    return builder.from_rows(
        [(sid, w, gz, rz, st, "Résidentiel", 1970, "") for (sid, _, gz, rz, st), w in zip(rows, wkb)]
    )


def build_city(n: int, root: Path, sse: float) -> dict:
    data = generate(n)
    floor = {view: must_draw(data, camera, sse) for view, camera in views(n).items()}
    started = time.perf_counter()
    with LayerBuild(root, "buildings") as build:
        stats = builder.build(build, FRAME, progress=lambda m: None, data=data)
    seconds = time.perf_counter() - started
    manifest = json.loads((root / "buildings" / "manifest.json").read_text())
    parents = sum(1 for t in manifest["tiles"].values() if t.get("lod"))
    return {
        "buildings": n,
        "build_seconds": round(seconds, 2),
        "tiles": stats.tiles,
        "parent_tiles": parents,
        "bytes": stats.bytes,
        "must_draw": floor,
    }


def views(n: int) -> dict[str, dict]:
    x0, y0, width, height = city_extent(n)
    cx, cy = x0 + width / 2, y0 + height / 2
    ground = 5.0 + 30.0 * 0.5  # the generator's ground at the city's middle row, orthometric metres
    lon, lat, h = FRAME.to_geographic([cx], [cy - 40.0], [ground])
    # Straight down; Cesium's 60° field of view spans the wider (horizontal) side: the whole city fits, 15% margin.
    above = 1.15 * max(width, height * VIEWPORT["width"] / VIEWPORT["height"]) / (2 * math.tan(math.radians(30)))
    lon_c, lat_c, h_c = FRAME.to_geographic([cx], [cy], [ground])
    # x, y, z: the camera in the storage CRS (orthometric z), for must_draw.
    street = {
        "lon": float(lon[0]),
        "lat": float(lat[0]),
        "h": float(h[0]) + 40.0,
        "heading": 0.0,
        "x": cx,
        "y": cy - 40.0,
        "z": ground + 40.0,
    }
    return {
        "street": {**street, "pitch": -15.0},
        "block": {**street, "pitch": -45.0},
        "city-wide": {
            "lon": float(lon_c[0]),
            "lat": float(lat_c[0]),
            "h": float(h_c[0]) + above,
            "heading": 0.0,
            "pitch": -90.0,
            "x": cx,
            "y": cy,
            "z": ground + above,
        },
    }


def must_draw(data: builder.BuildingArrays, camera: dict, sse: float) -> int:
    """About how many buildings any level of detail must draw in full from this camera: those in the view whose
    omission alone would exceed the screen-space error (their height, seen from their nearest point).

    Cesium's frustum: 60° across the wider side of the viewport; error in pixels = metres × viewport height /
    (distance × 2 tan(vertical half-angle)). A building counts as in view when a corner of its box is (plan
    bounds, ground to roof), so the count is a floor, not an upper bound.
    """
    heading, pitch = math.radians(camera["heading"]), math.radians(camera["pitch"])
    forward = np.array([math.sin(heading) * math.cos(pitch), math.cos(heading) * math.cos(pitch), math.sin(pitch)])
    right = np.array([math.cos(heading), -math.sin(heading), 0.0])
    up = np.cross(right, forward)
    tan_x = math.tan(math.radians(30))
    tan_y = tan_x * VIEWPORT["height"] / VIEWPORT["width"]
    b = shapely.bounds(data.footprints)
    lo = np.column_stack([b[:, 0], b[:, 1], data.ground_z])
    hi = np.column_stack([b[:, 2], b[:, 3], data.roof_z])
    eye = np.array([camera["x"], camera["y"], camera["z"]])
    corners = np.stack([np.where([(k >> a) & 1 for a in range(3)], hi, lo) for k in range(8)], axis=1) - eye
    f, r, u = corners @ forward, corners @ right, corners @ up
    in_view = ((f > 0) & (np.abs(r) <= f * tan_x) & (np.abs(u) <= f * tan_y)).any(axis=1)
    distance = np.linalg.norm(np.clip(eye, lo, hi) - eye, axis=1)
    error_px = (data.roof_z - data.ground_z) * VIEWPORT["height"] / (np.maximum(distance, 1e-3) * 2 * tan_y)
    return int(np.count_nonzero(in_view & (error_px > sse)))


# --- the server ---------------------------------------------------------------------------------------------


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.bytes = 0

    def reset(self) -> None:
        with self.lock:
            self.requests = self.bytes = 0

    def add(self, size: int) -> None:
        with self.lock:
            self.requests += 1
            self.bytes += size


class Handler(http.server.SimpleHTTPRequestHandler):
    """/ the page, /cesium/… Cesium's build, /app/… the app's JavaScript modules, /<city>/buildings/… a built layer,
    @<version>/… into its build folder."""

    cities: dict[str, Path] = {}
    counter = Counter()

    def translate_path(self, path: str) -> str:
        parts = unquote(urlparse(path).path).strip("/").split("/")
        if parts[0] == "cesium":
            return str(CESIUM.joinpath(*parts[1:]))
        if parts[0] == "app":
            return str(APP_JS.joinpath(*parts[1:]))
        if parts[0] == "i18next":  # the app's modules import it by name: the page's import map points here
            return str(I18NEXT.joinpath(*parts[1:]))
        if parts[0] in self.cities and len(parts) > 2 and parts[1] == "buildings":
            root = self.cities[parts[0]]
            if parts[2].startswith("@"):
                return str(root.joinpath(".builds", "buildings", parts[2][1:], *parts[3:]))
            return str(root.joinpath("buildings", *parts[2:]))
        return str(Path(os.devnull))

    def do_GET(self) -> None:
        if urlparse(self.path).path == "/":
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        path = Path(self.translate_path(self.path))
        if path.is_file() and urlparse(self.path).path.split("/")[1] not in ("cesium", "app", "i18next"):
            self.counter.add(path.stat().st_size)
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args) -> None:
        pass


Handler.extensions_map = {
    **http.server.SimpleHTTPRequestHandler.extensions_map,
    ".glb": "model/gltf-binary",
    ".json": "application/json",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
}


def measure_all(
    cities: dict[str, Path], sizes: list[int], repeat: int, options: dict, chosen_views: tuple[str, ...] = VIEWS
) -> list[dict]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    Handler.cities = cities
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(CESIUM)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=60_000)
            try:
                for view in chosen_views:
                    for n in sizes:
                        camera = views(n)[view]
                        for attempt in range(repeat):
                            context = browser.new_context(viewport=VIEWPORT)
                            page = context.new_page()
                            errors: list[str] = []
                            page.on("pageerror", lambda e: errors.append(str(e)))  # noqa: B023  used in this pass only
                            page.on(
                                "console",
                                lambda m: errors.append(m.text) if m.type == "error" else None,  # noqa: B023
                            )
                            page.goto(f"{url}/", timeout=60_000)
                            try:
                                page.wait_for_function("window.ready === true", timeout=60_000)
                            except PlaywrightTimeout as exc:
                                raise SystemExit(
                                    f"the bench page did not start in 60 s; it reported: "
                                    f"{errors or 'nothing'}. Check that `make setup` installed frontend/node_modules."
                                ) from exc
                            # Warm up on another city from the same kind of view: Cesium's workers, glTF pipeline
                            # and shader variants (fog, atmosphere: they depend on the view) start once per page,
                            # whatever the tileset; the measure is the tileset's own.
                            warm = next(m for m in sizes if m != n) if len(sizes) > 1 else n
                            page.evaluate(
                                "([u, c, s, t]) => window.measure(u, c, s, t)",
                                [
                                    f"{url}/{warm}/buildings/tileset.json",
                                    views(warm)[view],
                                    options,
                                    LOAD_TIMEOUT_S * 1000,
                                ],
                            )
                            Handler.counter.reset()
                            result = page.evaluate(
                                "([u, c, s, t]) => window.measure(u, c, s, t)",
                                [f"{url}/{n}/buildings/tileset.json", camera, options, LOAD_TIMEOUT_S * 1000],
                            )
                            with Handler.counter.lock:
                                result.update(tiles_requested=Handler.counter.requests, bytes=Handler.counter.bytes)
                            context.close()
                            if errors or result["failed"]:
                                raise SystemExit(f"{n} buildings, {view}: {errors or result['failed']}")
                            rows.append(
                                {"view": view, "buildings": n, "attempt": attempt, **camera_summary(camera), **result}
                            )
                            print(
                                f"  {view:<10} {n:>7} buildings: {result['seconds']:.2f} s"
                                + ("" if result["loaded"] else " (TIMED OUT)"),
                                flush=True,
                            )
            finally:
                browser.close()
    finally:
        server.shutdown()
    return rows


def camera_summary(camera: dict) -> dict:
    return {"camera_height_m": round(camera["h"], 1), "pitch_deg": camera["pitch"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--views", nargs="+", choices=VIEWS, default=list(VIEWS), help="the views to measure")
    parser.add_argument("--repeat", type=int, default=1, help="loads per city and view; the median is reported")
    parser.add_argument(
        "--options",
        type=json.loads,
        default=None,
        help="Cesium3DTileset options (JSON) instead of the app's (TilesetLayerPlugin.js "
        "TILESET_OPTIONS.buildings); results then go to tiles_view_<--label>.json",
    )
    parser.add_argument("--label", default="custom", help="suffix of the results file with --options")
    args = parser.parse_args()
    options = app_tileset_options() if args.options is None else args.options
    results = RESULTS if args.options is None else RESULTS.with_name(f"tiles_view_{args.label}.json")
    tmp = Path(tempfile.mkdtemp(prefix="jumeau-bench-view-"))
    try:
        FRAME.to_ecef([city_generator.X0], [city_generator.Y0], [0.0])  # load PROJ and the geoid grid first
        cities: dict[str, Path] = {}
        builds = []
        for n in args.sizes:
            cities[str(n)] = tmp / str(n)
            info = build_city(n, cities[str(n)], float(options.get("maximumScreenSpaceError", 16)))
            builds.append(info)
            print(
                f"built {n} buildings: {info['tiles']} tiles ({info['parent_tiles']} parents), "
                f"{info['bytes'] / 1e6:.1f} MB in {info['build_seconds']:.1f} s",
                flush=True,
            )
        rows = measure_all(cities, args.sizes, args.repeat, options, tuple(args.views))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    summary = []
    for view in args.views:
        for n in args.sizes:
            runs = [r for r in rows if r["view"] == view and r["buildings"] == n]
            best = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
            summary.append({**best, "must_draw": next(b["must_draw"][view] for b in builds if b["buildings"] == n)})
    print(
        f"\nCesiumJS (headless Chromium, SwiftShader), {VIEWPORT['width']}x{VIEWPORT['height']}, {options}, "
        f"{DENSITY:.0f} buildings/km², {os.cpu_count()} cores (shared), median of {args.repeat}"
    )
    print(
        f"{'view':<10} {'buildings':>9} {'cam h (m)':>9} {'seconds':>8} {'requests':>8} {'MB':>6} "
        f"{'tiles drawn':>11} {'parents':>7} {'features':>8} {'must draw':>9} {'frames':>6}"
    )
    for r in summary:
        print(
            f"{r['view']:<10} {r['buildings']:>9} {r['camera_height_m']:>9.0f} {r['seconds']:>8.2f} "
            f"{r['tiles_requested']:>8} {r['bytes'] / 1e6:>6.2f} {r['tiles_drawn']:>11} {r['parent_tiles_drawn']:>7} "
            f"{r['features_drawn']:>8} {r['must_draw']:>9} {r['frames']:>6}" + ("" if r["loaded"] else "  TIMED OUT")
        )
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(
        json.dumps(
            {
                "density_per_km2": DENSITY,
                "cesium_tileset_options": options,
                "request_limits": app_request_limits(),
                "viewport": VIEWPORT,
                "parent_features": builder.PARENT_FEATURES,
                "leaf_features": builder.MAX_FEATURES,
                "builds": builds,
                "views": summary,
                "runs": rows,
                "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
            },
            indent=1,
        )
        + "\n"
    )
    if not all(r["loaded"] for r in rows):
        raise SystemExit("some loads timed out")


if __name__ == "__main__":
    main()
