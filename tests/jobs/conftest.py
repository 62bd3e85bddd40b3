"""A real Celery worker process on this session's test database and broker, and what the job tests wait on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import ROOT

# A small box around tests/data/gis_sync's Strasbourg DEM and buildings: the surface model stays small.
EXTENT = (1050800.0, 6840500.0, 1051100.0, 6840750.0)
READY = {"SUCCESS", "FAILURE", "REVOKED"}


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path
    folders: dict[str, Path]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


def _database_env(env: dict[str, str]) -> None:
    """Point the worker at the database pytest-django created for this session (a file, or a PostGIS db)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if "spatialite" in db["ENGINE"]:
        env["SPATIALITE_NAME"] = str(Path(db["NAME"]).resolve())
    else:
        parts = urlparse(env["DATABASE_URL"])
        env["DATABASE_URL"] = parts._replace(path=f"/{db['NAME']}").geturl()


def start_worker(env: dict[str, str], queue: str, name: str, log_path: Path, folders=None) -> Worker:
    """`celery worker --pool=solo -c 1` on `queue`, started and ready (its log says so)."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "jumeau.celery",
                "worker",
                "--pool=solo",
                "-c",
                "1",
                "-Q",
                queue,
                "-n",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    started = Worker(process, log_path, folders or {})
    ready = log_path.read_text(errors="replace").count(" ready.") + 1
    deadline = time.monotonic() + 60
    while log_path.read_text(errors="replace").count(" ready.") < ready:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the Celery worker did not start:\n{started.log()}")
        time.sleep(0.1)
    return started


def worker_env(job_broker: dict[str, str], folders: dict[str, Path], **extra: str) -> dict[str, str]:
    """A worker's environment: this session's database and broker, its own folders."""
    from django.conf import settings

    env = {
        **os.environ,
        **job_broker,
        "DJANGO_SETTINGS_MODULE": "jumeau.settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "JUMEAU_VAR_DIR": str(folders["var"]),
        "JUMEAU_TILES_DIR": str(folders["tiles"]),
        "JUMEAU_DATA_DIR": str(folders["data"]),
        "LOG_LEVEL": "INFO",
        **extra,
    }
    _database_env(env)
    return env


@pytest.fixture(scope="session")
def worker(django_db_setup, django_db_blocker, job_broker, tmp_path_factory) -> Iterator[Worker]:
    """`celery -A jumeau.celery worker --pool=solo`, started once for the session; tests use transactional_db so
    that what they write is committed and visible to it."""
    root = tmp_path_factory.mktemp("worker")
    folders = {"var": root / "var", "tiles": root / "tiles", "data": root / "data"}
    for folder in folders.values():
        folder.mkdir()
    env = worker_env(
        job_broker,
        folders,
        JUMEAU_EXTENT=",".join(map(str, EXTENT)),
        JUMEAU_JOB_LOCK_WAIT_S="1",
        JUMEAU_JOB_RETRY_BACKOFF_S="1",
    )
    name = f"test-{os.getpid()}"
    started = start_worker(env, job_broker["JUMEAU_CELERY_QUEUE"], name, root / "worker.log", folders)
    yield started
    started.process.terminate()
    try:
        started.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        started.process.kill()


@pytest.fixture
def jobs_env(worker, transactional_db, settings) -> Worker:
    """The test process sees the worker's folders and city extent; what it writes is committed."""
    settings.JUMEAU_TILES_DIR = worker.folders["tiles"]
    settings.JUMEAU_DATA_DIR = worker.folders["data"]
    settings.JUMEAU_EXTENT = EXTENT
    return worker


def wait_for(task_ids, worker: Worker, timeout: float = 40.0) -> dict[str, object]:
    """The TaskResult of every id once each is finished (success or failure)."""
    from django_celery_results.models import TaskResult

    ids = list(task_ids)
    deadline = time.monotonic() + timeout
    while True:
        rows = {r.task_id: r for r in TaskResult.objects.filter(task_id__in=ids)}
        if len(rows) == len(ids) and all(r.status in READY for r in rows.values()):
            return rows
        if time.monotonic() > deadline or worker.process.poll() is not None:
            states = {i: rows[i].status if i in rows else "unknown" for i in ids}
            pytest.fail(f"jobs not finished after {timeout} s: {states}\n{worker.log()}")
        time.sleep(0.2)


def result_of(row) -> dict:
    return json.loads(row.result)
