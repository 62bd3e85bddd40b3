"""`make demo` (manage.py serve_demo) runs a real Celery worker beside the server, and stops it with the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest

from tests.conftest import ROOT
from tests.gis_sync.conftest import DATA
from tests.jobs.conftest import _database_env, result_of, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_demo_runs_jobs_on_its_own_worker_and_stops_it(jobs_env, job_broker, tmp_path):
    from django.conf import settings

    from gis_sync.models import Source
    from gis_sync.tasks import sync_source

    queue = f"{job_broker['JUMEAU_CELERY_QUEUE']}-demo"  # not the session worker's queue
    env = {
        **os.environ,
        **job_broker,
        "JUMEAU_CELERY_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "jumeau.settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "JUMEAU_VAR_DIR": str(jobs_env.folders["var"]),
        "JUMEAU_TILES_DIR": str(jobs_env.folders["tiles"]),
        "JUMEAU_DATA_DIR": str(jobs_env.folders["data"]),
    }
    _database_env(env)
    log_path = tmp_path / "serve_demo.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "serve_demo", "--no-realtime", "--port", str(_free_port())],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    workers: list[psutil.Process] = []
    try:
        Source.objects.create(key="bati", name="bati", location=str(DATA / "batiment.geojson"))
        job = sync_source.apply_async(("bati",), queue=queue)
        row = wait_for([job.id], jobs_env, timeout=60)[job.id]
        assert row.status == "SUCCESS" and result_of(row)["created"] == 3
        assert row.worker.startswith(f"demo-{server.pid}@"), log_path.read_text()
        workers = [p for p in psutil.Process(server.pid).children(recursive=True) if "celery" in " ".join(p.cmdline())]
        assert workers, "serve_demo runs no Celery worker process"
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C
        server.wait(timeout=40)
    deadline = time.monotonic() + 30
    while any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in workers):
        assert time.monotonic() < deadline, "the worker outlived the server"
        time.sleep(0.2)
