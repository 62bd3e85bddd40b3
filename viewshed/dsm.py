"""The surface model: terrain + buildings (+ a project variant) as a 1 m DSM, cached on disk and patched after syncs.

The Django side: it reads the terrain, the buildings and twin's change log, and keeps the cache under VAR_DIR/dsm;
the arrays and the burning are viewshed.surface, a pure core.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.gis.gdal import GDALRaster
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db.models import Count, FloatField, Func, Max, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from twin.models import Building, Change, ChangeCursor, Terrain
from viewshed.errors import SurfaceModelError, SurfaceModelMissing
from viewshed.surface import (
    Grid,
    Patch,
    SurfaceModel,
    boxes_overlap,
    boxes_within,
    building_record,
    footprint_patch,
    load_mesh_triangles,
    surface_window,
    triangles_patch,
)

Progress = Callable[[str], None]
# 2: each DSM comes with the record of the buildings burnt into it (ids and bounding boxes).
FORMAT_VERSION = 2
# This module's name in twin's change log; it reads the buildings' entries.
LOG_CONSUMER = "viewshed"
# A patch grown to cover changes no sync recorded (an admin delete or move) stays a
# patch up to this share of the grid; beyond it a full build costs about the same.
MAX_GROWN_PATCH_SHARE = 0.25


def dsm_dir() -> Path:
    return Path(settings.VAR_DIR) / "dsm"


def default_grid() -> Grid:
    return Grid.for_extent(settings.JUMEAU_EXTENT, float(settings.JUMEAU_DSM_CELL_M))


@dataclass(frozen=True)
class DataState:
    """What the DSM depends on; its hash names the cached files."""

    terrain_key: str
    building_count: int
    last_update: str
    top_id: int
    grid: Grid

    @property
    def fingerprint(self) -> str:
        text = json.dumps(
            [FORMAT_VERSION, self.terrain_key, self.building_count, self.last_update, self.top_id, self.grid.as_list()]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:20]


def data_state(grid: Grid | None = None) -> DataState:
    terrain = Terrain.current()
    if terrain is None:
        raise SurfaceModelError(
            "No active terrain: import a terrain GeoTIFF (a 'terrain' sync source) before asking for a view."
        )
    try:
        st = terrain.path.stat()
    except OSError as exc:
        raise SurfaceModelError(
            f"The terrain file of {terrain.name!r} cannot be read ({exc.strerror}): re-import the terrain."
        ) from None
    agg = Building.objects.aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    return DataState(
        terrain_key=f"{terrain.pk}:{terrain.checksum}:{terrain.file}:{st.st_mtime_ns}:{st.st_size}",
        building_count=agg["n"] or 0,
        last_update=agg["last"].isoformat() if agg["last"] else "",
        top_id=agg["top"] or 0,
        grid=grid or default_grid(),
    )


def _read_terrain():
    terrain = Terrain.current()
    raster = GDALRaster(str(terrain.path))
    band = raster.bands[0]
    sx, sy = raster.scale
    return band.data(), tuple(raster.origin), (abs(sx), abs(sy)), band.nodata_value


def _box_annotations() -> dict:
    """Per-row bounding box of the footprint, computed by the database (no geometry reaches Python)."""

    class _Bound(Func):
        output_field = FloatField()

        def __init__(self, expression, postgis: str, spatialite: str):
            super().__init__(expression)
            self.postgis, self.spatialite = postgis, spatialite

        def as_postgresql(self, compiler, connection, **extra):
            return super().as_sql(compiler, connection, function=self.postgis, **extra)

        def as_sqlite(self, compiler, connection, **extra):
            return super().as_sql(compiler, connection, function=self.spatialite, **extra)

    names = (
        ("bx0", "ST_XMin", "MbrMinX"),
        ("by0", "ST_YMin", "MbrMinY"),
        ("bx1", "ST_XMax", "MbrMaxX"),
        ("by1", "ST_YMax", "MbrMaxY"),
    )
    return {name: _Bound("footprint", pg, sl) for name, pg, sl in names}


BOX_FIELDS = ("bx0", "by0", "bx1", "by1")


def _buildings(bbox: tuple[float, float, float, float] | None = None, seen: list | None = None):
    """(footprint coords, roof z) of the buildings whose box overlaps `bbox`; their (id, box) go to `seen`."""
    qs = Building.objects.annotate(**_box_annotations())
    if bbox is not None:
        qs = qs.filter(footprint__bboverlaps=Polygon.from_bbox(bbox))
    rows = qs.values_list("footprint", "roof_z", "id", *BOX_FIELDS).iterator(chunk_size=2000)
    for footprint, roof_z, *box in rows:
        if seen is not None:
            seen.append(box)
        yield footprint.coords, float(roof_z)


def _strips(
    grid: Grid, r0: int, r1: int, c0: int, c1: int, terrain, progress: Progress | None, seen: list | None = None
):
    """Build [r0, r1) x [c0, c1) strip by strip (bounded memory, progress), buildings fetched per strip.

    The (id, xmin, ymin, xmax, ymax) of every building burnt go to `seen`: what the DSM holds, read
    in the same queries that burnt it.
    """
    strip = 1000
    for a in range(r0, r1, strip):
        b = min(a + strip, r1)
        x0, x1 = grid.xmin + c0 * grid.cell, grid.xmin + c1 * grid.cell
        y1, y0 = grid.ymax - a * grid.cell, grid.ymax - b * grid.cell
        yield a, b, surface_window(terrain, _buildings((x0, y0, x1, y1), seen), grid, a, c0, b - a, c1 - c0)
        if progress:
            progress(f"  DSM rows {b - r0:,}/{r1 - r0:,}")


TEMP_SUFFIX = ".part"
LOCK_NAME = ".build.lock"


def _replace_atomic(path: Path, write: Callable[[object], None]) -> None:
    """Write `path` through a temporary file of a unique name in its folder, then rename it over `path`.

    A reader sees the old file or the whole new one, never a half-written one; two writers never
    share a temporary file.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_atomic(path: Path, array: np.ndarray) -> None:
    _replace_atomic(path, lambda f: np.save(f, array))


