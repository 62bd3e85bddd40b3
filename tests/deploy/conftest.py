"""Deploy tests: Debian's nginx runs the shipped docker/nginx.conf.template, with a self-signed certificate,
in front of uvicorn serving the app with the production environment of docker/env.example."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from jumeau.static_files import CompressedStatic, vendor_folders
from tests.conftest import ROOT
from tests.deploy.production import app_command, env_example, render_nginx_template, replace_exactly
from tests.live_server import free_port, own_database
from tiles.precompress import write_tile
from tiles.publish import LayerBuild

HOST = "127.0.0.1"
ACCEL_PREFIX = "/_protected_tiles/"
PASSWORD = "correct horse battery"
PERSONAS = {"alice": "planner", "bob": "field_agent", "charlie": None, "dora": "admin"}  # dora: staff too
# Bytes of the buried networks: no response to a citizen may ever contain them.
NETWORK_SECRET = b"water main DN300 under rue Thuret"
DRAFT_SECRET = b"draft tower at Pasteur, not yet public"
PUBLIC_MARK = b"buildings of Antibes"
_CESIUM_PREFIX, _CESIUM = vendor_folders(ROOT / "frontend" / "node_modules")["cesium"]
# Static files under STATIC_ROOT (as served at /static/<name>) and where collectstatic finds them.
STATIC_FILES = {
    "jumeau/main.js": ROOT / "frontend" / "static" / "jumeau" / "main.js",
    f"{_CESIUM_PREFIX}/Workers/createVerticesFromQuantizedTerrainMesh.js": _CESIUM
    / "Workers"
    / "createVerticesFromQuantizedTerrainMesh.js",
}
# A draft project: its layer name comes from the model (ProjectVariant.tile_layer), printed by the shell.
DRAFT_PROJECT = (
    "from twin.models import PlanningProject, ProjectVariant\n"
    "p = PlanningProject.objects.create(name='Îlot Pasteur', slug='ilot-pasteur')\n"
    "v = ProjectVariant.objects.create(project=p, name='A', slug='a', model_file='a.glb', "
    "model_format='gltf')\n"
    "print('LAYER=' + v.tile_layer)"
)


def _nginx() -> str:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "nginx not found: tests/deploy run Debian's nginx in front of the app with the shipped "
        "docker/nginx.conf.template. Install it with `make setup` (scripts/bootstrap.sh) or "
        "`apt-get install nginx openssl`, then run the tests again.",
        pytrace=False,
    )


def _openssl() -> str:
    found = shutil.which("openssl")
    if not found:
        pytest.fail(
            "openssl not found: tests/deploy make a self-signed certificate with it. "
            "`apt-get install openssl`, then run the tests again.",
            pytrace=False,
        )
    return found


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    probe: str  # sent as X-Probe, logged by nginx: finds this request's line in its access log

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


@dataclass
class Client:
    """A browser-like HTTPS client that sends the request target exactly as written (no dot-segment
    cleaning, no re-encoding): traversal spellings must reach nginx as an attacker would send them."""

    stack: Stack
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, target: str, headers: dict[str, str] | None = None, body: bytes | None = None
    ) -> Response:
        conn = http.client.HTTPSConnection(HOST, self.stack.https_port, context=self.stack.tls, timeout=20)
        probe = uuid.uuid4().hex
        sent = {"Host": self.stack.host, "Accept-Encoding": "identity", "X-Probe": probe, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, target, body=body, headers=sent)
            raw = conn.getresponse()
            response = Response(raw.status, raw.getheaders(), raw.read(), probe)
        finally:
            conn.close()
        for line in response.all("Set-Cookie"):
            for name, morsel in SimpleCookie(line).items():
                self.cookies[name] = morsel.value
        return response

    def get(self, target: str, **headers: str) -> Response:
        return self.request("GET", target, headers)

    def login(self, username: str) -> Response:
        """Sign in through the login form, with its CSRF token, as a browser does."""
        form = self.get("/accounts/login/")
        assert form.status == 200, form.body[:500]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body).group(1).decode()
        origin = f"https://{self.stack.host}"
        body = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
        response = self.request(
            "POST",
            "/accounts/login/",
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": f"{origin}/accounts/login/",
            },
            body,
        )
        assert response.status == 302 and "sessionid" in self.cookies, (response.status, response.body[:500])
        return response


@dataclass
class Stack:
    base: Path
    https_port: int
    http_port: int
    app_port: int
    tls: ssl.SSLContext
    tiles: Path
    versions: dict[str, str]
    draft_layer: str = ""
    flower_port: int = 0  # where nginx looks for Flower; tests/deploy/test_flower_behind_nginx.py starts it there
    env: dict[str, str] = field(default_factory=dict)  # the app's environment
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def host(self) -> str:
        """The Host header a browser sends for https://127.0.0.1:<port>/."""
        return f"{HOST}:{self.https_port}"

    def client(self) -> Client:
        return Client(self)

    def logged(self, response: Response) -> dict:
        """nginx's access log line of one request (uri, status, upstream, the client's X-Forwarded-For).

        nginx writes it after the response has left, so it may not be there yet when the client has read it.
        """
        path = self.base / "access.log"
        deadline = time.monotonic() + 5
        while True:
            for line in path.read_text().splitlines() if path.exists() else []:
                entry = json.loads(line)
                if entry["probe"] == response.probe:
                    return entry
            if time.monotonic() > deadline:
                raise AssertionError(f"no access log line for X-Probe {response.probe} in {path}")
            time.sleep(0.05)

    def logs(self) -> str:
        out = []
        for name in ("nginx-error.log", "app.log"):
            path = self.base / name
            if path.exists():
                out.append(f"--- {name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(out)


def _certificate(base: Path) -> tuple[Path, Path]:
    cert, key = base / "tls" / "fullchain.pem", base / "tls" / "privkey.pem"
    cert.parent.mkdir()
    subprocess.run(
        [
            _openssl(),
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=IP:{HOST}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _nginx_conf(
    base: Path, values: dict[str, str], https_port: int, http_port: int, app_port: int, flower_port: int
) -> Path:
    """The shipped template rendered, with the test's ports, upstream and folders in place of production's."""
    conf = render_nginx_template(values)
    conf = replace_exactly(conf, "listen 80;", f"listen {HOST}:{http_port};", 1, what="plain HTTP port")
    conf = replace_exactly(
        conf, "listen 443 ssl http2;", f"listen {HOST}:{https_port} ssl http2;", 1, what="HTTPS port"
    )
    conf = replace_exactly(conf, "server app:8000;", f"server {HOST}:{app_port};", 1, what="the app upstream")
    conf = replace_exactly(
        conf, "http://flower:5555;", f"http://{HOST}:{flower_port};", 1, what="the Flower service's address"
    )
    conf = replace_exactly(conf, "/var/jumeau/", f"{base}/var/", 5, what="the shared tiles and static volume")
    (base / "jumeau.conf").write_text(conf)
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (base / "nginx-temp" / temp).mkdir(parents=True)
    # Workers read pytest's private tmp folders: as root they must run as root, not as nobody.
    user = "user root;" if os.geteuid() == 0 else ""
    main = base / "nginx.conf"
    main.write_text(f"""{user}
worker_processes 1;
pid {base}/nginx.pid;
error_log {base}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format probe escape=json
        '{{"probe":"$http_x_probe","uri":"$request_uri","status":$status,"upstream":"$upstream_addr",'
        '"xff":"$http_x_forwarded_for"}}';
    access_log {base}/access.log probe;
    client_body_temp_path {base}/nginx-temp/body;
    proxy_temp_path {base}/nginx-temp/proxy;
    fastcgi_temp_path {base}/nginx-temp/fastcgi;
    uwsgi_temp_path {base}/nginx-temp/uwsgi;
    scgi_temp_path {base}/nginx-temp/scgi;
    include {base}/jumeau.conf;
}}
""")
    return main


def _publish_tiles(tiles: Path, layer: str, mark: bytes) -> str:
    """A small 3D Tiles layer published as the builders publish it: tileset.json and one versioned glb."""
    with LayerBuild(tiles, layer) as build:
        (build.path / "t").mkdir()
        # Vertex data repeats as a real tile's does, so the build's gzip copy is written beside it.
        write_tile(build.path / "t" / "r.glb", b"glTF\x02\x00\x00\x00" + bytes(2000) + mark)
        tileset = {
            "asset": {"version": "1.1"},
            "geometricError": 100,
            "mark": mark.decode(),
            "root": {
                "boundingVolume": {"region": [0.12, 0.76, 0.13, 0.77, 0, 50]},
                "geometricError": 0,
                "refine": "ADD",
                "content": {"uri": f"@{build.version}/t/r.glb"},
            },
        }
        (build.path / "tileset.json").write_text(json.dumps(tileset))
    return build.version


def _publish_terrain(tiles: Path) -> str:
    """A quantized-mesh layer: layer.json and one tile stored gzipped, as the terrain builder writes it."""
    with LayerBuild(tiles, "terrain") as build:
        (build.path / "0" / "0").mkdir(parents=True)
        (build.path / "0" / "0" / "0.terrain").write_bytes(gzip.compress(b"quantized-mesh of Antibes"))
        (build.path / "layer.json").write_text(
            json.dumps(
                {
                    "tilejson": "2.1.0",
                    "format": "quantized-mesh-1.0",
                    "tiles": [f"@{build.version}/{{z}}/{{x}}/{{y}}.terrain"],
                }
            )
        )
    return build.version


def _collect_static(static: Path) -> None:
    """An app module and a Cesium worker laid out and compressed as collectstatic leaves them (STATIC_FILES)."""
    for name, source in STATIC_FILES.items():
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, static / name)
    storage = CompressedStatic(location=str(static), base_url="/static/")
    for _ in storage.post_process({name: (storage, name) for name in STATIC_FILES}):
        pass


def _wait(stack: Stack, port: int, what: str, process: subprocess.Popen, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start on port {port}:\n{stack.logs()}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    nginx = _nginx()
    base = tmp_path_factory.mktemp("deploy")
    (base / "var" / "static").mkdir(parents=True)
    (base / "var" / "static" / "jumeau.css").write_text("body { margin: 0 }\n")
    _collect_static(base / "var" / "static")
    tiles = base / "var" / "tiles"
    https_port, http_port, app_port, flower_port = free_port(), free_port(), free_port(), free_port()
    cert, key = _certificate(base)
    production = env_example()
    values = {**production, "JUMEAU_SERVER_NAME": HOST, "JUMEAU_TLS_CERT": str(cert), "JUMEAU_TLS_KEY": str(key)}
    main_conf = _nginx_conf(base, values, https_port, http_port, app_port, flower_port)

    # The app's environment is production's, but for where it runs: this host, these folders, one database.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k not in ("REDIS_URL", "DEBUG")}
    env.update({k: v for k, v in production.items() if k not in ("POSTGRES_PASSWORD",)})
    env.update(
        DJANGO_SETTINGS_MODULE="jumeau.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        CSRF_TRUSTED_ORIGINS=f"https://{HOST}:{https_port}",
        JUMEAU_TILES_ACCEL_PREFIX=ACCEL_PREFIX,
        JUMEAU_TILES_DIR=str(tiles),
        VIEWSHED_THROTTLE="3/min",
        LOG_LEVEL="warning",
    )
    env, drop = own_database(env, f"jumeau_deploy_{os.getpid()}")
    tls = ssl.create_default_context(cafile=str(cert))
    versions = {
        "buildings": _publish_tiles(tiles, "buildings", PUBLIC_MARK),
        "networks": _publish_tiles(tiles, "networks", NETWORK_SECRET),
        "terrain": _publish_terrain(tiles),
    }
    stack = Stack(base, https_port, http_port, app_port, tls, tiles, versions, flower_port=flower_port, env=env)
    try:
        people = "from django.contrib.auth.models import Group, User\n" + "\n".join(
            f"u = User.objects.create_user({name!r}, password={PASSWORD!r}, is_staff={role == 'admin'})"
            + (f"; u.groups.add(Group.objects.get(name={role!r}))" if role else "")
            for name, role in PERSONAS.items()
        )
        for args in (["migrate", "--noinput", "-v", "0"], ["shell", "-c", people + "\n" + DRAFT_PROJECT]):
            done = subprocess.run(
                [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        stack.draft_layer = re.search(r"LAYER=(\S+)", done.stdout).group(1)
        versions[stack.draft_layer] = _publish_tiles(tiles, stack.draft_layer, DRAFT_SECRET)
        checked = subprocess.run([nginx, "-t", "-p", str(base), "-c", str(main_conf)], capture_output=True, text=True)
        assert checked.returncode == 0, f"nginx refuses docker/nginx.conf.template:\n{checked.stderr}"

        with open(base / "app.log", "w") as log:
            uvicorn = [str(Path(sys.executable).parent / "uvicorn"), *app_command(HOST, app_port)[1:]]
            stack.processes.append(subprocess.Popen(uvicorn, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
            stack.processes.append(
                subprocess.Popen(
                    [nginx, "-p", str(base), "-c", str(main_conf), "-g", "daemon off;"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 60
        _wait(stack, app_port, "uvicorn", stack.processes[0], deadline)
        _wait(stack, https_port, "nginx", stack.processes[1], deadline)
        yield stack
    finally:
        for process in reversed(stack.processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        drop()


@pytest.fixture(scope="session")
def anonymous(stack) -> Client:
    return stack.client()


@pytest.fixture(scope="session")
def citizen(stack) -> Client:
    """Charlie, signed in, with no role."""
    client = stack.client()
    client.login("charlie")
    return client


@pytest.fixture(scope="session")
def planner(stack) -> Client:
    """Alice, a planner."""
    client = stack.client()
    client.login("alice")
    return client


@pytest.fixture(scope="session")
def field_agent(stack) -> Client:
    """Bob, a field agent of the water operator."""
    client = stack.client()
    client.login("bob")
    return client
