"""A layer's build split over workers: scanned in parts, planned once, written in parts, published once.

Each step is a function of (layer, version) that reads and writes only the database and the tiles folder, so any
worker on any machine sharing both runs any step (tiles.tasks chains them as Celery chords). The steps hand each
other files in the build's work folder, .builds/<layer>/<version>.work next to the build folder: it is never
served (tile URLs name versions only, tiles.publish.VERSION_RE) and goes when the build is published or
abandoned. A build stays unpublished until its last part is written: readers see the previous build until then.

The plan is a pickle: it holds the quadtree as objects, is written and read only by our own workers, and lives on
the tiles volume, which anyone able to write to already controls every tile the city serves.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import json
import pickle
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils import timezone

from tiles import collector
from tiles.build import record_failure, record_published
from tiles.builders import buildings
from tiles.builders.base import FeatureLayer, Progress, TileOutput, TilePlan, finish_tiles, write_tiles
from tiles.errors import BuildGone, NothingToBuild
from tiles.layers import BUILDINGS
from tiles.models import TileBuild
from tiles.publish import LayerBuild, version_dir
from twin.geoid import city_frame
from twin.job_lock import reap
from twin.models import Change
from twin.progress import Meter

# The layers whose build can be split; the others build in one job.
SPLITTABLE = frozenset({BUILDINGS})
STATE = "build.json"
PLAN = "plan.pickle"
# Times one step may start: a step whose worker died is delivered again (task_reject_on_worker_lost), but one
# that kills its worker each time (out of memory) must end the build, not loop.
MAX_ATTEMPTS = 3

# Write parts per scan part. Parts are taken by whichever worker is free, so many small ones let the workers finish
# together although one starts late (it loads the scans the other holds); each costs a job (~10 ms).
WRITES_PER_SCAN = 3

# What this process holds of one build (its version, the scan parts it read or loaded, their concatenation, the
# plan): a worker that runs several steps of one build reads the database or the work folder once. One build at a
# time, so memory stays that of one build.
_memo: dict = {}
_memo_lock = threading.Lock()
# The publish job frees what its own process holds (done()); every other process that ran a step of the build
# looks this often whether the build's work folder is still there, and lets go once it is gone. The folder is the
# signal because publish and abandon remove it on the shared tiles volume, from any machine, whatever the broker
# and the pool: a prefork worker's memo lives in its children, which a broadcast control command (answered by the
# worker's parent process) would not reach. Without this, a worker that did not publish kept 150 MB more for
# 200,000 buildings (384 MB against 234 MB, bench/jobs.py) until its next build.
RELEASE_POLL_S = 2.0


def _memo_of(layer: str, version: str) -> dict:
    with _memo_lock:
        if _memo.get("version") != (layer, version):
            _memo.clear()
            _memo.update(version=(layer, version), scans={})
            threading.Thread(
                target=_release_when_gone, args=(layer, version), name=f"release {layer}@{version}", daemon=True
            ).start()
    return _memo


def _release_when_gone(layer: str, version: str) -> None:
    work = SplitBuild(layer, version).work
    while _memo.get("version") == (layer, version):
        time.sleep(RELEASE_POLL_S)
        if not work.exists():
            drop_memo(layer, version)


def splittable(layer: str) -> bool:
    return layer in SPLITTABLE


def lock_key(layer: str) -> str:
    """The lock of a layer's builds, split or not: one build of a layer at a time."""
    return f"tiles:{layer}"


def lock_owner(layer: str, version: str) -> str:
    """Who holds the layer's lock for a split build: the build itself, whichever worker runs its steps."""
    return f"build {layer}@{version}"