@contextmanager
def build_lock(folder: Path) -> Iterator[None]:
    """Hold the DSM folder's build lock: one build at a time across every process sharing the folder.

    A build started while another runs waits for it, then finds the DSM current and keeps it. The
    lock dies with its holder (flock), so a killed build never leaves the folder locked; the
    temporary files such a build left are removed by the next holder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            for stale in folder.glob(f".*{TEMP_SUFFIX}"):
                stale.unlink(missing_ok=True)
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


class SurfaceCache:
    """The DSM files under VAR_DIR/dsm: `meta.json` names the current fingerprint and its three .npy files.

    dsm and sea are the surface; buildings is the record of what was burnt into it (RECORD_DTYPE),
    which lets a patch find where deleted or moved buildings used to stand.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    @property
    def meta_path(self) -> Path:
        return self.folder / "meta.json"

    def meta(self) -> dict | None:
        try:
            meta = json.loads(self.meta_path.read_text())
        except (OSError, ValueError):
            return None
        if meta.get("format") != FORMAT_VERSION:
            return None
        if not all((self.folder / meta.get(key, "")).is_file() for key in ("dsm", "sea", "buildings")):
            return None
        return meta

    def record(self, meta: dict) -> np.ndarray:
        """The buildings burnt into the DSM `meta` names: RECORD_DTYPE, sorted by id."""
        return np.load(self.folder / meta["buildings"])

    def open(self, meta: dict) -> SurfaceModel:
        grid = _meta_grid(meta)
        dsm = np.load(self.folder / meta["dsm"], mmap_mode="r")
        sea = np.load(self.folder / meta["sea"], mmap_mode="r")
        return SurfaceModel(grid, dsm, sea, meta["fingerprint"])

    def publish(
        self,
        state: DataState,
        dsm: np.ndarray,
        sea: np.ndarray,
        record: np.ndarray,
        read_at: datetime,
        mode: str,
        seconds: float,
        area: list | None = None,
        log_position: int = 0,
    ) -> dict:
        self.folder.mkdir(parents=True, exist_ok=True)
        fp = state.fingerprint
        names = {"dsm": f"dsm-{fp}.npy", "sea": f"sea-{fp}.npy", "buildings": f"buildings-{fp}.npy"}
        _write_atomic(self.folder / names["dsm"], dsm)
        _write_atomic(self.folder / names["sea"], sea)
        _write_atomic(self.folder / names["buildings"], record)
        meta = {
            "format": FORMAT_VERSION,
            "fingerprint": fp,
            "grid": state.grid.as_list(),
            "terrain_key": state.terrain_key,
            "building_count": state.building_count,
            "last_update": state.last_update,
            "top_id": state.top_id,
            "buildings_recorded": int(len(record)),
            "read_at": read_at.isoformat(),
            "mode": mode,
            "log_position": log_position,
            "seconds": round(seconds, 3),
            "patched_area": area,
            **names,
        }
        _replace_atomic(self.meta_path, lambda f: f.write(json.dumps(meta, indent=1).encode()))
        # meta.json is the commit point: the three files it names are in place before it.
        # Older files go; a process that mapped them keeps reading its open inode.
        for old in self.folder.glob("*.npy"):
            if old.name not in names.values():
                old.unlink(missing_ok=True)
        return meta


