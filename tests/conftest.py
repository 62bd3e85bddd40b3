"""Shared fixtures: the personas (a citizen, a planner, a field agent) and real files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


def _shared_data() -> Path:
    """The real files beside the checkout (../shared/data), wherever the checkout was cloned.

    JUMEAU_SHARED_DATA names another folder; a clone outside the workspace finds /work/shared/data.
    """
    for candidate in (os.getenv("JUMEAU_SHARED_DATA"), ROOT.parent / "shared" / "data", "/work/shared/data"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return ROOT.parent / "shared" / "data"  # tests that need it fail naming this folder


SHARED_DATA = _shared_data()
TEST_DATA = ROOT / "tests" / "data"


def _person(username: str, role: str | None) -> User:
    user = User.objects.create_user(username, f"{username}@antibes.example", "correct horse battery")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def alice(db) -> User:
    """Alice is a planner at the city's urbanism department."""
    return _person("alice", "planner")


@pytest.fixture
def bob(db) -> User:
    """Bob is a field agent of the water operator."""
    return _person("bob", "field_agent")


@pytest.fixture
def charlie(db) -> User:
    """Charlie has an account but no role: a citizen who signed in."""
    return _person("charlie", None)


@pytest.fixture
def citizen() -> Client:
    """An anonymous visitor on a phone."""
    return Client()


@pytest.fixture
def planner(alice) -> Client:
    c = Client()
    c.force_login(alice)
    return c


@pytest.fixture
def field_agent(bob) -> Client:
    c = Client()
    c.force_login(bob)
    return c


@pytest.fixture
def tiles_root(tmp_path, settings) -> Path:
    """A private tiles folder for the test, so published demo tiles are never touched."""
    settings.JUMEAU_TILES_DIR = tmp_path / "tiles"
    settings.JUMEAU_TILES_DIR.mkdir()
    return settings.JUMEAU_TILES_DIR


def pytest_collection_modifyitems(config, items) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in this thread
    while its session-scoped browser is open, and asyncio.run() refuses to start inside it."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))


@pytest.fixture(scope="session", autouse=True)
def job_broker(tmp_path_factory) -> Iterator[dict[str, str]]:
    """This session's background jobs go to a queue (and, without Redis, a broker folder) of its own: a demo
    worker on the same machine never runs them against its database. Returns the worker's environment."""
    from django.conf import settings

    from jumeau.celery import app

    queue = f"jumeau-test-{os.getpid()}"
    app.conf.task_default_queue = queue
    env = {"JUMEAU_CELERY_QUEUE": queue}
    if not settings.REDIS_URL:
        folder = tmp_path_factory.mktemp("celery")
        options = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "control_folder": str(folder / "control"),
            "processed_folder": str(folder / "processed"),
        }
        for path in options.values():
            Path(path).mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport_options = {**app.conf.broker_transport_options, **options}
        env["JUMEAU_CELERY_DIR"] = str(folder)
    yield env
    if settings.REDIS_URL:
        # Jobs a test queued and no worker ran would stay in Redis after the session.
        with app.connection_for_write() as connection:
            for name in (queue, f"{queue}-demo"):
                connection.default_channel.queue_delete(name)