class SplitBuild:
    """The folders of one split build on the tiles volume."""

    def __init__(self, layer: str, version: str):
        if not splittable(layer):
            raise ValueError(f"Layer {layer!r} is built in one job; split builds exist for {sorted(SPLITTABLE)}.")
        self.layer, self.version = layer, version
        self.build = LayerBuild(settings.JUMEAU_TILES_DIR, layer, version)
        self.work = version_dir(settings.JUMEAU_TILES_DIR, layer, version).with_name(f"{version}.work")

    def state(self) -> dict:
        return json.loads((self.work / STATE).read_text())

    def record(self) -> TileBuild:
        return TileBuild.objects.get(pk=self.state()["record"])

    def attempt(self, step: str) -> None:
        """Count one start of `step`; BuildGone when the build is gone, an error past MAX_ATTEMPTS starts."""
        path = self.work / f"attempts-{step}"
        try:
            count = int(path.read_text()) + 1 if path.exists() else 1
            path.write_text(str(count))
        except FileNotFoundError as exc:
            raise BuildGone(
                f"Build {self.version} of layer {self.layer!r} was abandoned; this step is dropped."
            ) from exc
        if count > MAX_ATTEMPTS:
            raise RuntimeError(
                f"Step {step} of build {self.version} of layer {self.layer!r} started {count} times, its worker "
                "lost each time (out of memory?): the build is abandoned; see the worker's log and memory."
            )

    def scan_path(self, part: int) -> Path:
        return self.work / f"scan-{part:04d}.npz"

    def data(self) -> buildings.BuildingArrays:
        """The build's arrays: the scan parts this process read itself, the others loaded from the work folder."""
        memo = _memo_of(self.layer, self.version)
        if "data" not in memo:
            scans = memo["scans"]
            count = self.state()["scans"]
            memo["data"] = buildings.concat(
                [scans[i] if i in scans else buildings.load(self.scan_path(i)) for i in range(count)]
            )
            scans.clear()  # now held by the concatenation
        return memo["data"]

    def features(self) -> FeatureLayer:
        """What the plan needs of every building, from the scan parts' layer columns (no footprint decoded)."""
        parts = [buildings.load_layer(self.scan_path(i)) for i in range(self.state()["scans"])]
        columns = {name: np.concatenate([c[name] for c, _ in parts]) for name in buildings.LAYER_COLUMNS}
        return buildings.layer_of(columns, [d for _, digests in parts for d in digests])

    def plan(self) -> tuple[TilePlan, list[list[int]], int]:
        """The build's plan, its parts (indices into plan.todo) and its feature count, as plan() wrote them."""
        memo = _memo_of(self.layer, self.version)
        if "plan" not in memo:
            with collector.paused():
                memo["plan"] = pickle.loads((self.work / PLAN).read_bytes())
        return memo["plan"]


def start(layer: str, version: str, parts: int) -> list[tuple[int, int]]:
    """Open the build (its TileBuild row, build and work folders); the primary key ranges of its scan parts."""
    record = TileBuild.objects.create(layer=layer, version=version, status=TileBuild.Status.BUILDING)
    split = SplitBuild(layer, version)
    # Read before the data: entries a sync appends while the build runs stay past the cursor, for the next one.
    seen = Change.objects.head()
    try:
        ranges = buildings.scan_ranges(parts)
        if not ranges:
            raise NothingToBuild(
                "There are no buildings to tile: import a buildings file first "
                "(`manage.py import_file … --kind buildings`, or `manage.py load_demo`)."
            )
        split.build.root.mkdir(parents=True, exist_ok=True)
        split.build.open()
        split.work.mkdir()
        (split.work / STATE).write_text(
            json.dumps({"record": record.pk, "seen": seen, "scans": len(ranges), "parts": parts})
        )
    except Exception as exc:
        abandon(layer, version, exc)
        raise
    return ranges


def scan(layer: str, version: str, part: int, pk_range: tuple[int, int], progress: Progress = print) -> int:
    """Read one range of the layer's rows into the work folder; how many rows."""
    split = SplitBuild(layer, version)
    data = buildings.fetch(tuple(pk_range))
    path = split.scan_path(part)
    buildings.save(data, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)
    # Kept: the write parts this worker runs next need it (and a worker that scanned every part loads nothing).
    memo = _memo_of(layer, version)
    if "data" not in memo:
        memo["scans"][part] = data
    progress(f"  {layer}: scan part {part + 1}: {len(data)} rows")
    return len(data)


def plan(layer: str, version: str, progress: Progress = print) -> int:
    """Decide every tile of the build (linking the unchanged ones), and cut the tiles to write into parts;
    how many parts."""
    split = SplitBuild(layer, version)
    with collector.paused():
        features = split.features()
        tile_plan = buildings.plan(split.build, city_frame(), features)
        parts = tile_plan.parts(split.state()["parts"] * WRITES_PER_SCAN)
        saved = (tile_plan, parts, len(features))
        (split.work / f"{PLAN}.tmp").write_bytes(pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL))
    (split.work / f"{PLAN}.tmp").replace(split.work / PLAN)
    _memo_of(layer, version)["plan"] = saved
    progress(
        f"  {layer}: {len(features)} buildings, {len(tile_plan.todo)} tiles to write in {len(parts)} parts"
        + (f", {len(tile_plan.reused)} unchanged, reused" if tile_plan.reused else "")
    )
    return len(parts)


def preload(layer: str, version: str) -> int:
    """Load the build's arrays into this process before its write parts come (the scan parts it did not read are
    decoded, ~0.05 s each for 25,000 buildings); how many buildings. A worker idle while another plans runs it, so
    that its first write part does not start by decoding."""
    return len(SplitBuild(layer, version).data())