@dataclass(frozen=True)
class PatchPlan:
    """The cell window [r0, r1) x [c0, c1) to rebuild, its bounds in metres, and the recorded ids to drop."""

    r0: int
    r1: int
    c0: int
    c1: int
    bounds: tuple[float, float, float, float]  # the cells' outer edges, storage CRS, metres
    removed: np.ndarray  # ids in the record that are no longer in the database

    @property
    def area(self) -> list[float]:
        return list(self.bounds)


def _cell_window(g: Grid, xmin: float, ymin: float, xmax: float, ymax: float) -> tuple[int, int, int, int] | None:
    r0, c0 = g.pixel(xmin, ymax)
    r1, c1 = g.pixel(xmax, ymin)
    # One cell of margin: a box rounded outward by the database still falls inside.
    r0, c0 = max(int(np.floor(r0)) - 1, 0), max(int(np.floor(c0)) - 1, 0)
    r1, c1 = min(int(np.ceil(r1)) + 1, g.rows), min(int(np.ceil(c1)) + 1, g.cols)
    if r0 >= r1 or c0 >= c1:
        return None
    return r0, r1, c0, c1


def _dirty_window(meta: dict, state: DataState, record: np.ndarray) -> PatchPlan | None:
    """The window to rebuild when buildings changed since the DSM of `meta`, or None for a full build.

    The window starts as the extent of the change-log entries syncs appended past the DSM's position in
    the log, and grows to cover every change they did not record, which the record of burnt buildings
    reveals: a deleted building's old box, an edited one's old box and new footprint, a new one's footprint.
    Sync updates keep their `updated_at`, so those rely on the sync's entry, which holds their old and new
    boxes. A DSM from before the log (no position) is built in full once.
    """

    if meta.get("terrain_key") != state.terrain_key or meta.get("grid") != state.grid.as_list():
        return None
    position = meta.get("log_position")
    if position is None:
        return None
    areas = list(Change.objects.after(position).filter(layer="buildings").values_list("area", flat=True))
    if not areas:
        return None
    union = MultiPolygon([p for a in areas for p in a], srid=areas[0].srid).unary_union
    recorded = union.extent

    rec_ids = record["id"]
    db_ids = np.fromiter(Building.objects.values_list("id", flat=True).iterator(chunk_size=20000), np.int64)
    db_ids.sort()
    removed = np.setdiff1d(rec_ids, db_ids, assume_unique=True)
    created = np.setdiff1d(db_ids, rec_ids, assume_unique=True)
    top = int(rec_ids[-1]) if len(rec_ids) else 0
    changed = Building.objects.annotate(**_box_annotations())
    edited = Q(id__gt=top)
    if meta.get("last_update"):
        edited |= Q(updated_at__gt=parse_datetime(meta["last_update"]))
    rows = np.asarray(list(changed.filter(edited).values_list("id", *BOX_FIELDS)), np.float64).reshape(-1, 5)
    changed_ids = rows[:, 0].astype(np.int64)
    if not np.isin(created, changed_ids).all():
        return None  # a new building under a reused id, not newer than the DSM: nothing tells where it was
    at = np.searchsorted(rec_ids, changed_ids)
    known = at < len(rec_ids)
    known[known] = rec_ids[at[known]] == changed_ids[known]
    boxes = np.concatenate(
        [
            rows[:, 1:],  # where changed buildings stand now
            record["box"][at[known]],  # where they stood in the DSM
            record["box"][np.searchsorted(rec_ids, removed)],  # where deleted ones stood
        ]
    )
    if np.isnan(boxes).any():
        return None
    bounds = recorded
    if len(boxes) and not boxes_within(boxes, recorded).all():
        bounds = (
            min(recorded[0], boxes[:, 0].min()),
            min(recorded[1], boxes[:, 1].min()),
            max(recorded[2], boxes[:, 2].max()),
            max(recorded[3], boxes[:, 3].max()),
        )
    g = state.grid
    cells = _cell_window(g, *bounds)
    if cells is None:
        return None
    r0, r1, c0, c1 = cells
    if bounds != recorded and (r1 - r0) * (c1 - c0) > MAX_GROWN_PATCH_SHARE * g.rows * g.cols:
        return None
    edges = (g.xmin + c0 * g.cell, g.ymax - r1 * g.cell, g.xmin + c1 * g.cell, g.ymax - r0 * g.cell)
    return PatchPlan(r0, r1, c0, c1, edges, removed)


