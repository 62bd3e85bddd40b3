"""A split build's pieces: write parts balanced by tile cost and queued largest first; the plan's layer columns,
saved by each scan part, give the very FeatureLayer the whole rows give."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from tiles.builders import buildings
from tiles.builders.base import TilePlan, tile_work


def _plan(todo) -> TilePlan:
    return TilePlan(
        salt="",
        bounds=[0.0, 0.0, 1.0, 1.0],
        max_features=400,
        error_factor=1.0,
        min_error=10.0,
        refine="REPLACE",
        tree=None,
        plans={},
        counts={},
        hashes={},
        reused={},
        todo=todo,
        size_below={},
    )


def _todo(seed: int = 5):
    """Leaves of 50 to 400 features and parents of up to 500, keys in no particular order."""
    rng = np.random.default_rng(seed)
    todo = []
    for i in range(300):
        parent = i % 4 == 0
        n = int(rng.integers(50, 500 if parent else 400))
        todo.append((f"r{rng.integers(0, 4**6):06d}{i}", np.arange(n), 2.5 if parent else None))
    return todo


def test_every_tile_is_in_one_part_and_a_part_is_a_run_of_keys():
    todo = _todo()
    parts = _plan(todo).parts(16)
    assert len(parts) == 16
    assert sorted(i for part in parts for i in part) == list(range(len(todo)))
    keys = sorted(key for key, _, _ in todo)
    for part in parts:
        run = [todo[i][0] for i in part]
        start = keys.index(run[0])
        assert run == keys[start : start + len(run)]


def test_parts_are_balanced_by_cost_the_largest_first_and_the_last_ones_half_as_large():
    todo = _todo()
    costs = [sum(tile_work(todo[i]) for i in part) for part in _plan(todo).parts(16)]
    assert costs == sorted(costs, reverse=True)
    largest_tile = max(tile_work(job) for job in todo)
    # 11 parts of one share, 5 of half a share (16 // 3), each within a tile or two of its share.
    share = sum(costs) / (11 + 5 / 2)
    assert all(abs(c - share) <= 2 * largest_tile for c in costs[:11])
    assert all(abs(c - share / 2) <= 2 * largest_tile for c in costs[11:])
    leaf, parent = ("a", np.arange(300), None), ("b", np.arange(300), 3.0)
    assert tile_work(parent) > tile_work(leaf) > 300


def test_no_more_parts_than_tiles_and_none_for_nothing():
    todo = _todo()[:3]
    parts = _plan(todo).parts(16)
    assert 1 <= len(parts) <= 3 and all(parts)
    assert sorted(i for part in parts for i in part) == [0, 1, 2]
    assert _plan([]).parts(4) == []


def _rows(n: int, seed: int = 2) -> list[tuple]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        x, y = rng.uniform(0, 5000, 2)
        w, h = rng.uniform(4, 40, 2)
        box = shapely.box(x, y, x + w, y + h)
        geom = box if i % 3 else shapely.MultiPolygon([box, shapely.box(x + w + 2, y, x + w + 9, y + 6)])
        rows.append((f"b{i}", shapely.to_wkb(geom), 10.0, 10.0 + rng.uniform(3, 60), i % 7, "Résidentiel", 1960, ""))
    return rows


def test_the_scans_layer_columns_give_the_layer_of_the_whole_rows(tmp_path):
    rows = _rows(500)
    whole = buildings.feature_layer(buildings.from_rows(rows))
    paths = []
    for i, (a, b) in enumerate([(0, 170), (170, 171), (171, 500)]):
        paths.append(tmp_path / f"scan-{i}.npz")
        buildings.save(buildings.from_rows(rows[a:b]), paths[-1])
    parts = [buildings.load_layer(p) for p in paths]
    columns = {name: np.concatenate([c[name] for c, _ in parts]) for name in buildings.LAYER_COLUMNS}
    split = buildings.layer_of(columns, [d for _, digests in parts for d in digests])
    for name in ("x", "y", "size", "weight"):
        assert np.array_equal(getattr(split, name), getattr(whole, name)), name
    assert split.digests == whole.digests


@pytest.mark.django_db
def test_a_publish_job_frees_its_build_when_it_ends_failed_or_not_and_other_jobs_leave_it(settings, tmp_path):
    from tiles import split, tasks
    from tiles.publish import new_version

    settings.JUMEAU_TILES_DIR = tmp_path
    ours, other = new_version(), new_version() + "1"
    works = [split.SplitBuild("buildings", v).work for v in (ours, other)]
    for work in works:
        work.mkdir(parents=True)
    split._memo.clear()
    split._memo.update(version=("buildings", ours), scans={}, data="arrays")
    # Run as a worker runs them (Celery's tracer, result stored, then the task's after_return): another job, and the
    # publish job of another build, leave this build's arrays and work folder.
    assert tasks.recover_builds.apply().successful()
    assert tasks.publish_build.apply(args=([], "buildings", other)).failed()  # that build holds no lease
    assert split._memo["data"] == "arrays" and works[0].exists() and not works[1].exists()
    # Its own publish job frees them, although it fails here (the build has no lease: it is abandoned).
    assert tasks.publish_build.apply(args=([], "buildings", ours)).failed()
    assert split._memo == {} and not works[0].exists()


@pytest.mark.django_db
def test_a_worker_that_did_not_publish_lets_go_of_the_build_once_its_work_folder_is_gone(
    settings, tmp_path, monkeypatch
):
    # Another worker (maybe on another machine) publishes or abandons the build and removes its work folder from the
    # shared tiles volume: this process, which only scanned or wrote parts, frees the build's arrays on its own.
    import time

    from tiles import split
    from tiles.publish import new_version

    settings.JUMEAU_TILES_DIR = tmp_path
    monkeypatch.setattr(split, "RELEASE_POLL_S", 0.05)
    version = new_version()
    work = split.SplitBuild("buildings", version).work
    work.mkdir(parents=True)
    memo = split._memo_of("buildings", version)
    memo["data"] = np.zeros(1_000_000)
    time.sleep(0.3)
    assert split._memo.get("version") == ("buildings", version) and "data" in split._memo  # the build still runs
    work.rmdir()
    deadline = time.monotonic() + 5
    while split._memo and time.monotonic() < deadline:
        time.sleep(0.02)
    assert split._memo == {}