def write(layer: str, version: str, part: int, progress: Progress = print) -> list[TileOutput]:
    """Write one part's tiles into the build folder, in this process alone; (key, bytes, region, centre) of each."""
    split = SplitBuild(layer, version)
    data = split.data()
    tile_plan, parts, _ = split.plan()
    todo = [tile_plan.todo[i] for i in parts[part]]
    make_tile, make_parent = buildings.makers(data, city_frame())
    meter = Meter(f"  {layer} part {part + 1}/{len(parts)}", len(todo), progress, unit="tiles written")
    return write_tiles(split.build.path, todo, make_tile, make_parent, workers=1, advance=meter.advance)


def publish(layer: str, version: str, outputs: Sequence[Sequence[TileOutput]], progress: Progress = print) -> TileBuild:
    """Write the tilesets once every part is written, swap the build in, and record it."""
    split = SplitBuild(layer, version)
    tile_plan, _, features = split.plan()
    state = split.state()
    record = split.record()
    written = [(key, int(size), tuple(region), tuple(centre)) for part in outputs for key, size, region, centre in part]
    try:
        stats = finish_tiles(split.build, tile_plan, written, features=features)
        split.build.publish()
    except Exception as exc:
        abandon(layer, version, exc)
        raise
    record.seconds = (timezone.now() - record.started_at).total_seconds()
    record_published(record, stats, state["seen"], progress)
    # The work folder and the memo stay until done(): removing the scans (~0.1 s for 200,000 buildings) and freeing
    # the build's arrays need not delay the build's end; tiles.tasks calls done() once the publish job's result is
    # stored. Left behind by a worker that dies meanwhile, the folder goes with the layer's next prune.
    return record


def done(layer: str, version: str) -> None:
    """Remove what is left of a build that ended, published or not: its work folder, and what this process holds."""
    _forget(SplitBuild(layer, version))


def abandon(layer: str, version: str, error: BaseException | str) -> TileBuild | None:
    """Give up the build: its folders go, its row says why; the previous build still serves."""
    split = SplitBuild(layer, version)
    record = TileBuild.objects.filter(layer=layer, version=version).first()
    if record is not None and record.status == TileBuild.Status.BUILDING:
        record_failure(record, error, seconds=(timezone.now() - record.started_at).total_seconds())
    split.build.discard()
    _forget(split)
    return record


def reap_dead(layer: str, lease_s: float) -> list[str]:
    """Abandon the layer's split builds whose lease lapsed (no step of theirs ran for lease_s seconds: their worker
    died, or their jobs were lost with a broker that forgets a dead worker's message); the versions abandoned.

    Safe to run from any number of workers at once: the lapsed lock goes in one DELETE, and one conditional UPDATE
    of the build's row decides which caller undoes the build."""
    gone = []
    building = TileBuild.objects.filter(layer=layer, status=TileBuild.Status.BUILDING)
    for record in building.exclude(version=""):
        split = SplitBuild(layer, record.version)
        if not split.work.exists() or not reap(lock_key(layer), lock_owner(layer, record.version)):
            continue  # a build in one job (tiles.build has no work folder), or one still alive
        now = timezone.now()
        claimed = TileBuild.objects.filter(pk=record.pk, status=TileBuild.Status.BUILDING).update(
            status=TileBuild.Status.FAILED,
            finished_at=now,
            seconds=(now - record.started_at).total_seconds(),
            error=(
                f"Abandoned: no step of this build ran for {lease_s:g} s (a worker died mid-build, or its jobs "
                "were lost). The previous build still serves; the build is queued again."
            ),
        )
        if claimed:
            split.build.discard()
            _forget(split)
            gone.append(record.version)
    return gone


def _forget(split: SplitBuild) -> None:
    shutil.rmtree(split.work, ignore_errors=True)
    drop_memo(split.layer, split.version)


def drop_memo(layer: str, version: str) -> None:
    """Free what this process holds of the build (once it is published or abandoned)."""
    with _memo_lock:
        if _memo.get("version") != (layer, version):
            return
        _memo.clear()
    # The plan's quadtree is many small objects: freed, their memory stays with the process unless the collector
    # frees the cycles and glibc hands its free heap back.
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def _libc():
    """The C library already loaded into this process, if it is glibc (which alone has malloc_trim); looked up on
    the first build freed, not when every web and worker process imports this module."""
    libc = ctypes.CDLL(None)
    # Not glibc (musl, macOS): the freed memory is reused by the next build instead.
    return libc if hasattr(libc, "malloc_trim") else None