def _patched_record(record: np.ndarray, plan: PatchPlan, read: np.ndarray) -> np.ndarray | None:
    """The record after a patch, or None when the patch missed a change no timestamp showed.

    `read`: the buildings the patch burnt (RECORD_DTYPE). A building whose box moved must have left
    and reached cells inside the window; a recorded building over the window that the patch did not
    read anymore has moved out of it.
    """
    at = np.searchsorted(record["id"], read["id"])
    known = at < len(record)
    known[known] = record["id"][at[known]] == read["id"][known]
    old = record["box"][at[known]]
    new = read["box"][known]
    moved = np.any(old != new, axis=1)
    if not (boxes_within(old[moved], plan.bounds).all() and boxes_within(new[moved], plan.bounds).all()):
        return None
    # Buildings new to the record were checked by _dirty_window, or lie within the window when read.
    if not boxes_within(read["box"][~known], plan.bounds).all():
        return None
    gone = np.isin(record["id"], plan.removed, assume_unique=True)
    over = boxes_overlap(record["box"], plan.bounds) & ~gone
    if not np.isin(record["id"][over], read["id"], assume_unique=True).all():
        return None
    kept = record[~gone & ~np.isin(record["id"], read["id"], assume_unique=True)]
    merged = np.concatenate([kept, read])
    return merged[np.argsort(merged["id"], kind="stable")]


_memo_lock = threading.Lock()
_memo: dict = {"key": None, "surface": None, "checked": 0.0}


def ensure_surface(progress: Progress | None = None, force: bool = False) -> SurfaceModel:
    """The current surface model: from the cache, patched over the change log's new entries, or built in full.

    For jobs and commands only (a build reads every building): requests read `published_surface`.
    Builds one at a time across processes (`build_lock`); files are replaced atomically so readers
    never see half a DSM.
    """

    with build_lock(dsm_dir()):
        cache = SurfaceCache(dsm_dir())
        state = data_state()
        meta = cache.meta()
        if meta is not None and meta["fingerprint"] == state.fingerprint and not force:
            return _remember(cache, meta)
        read_at = timezone.now()
        # Read before the buildings: what a sync appends from now on is past this position, for the next patch.
        position = Change.objects.head()
        terrain = _read_terrain()
        g = state.grid
        t0 = time.perf_counter()
        record = None
        if meta is not None and not force:
            plan = _dirty_window(meta, state, cache.record(meta))
            if plan is not None:
                record, dsm, sea = _patch(cache, meta, plan, terrain, progress)
                mode, area = "patch", plan.area
                if record is None and progress:
                    progress("A building changed outside the patched window without a record of it: full build")
        if record is None:
            dsm = sea = None  # a patch given up: let its copies go before the full arrays exist
            if progress:
                progress(
                    f"Building the DSM: {g.rows:,} x {g.cols:,} cells of {g.cell:g} m, "
                    f"{state.building_count:,} buildings"
                )
            dsm = np.empty((g.rows, g.cols), dtype=np.float32)
            sea = np.empty((g.rows, g.cols), dtype=bool)
            seen: list = []
            for a, b, (part, part_sea) in _strips(g, 0, g.rows, 0, g.cols, terrain, progress, seen):
                dsm[a:b] = part
                sea[a:b] = part_sea
            record = building_record(seen)
            mode, area = "full", None
        meta = cache.publish(state, dsm, sea, record, read_at, mode, time.perf_counter() - t0, area, position)
        ChangeCursor.advance(LOG_CONSUMER, "buildings", position)
        if progress:
            progress(f"DSM {mode} build done in {meta['seconds']:.1f} s: {cache.folder / meta['dsm']}")
        return _remember(cache, meta)


