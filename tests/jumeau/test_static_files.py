"""The embedded server (manage.py serve_demo) sends static files compressed, and says how long to keep them."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import brotli
import pytest
from django.core.management import call_command

from tests.conftest import ROOT
from tests.live_server import free_port, own_database

APP_MODULE = ROOT / "frontend" / "static" / "jumeau" / "main.js"
CESIUM_JS = ROOT / "frontend" / "node_modules" / "cesium" / "Build" / "Cesium" / "Cesium.js"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """serve_demo on its own port, after collectstatic as `make demo` runs it."""
    call_command("collectstatic", interactive=False, verbosity=0)
    base = tmp_path_factory.mktemp("serve-static")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DJANGO_SETTINGS_MODULE="jumeau.settings", LOG_LEVEL="warning", JUMEAU_TILES_DIR=str(base / "tiles"))
    env.pop("JUMEAU_STATIC_FROM_SOURCE", None)
    env, drop = own_database(env, f"jumeau_static_{os.getpid()}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(base / "server.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve_demo", "--port", str(port), "--no-realtime", "--no-worker"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/static/jumeau/main.js", timeout=2).close()
                break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"serve_demo did not start:\n{log.read()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        drop()


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """One GET; urllib never decompresses, so the body is the bytes on the wire."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def _vary(headers: dict[str, str]) -> set[str]:
    return {v.strip().lower() for v in headers.get("vary", "").split(",") if v.strip()}


def test_an_app_module_comes_brotli_compressed_to_a_browser_that_accepts_it(server):
    status, headers, body = _get(f"{server}/static/jumeau/main.js", **{"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200
    assert headers["content-encoding"] == "br"
    assert "accept-encoding" in _vary(headers)
    assert headers["content-type"].startswith("text/javascript")
    assert brotli.decompress(body) == APP_MODULE.read_bytes()
    assert len(body) < APP_MODULE.stat().st_size


def test_an_app_module_comes_gzipped_to_a_browser_without_brotli(server):
    status, headers, body = _get(f"{server}/static/jumeau/main.js", **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in _vary(headers)
    assert gzip.decompress(body) == APP_MODULE.read_bytes()


def test_a_client_that_asks_for_no_encoding_gets_the_plain_file(server):
    status, headers, body = _get(f"{server}/static/jumeau/main.js", **{"Accept-Encoding": "identity"})
    assert status == 200
    assert "content-encoding" not in headers
    assert body == APP_MODULE.read_bytes()


def test_the_app_modules_are_revalidated_by_etag_so_a_new_release_is_seen_on_the_next_load(server):
    _, headers, _ = _get(f"{server}/static/jumeau/main.js", **{"Accept-Encoding": "br"})
    assert headers["cache-control"] == "no-cache"
    status, _, body = _get(
        f"{server}/static/jumeau/main.js", **{"Accept-Encoding": "br", "If-None-Match": headers["etag"]}
    )
    assert status == 304 and body == b""


def test_the_page_loads_cesium_from_its_versioned_folder_compressed_and_cached_for_a_year(server):
    status, _, page = _get(f"{server}/", **{"Accept-Encoding": "identity"})
    assert status == 200
    cesium = re.search(rb'<script[^>]* src="([^"]+/Cesium\.js)"', page).group(1).decode()
    base = re.search(r'window\.CESIUM_BASE_URL = "([^"]+)"', page.decode()).group(1)
    assert cesium == base + "Cesium.js"
    assert re.fullmatch(r"/static/vendor/cesium-\d+\.\d+\.\d+/", base), base
    status, headers, body = _get(server + cesium, **{"Accept-Encoding": "br, gzip"})
    assert status == 200
    assert headers["content-encoding"] == "br"
    assert "accept-encoding" in _vary(headers)
    assert headers["cache-control"] == "max-age=315360000, public, immutable"
    original = CESIUM_JS.read_bytes()
    assert brotli.decompress(body) == original
    assert len(body) < len(original) / 3
    # Cesium asks for its workers by their plain names under CESIUM_BASE_URL: they are there, compressed too.
    worker = CESIUM_JS.parent / "Workers" / "createVerticesFromQuantizedTerrainMesh.js"
    status, headers, body = _get(f"{server}{base}Workers/{worker.name}", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == worker.read_bytes()
