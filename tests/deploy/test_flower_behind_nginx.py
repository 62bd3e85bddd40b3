"""Flower (the Celery monitor) behind the shipped nginx: only admins get through /flower/, after Django's gate.

A real Flower process, started with compose.yaml's own command on the port the rendered template points at."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import yaml

from tests.conftest import ROOT
from tests.deploy.conftest import HOST
from tests.deploy.production import COMPOSE

FLOWER_MARK = b"Flower"


def _flower_command(port: int) -> list[str]:
    command = list(yaml.safe_load(COMPOSE.read_text())["services"]["flower"]["command"])
    assert "--port=5555" in command and "--url_prefix=flower" in command, command
    command[command.index("--port=5555")] = f"--port={port}"
    return [sys.executable, *command[1:], f"--address={HOST}"]


@pytest.fixture(scope="module")
def flower(stack, tmp_path_factory) -> Iterator[None]:
    folder = tmp_path_factory.mktemp("flower")
    env = {**stack.env, "JUMEAU_CELERY_DIR": str(folder / "celery"), "JUMEAU_CELERY_QUEUE": f"deploy-{id(stack)}"}
    log = folder / "flower.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            _flower_command(stack.flower_port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        admin = stack.client()
        admin.login("dora")
        deadline = time.monotonic() + 60
        while admin.get("/flower/").status != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Flower did not answer through nginx:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def admin(stack) -> object:
    """Dora: staff, with the admin role."""
    client = stack.client()
    client.login("dora")
    return client


def test_an_admin_reaches_flower_through_nginx(stack, flower, admin):
    response = admin.get("/flower/")
    assert response.status == 200 and FLOWER_MARK in response.body, response.body[:300]
    assert response.header("Cache-Control") == "private, no-store"
    assert response.header("Strict-Transport-Security")
    assert str(stack.flower_port) in stack.logged(response)["upstream"]


def test_nobody_else_gets_a_byte_of_flower(stack, flower, anonymous, citizen, planner, field_agent):
    answers = {}
    for who, client in {"citizen": citizen, "planner": planner, "field agent": field_agent}.items():
        response = client.get("/flower/")
        answers[who] = response.status
        assert FLOWER_MARK not in response.body and str(stack.flower_port) not in stack.logged(response)["upstream"]
    assert answers == {"citizen": 403, "planner": 403, "field agent": 403}
    # Not signed in: sent to sign in, and back to /flower/ after.
    response = anonymous.get("/flower/workers")
    assert response.status == 302 and response.header("Location").endswith("/admin/login/?next=/flower/")
    assert FLOWER_MARK not in response.body and str(stack.flower_port) not in stack.logged(response)["upstream"]


def test_flower_is_read_only_and_its_gate_is_not_a_door(stack, flower, admin, anonymous):
    # Flower's buttons (revoke a job, shut a worker down) are POSTs: refused even to an admin.
    response = admin.request("POST", "/flower/api/worker/shutdown/x", {"Content-Length": "0"}, b"")
    assert response.status == 403 and str(stack.flower_port) not in stack.logged(response)["upstream"]
    # The gate's nginx location is internal; other spellings reach Django, which has no Flower.
    assert anonymous.get("/_gate/jobs-monitor").status == 404
    for spelling in ("/%66lower/", "/flower/../flower/"):
        response = anonymous.get(spelling)
        assert response.status in (302, 400) and FLOWER_MARK not in response.body, (spelling, response.status)