def _patch(cache: SurfaceCache, meta: dict, plan: PatchPlan, terrain, progress: Progress | None):
    """(record, dsm, sea) of the cached DSM rebuilt over the plan's window; record None if it cannot stand."""
    old = cache.open(meta)
    dsm, sea = np.array(old.dsm), np.array(old.sea)
    del old
    if progress:
        progress(f"Patching the DSM over {plan.r1 - plan.r0} x {plan.c1 - plan.c0} cells changed since it was built")
    seen: list = []
    for a, b, (part, part_sea) in _strips(
        _meta_grid(meta), plan.r0, plan.r1, plan.c0, plan.c1, terrain, progress, seen
    ):
        dsm[a:b, plan.c0 : plan.c1] = part
        sea[a:b, plan.c0 : plan.c1] = part_sea
    return _patched_record(cache.record(meta), plan, building_record(seen)), dsm, sea


def _meta_grid(meta: dict) -> Grid:
    """The grid a cached DSM was built on, from its meta.json."""
    return Grid(*meta["grid"][:3], int(meta["grid"][3]), int(meta["grid"][4]))


def _remember(cache: SurfaceCache, meta: dict) -> SurfaceModel:
    key = (str(cache.folder), meta["fingerprint"])
    with _memo_lock:
        if _memo["key"] != key:
            _memo["surface"] = cache.open(meta)
            _memo["key"] = key
        _memo["checked"] = time.monotonic()
        return _memo["surface"]


def published_surface(max_age_s: float = 5.0) -> SurfaceModel:
    """The last DSM a job published, looking for a newer one at most every `max_age_s` seconds.

    Never builds: a build reads every building and takes minutes on a city, far too long and too
    heavy for a request. Data changed since the DSM was built show once the job that rebuilds the
    tiles has rebuilt it (`manage.py build_dsm`). Raises SurfaceModelMissing while none exists.
    """
    folder = dsm_dir()
    with _memo_lock:
        surface = _memo["surface"]
        if (
            surface is not None
            and _memo["key"]
            and _memo["key"][0] == str(folder)
            and time.monotonic() - _memo["checked"] < max_age_s
        ):
            return surface
    cache = SurfaceCache(folder)
    for _ in range(3):
        meta = cache.meta()
        if meta is None:
            raise SurfaceModelMissing(
                f"The surface model for views is being prepared (none yet in {folder}): "
                "run `manage.py build_dsm`, or wait for the job that rebuilds the tiles."
            )
        try:
            return _remember(cache, meta)
        except OSError:
            continue  # a build replaced the files meta.json named between our two reads: read it again
    raise SurfaceModelError(f"The surface model in {folder} keeps changing while being read: try again shortly.")


def variant_patch(variant, grid: Grid) -> Patch | None:
    """The DSM patch of a project variant: its mesh's top surface, else its footprint at max_z."""
    if variant.mesh_file:
        path = Path(variant.mesh_file)
        if path.is_file():
            try:
                return triangles_patch(load_mesh_triangles(path), grid)
            except (OSError, KeyError, ValueError):
                pass  # an unreadable mesh: fall back on the footprint
    if variant.footprint is not None and variant.max_z is not None:
        return footprint_patch(variant.footprint.coords, float(variant.max_z), grid)
    return None
