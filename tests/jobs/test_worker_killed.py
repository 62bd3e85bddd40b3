"""A worker killed (SIGKILL) halfway through a split build, on a real worker process and the session's broker: the
published tiles stay those of the previous build, and a worker started afterwards abandons the dead build and
builds the layer again, byte for byte what a clean build writes, with the lock released."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from bench.tiles import buildings, insert_buildings
from tests.jobs.conftest import start_worker, worker_env

pytestmark = pytest.mark.django_db(transaction=True)

BUILDINGS = 3000
LEASE_S = 3.0


def _files(folder: Path, version: str) -> dict[str, bytes]:
    """Every file of a build and its bytes; the build's own version name (tileset.json carries it) set aside."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes().replace(version.encode(), b"VERSION")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _rows(name: str, since) -> dict[str, int]:
    from django.db.models import Count
    from django_celery_results.models import TaskResult

    rows = TaskResult.objects.filter(task_name=name, date_created__gte=since)
    return dict(rows.values_list("status").annotate(n=Count("id")))


def _wait(condition, what: str, timeout: float, logs) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what}: not after {timeout} s\n{logs()}")
        time.sleep(0.02)
    return time.monotonic()


def test_a_worker_killed_mid_build_leaves_the_published_tiles_and_the_build_is_redone(
    job_broker, transactional_db, settings, tmp_path
):
    from django.db.models import F
    from django.utils import timezone

    from tiles.build import build_layer as build_in_process
    from tiles.models import TileBuild
    from tiles.publish import current_version
    from tiles.tasks import build_layer
    from twin.models import Building, JobLock

    folders = {name: tmp_path / name for name in ("var", "tiles", "data")}
    for folder in folders.values():
        folder.mkdir()
    settings.JUMEAU_TILES_DIR = folders["tiles"]
    queue = f"killed-{os.getpid()}"
    env = worker_env(
        {**job_broker, "JUMEAU_CELERY_QUEUE": queue}, folders, JUMEAU_JOB_LEASE_S=str(LEASE_S), LOG_LEVEL="INFO"
    )
    log = tmp_path / "workers.log"
    first = start_worker(env, queue, f"first-{os.getpid()}", log)
    root = folders["tiles"] / ".builds" / "buildings"
    second = None
    try:
        insert_buildings(buildings(BUILDINGS))
        build_layer.apply_async(("buildings",), {"parts": 4}, queue=queue)
        _wait(lambda: current_version(folders["tiles"], "buildings"), "the first build published", 50, first.log)
        before = current_version(folders["tiles"], "buildings")
        published = _files(root / before, before)

        # Every building a little taller: every tile is written again. Killed once some write parts are done
        # and another runs.
        Building.objects.update(roof_z=F("roof_z") + 3)
        since = timezone.now()
        build_layer.apply_async(("buildings",), {"parts": 8}, queue=queue)
        _wait(
            lambda: (r := _rows("tiles.write_part", since)).get("SUCCESS", 0) >= 1 and r.get("STARTED", 0) >= 1,
            "write parts done and one running",
            50,
            first.log,
        )
        os.kill(first.process.pid, signal.SIGKILL)
        killed = time.monotonic()
        first.process.wait(timeout=10)
        dead = TileBuild.objects.get(status="building")
        parts = _rows("tiles.write_part", since)
        done, total = parts.get("SUCCESS", 0), sum(parts.values())
        assert 1 <= done < total, parts

        # Nothing a reader sees has changed, and the dead build holds the layer.
        assert current_version(folders["tiles"], "buildings") == before
        assert _files(root / before, before) == published
        assert JobLock.objects.get().owner == f"build buildings@{dead.version}"

        second = start_worker(env, queue, f"second-{os.getpid()}", log)
        restarted = time.monotonic()
        recovered = _wait(
            lambda: TileBuild.objects.filter(status="published").exclude(version=before).exists(),
            "the build redone and published",
            50,
            second.log,
        )
        print(
            f"\n{BUILDINGS} buildings, lease {LEASE_S:g} s, {done}/{total} write parts done when killed: "
            f"kill → second worker ready {restarted - killed:.1f} s, kill → redone build published "
            f"{recovered - killed:.1f} s"
        )
        after = TileBuild.objects.get(status="published")
        dead.refresh_from_db()
        assert dead.status == "failed" and dead.error.startswith("Abandoned: no step of this build ran"), dead.error
        assert current_version(folders["tiles"], "buildings") == after.version
        assert _files(root / before, before) == published  # the previous build's files, untouched throughout
        # The work folders go once the publish job has ended (after its result is stored, tiles.tasks._Publish).
        _wait(
            lambda: not any(p.name.endswith((".work", ".partial")) for p in root.iterdir()),
            "the builds' work folders removed",
            10,
            second.log,
        )
        _wait(lambda: not JobLock.objects.exists(), "the layer's lock released", 10, second.log)

        # The redone build is byte for byte a clean build of the same rows (one process, an empty tiles folder).
        settings.JUMEAU_TILES_DIR = tmp_path / "clean"
        clean = build_in_process("buildings", progress=lambda _: None)
        redone = _files(root / after.version, after.version)
        reference = _files(tmp_path / "clean" / ".builds" / "buildings" / clean.version, clean.version)
        assert redone.keys() == reference.keys() and len(redone) > 10
        assert [name for name in redone if redone[name] != reference[name]] == []
    finally:
        for worker in (first, second):
            if worker is not None and worker.process.poll() is None:
                worker.process.terminate()
                worker.process.wait(timeout=10)
