"""Building the surface model safely: one build at a time across processes, files that are whole or absent."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from django.db import connections

from tests.viewshed.conftest import LAND_Z, X0, Y0
from viewshed.dsm import LOCK_NAME, SurfaceCache, _write_atomic, build_lock, dsm_dir, ensure_surface


def in_thread(target, results: list, index: int):
    def run() -> None:
        try:
            results[index] = target()
        except Exception as exc:  # noqa: BLE001 - the reader thread reports whatever it met - handed to the test to fail on
            results[index] = exc
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    return t


def files(folder) -> list[str]:
    return sorted(f.name for f in folder.iterdir())


@pytest.mark.django_db(transaction=True)
def test_a_build_started_during_another_waits_then_keeps_its_result(city) -> None:
    folder = dsm_dir()
    results: list = [None, None]
    messages: list[list[str]] = [[], []]
    with build_lock(folder):  # another process is building
        t0 = in_thread(lambda: ensure_surface(progress=messages[0].append), results, 0)
        time.sleep(1.0)
        assert t0.is_alive() and not (folder / "meta.json").exists()
    t0.join(timeout=120)
    t1 = in_thread(lambda: ensure_surface(progress=messages[1].append), results, 1)
    t1.join(timeout=120)
    assert not isinstance(results[0], Exception) and not isinstance(results[1], Exception), results
    assert results[0].fingerprint == results[1].fingerprint
    assert any("build done" in m for m in messages[0]) and not messages[1]  # the second found it current


@pytest.mark.django_db(transaction=True)
def test_two_builds_at_once_take_turns_and_leave_one_whole_dsm(city) -> None:
    results: list = [None, None]
    threads = [in_thread(lambda: ensure_surface(force=True), results, i) for i in range(2)]
    for t in threads:
        t.join(timeout=180)
    assert not any(isinstance(r, Exception) for r in results), results
    meta = SurfaceCache(dsm_dir()).meta()
    assert meta["mode"] == "full"
    fp = meta["fingerprint"]
    assert files(dsm_dir()) == [LOCK_NAME, f"buildings-{fp}.npy", f"dsm-{fp}.npy", "meta.json", f"sea-{fp}.npy"]
    dsm = np.load(dsm_dir() / meta["dsm"])
    grid = SurfaceCache(dsm_dir()).open(meta).grid
    assert dsm[grid.cell_of(X0 + 200.5, Y0 + 210.5)] == LAND_Z + 15.0
    assert int((dsm == LAND_Z + 15.0).sum()) == 40 * 20


def test_a_file_written_by_two_writers_at_once_is_always_one_whole_array(tmp_path) -> None:
    # Each writer goes through a temporary file of its own: a shared temporary name would mix
    # their bytes or lose a rename, and a reader would load half of one array.
    target = tmp_path / "dsm.npy"
    _write_atomic(target, np.zeros(1_000_000, np.float32))
    errors: list = []
    done = threading.Event()

    def write(value: float) -> None:
        try:
            for _ in range(15):
                _write_atomic(target, np.full(1_000_000, value, np.float32))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    def read() -> None:
        while not done.is_set():
            a = np.load(target)
            if a.shape != (1_000_000,) or a.min() != a.max():
                errors.append(AssertionError("a reader saw a mixed or partial array"))

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(v,)) for v in (1.0, 2.0)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    reader.join()
    assert not errors, errors
    assert np.load(target)[0] in (1.0, 2.0)
    assert files(tmp_path) == ["dsm.npy"]  # no temporary file left behind


def test_the_next_build_removes_what_a_killed_build_left(city) -> None:
    folder = dsm_dir()
    folder.mkdir(parents=True, exist_ok=True)
    left = folder / ".dsm-0123.npy.k1ll3d.part"
    left.write_bytes(b"half a DSM")
    ensure_surface()
    assert not left.exists()
    assert [f for f in files(folder) if f.endswith(".part")] == []
