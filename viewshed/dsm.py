"""The surface model: terrain + buildings (+ a project variant) as a 1 m DSM, cached on disk and patched after syncs."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from viewshed.errors import SurfaceModelError
from viewshed.raster_fill import burn_polygons, burn_triangles, resample_bilinear

Progress = Callable[[str], None]
FORMAT_VERSION = 1
SEA_LEVEL_M = 0.0
# DirtyArea rows written by a sync that was still running when the DSM read the
# buildings carry an earlier timestamp than that read: look back this far.
DIRTY_LOOKBACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Grid:
    """A north-up grid in the storage CRS: NW corner (xmin, ymax), square cells of `cell` metres."""

    xmin: float
    ymax: float
    cell: float
    rows: int
    cols: int

    @classmethod
    def for_extent(cls, extent: tuple[float, float, float, float], cell: float) -> "Grid":
        xmin, ymin, xmax, ymax = extent
        return cls(float(xmin), float(ymax), float(cell), int(np.ceil((ymax - ymin) / cell)), int(np.ceil((xmax - xmin) / cell)))

    def pixel(self, x, y):
        """Continuous (row, col) of storage-CRS x, y (metres); cell (r, c) spans [r, r + 1) x [c, c + 1)."""
        return (self.ymax - np.asarray(y, float)) / self.cell, (np.asarray(x, float) - self.xmin) / self.cell

    def cell_of(self, x: float, y: float) -> tuple[int, int] | None:
        """The cell holding x, y (metres), or None outside the grid."""
        r, c = self.pixel(x, y)
        r, c = int(np.floor(r)), int(np.floor(c))
        if 0 <= r < self.rows and 0 <= c < self.cols:
            return r, c
        return None

    def centre(self, r, c):
        """Storage-CRS x, y (metres) of the centre of cell (r, c)."""
        return self.xmin + (np.asarray(c, float) + 0.5) * self.cell, self.ymax - (np.asarray(r, float) + 0.5) * self.cell

    def as_list(self) -> list:
        return [self.xmin, self.ymax, self.cell, self.rows, self.cols]


@dataclass
class SurfaceModel:
    """The DSM (float32 metres, orthometric; sea at 0) and the sea mask, on one grid."""

    grid: Grid
    dsm: np.ndarray
    sea: np.ndarray
    fingerprint: str = ""


@dataclass
class Patch:
    """Heights to raise a DSM to (max) on the window starting at cell (r0, c0); -inf leaves a cell as is."""

    r0: int
    c0: int
    heights: np.ndarray

    def apply(self, window: np.ndarray, wr0: int, wc0: int) -> tuple[slice, slice] | None:
        """Raise `window` (whose cell (0, 0) is grid cell (wr0, wc0)) in place; returns the slices touched."""
        h, w = self.heights.shape
        ra, rb = max(self.r0, wr0), min(self.r0 + h, wr0 + window.shape[0])
        ca, cb = max(self.c0, wc0), min(self.c0 + w, wc0 + window.shape[1])
        if ra >= rb or ca >= cb:
            return None
        dst = (slice(ra - wr0, rb - wr0), slice(ca - wc0, cb - wc0))
        np.maximum(window[dst], self.heights[ra - self.r0:rb - self.r0, ca - self.c0:cb - self.c0], out=window[dst])
        return dst


# --- Pure builders -----------------------------------------------------------------


def polygons_to_pixel_arrays(polygons: Iterable[tuple[object, float]], grid: Grid, r0: int = 0, c0: int = 0):
    """Flatten (coords, value) pairs into the arrays `burn_polygons` takes, in the pixel space of a window.

    coords: a MultiPolygon's `.coords` (polygons of rings of (x, y) in the
    storage CRS, metres) or a Polygon's; value: metres. (r0, c0): the grid
    cell that is the window's (0, 0).
    """
    rings: list[np.ndarray] = []
    ring_start = [0]
    poly_ring_start = [0]
    values: list[float] = []
    n = 0
    for coords, value in polygons:
        polys = coords if coords and isinstance(coords[0][0][0], (tuple, list)) else (coords,)
        for poly in polys:
            for ring in poly:
                arr = np.asarray(ring, dtype=np.float64)[:, :2]
                if len(arr) > 1 and arr[0, 0] == arr[-1, 0] and arr[0, 1] == arr[-1, 1]:
                    arr = arr[:-1]
                rings.append(arr)
                n += len(arr)
                ring_start.append(n)
            poly_ring_start.append(len(ring_start) - 1)
            values.append(value)
    if not values:
        empty = np.zeros(0)
        return empty, empty, np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(0, np.float32)
    xy = np.concatenate(rings)
    # One transform for every vertex: per-ring numpy calls would dominate for 20,000 footprints.
    rr, cc = grid.pixel(xy[:, 0], xy[:, 1])
    return (cc - c0, rr - r0, np.asarray(ring_start, np.int64),
            np.asarray(poly_ring_start, np.int64), np.asarray(values, np.float32))


def terrain_window(terrain: tuple[np.ndarray, tuple[float, float], tuple[float, float], float | None],
                   grid: Grid, r0: int, c0: int, rows: int, cols: int) -> np.ndarray:
    """Terrain heights (float32, metres) at the centres of grid cells [r0, r0 + rows) x [c0, c0 + cols).

    terrain: (heights, (x_min, y_max), (pixel width, pixel height), nodata).
    """
    data, origin, pixel, nodata = terrain
    x0 = grid.xmin + c0 * grid.cell
    y0 = grid.ymax - r0 * grid.cell
    return resample_bilinear(data, origin, pixel, (x0, y0), grid.cell, (rows, cols), nodata=nodata, fill=SEA_LEVEL_M)


def surface_window(terrain, buildings: Iterable[tuple[object, float]], grid: Grid,
                   r0: int, c0: int, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """DSM and sea mask of a window: terrain, sea flattened to sea level, buildings burnt at their roof.

    buildings: (footprint coords in the storage CRS, roof height in metres).
    Returns (float32 heights, bool sea) shaped (rows, cols).
    """
    ground = terrain_window(terrain, grid, r0, c0, rows, cols)
    sea = ground < SEA_LEVEL_M
    # The viewshed looks at the water surface, not at the bathymetry.
    ground[sea] = SEA_LEVEL_M
    burn_polygons(ground, *polygons_to_pixel_arrays(buildings, grid, r0, c0))
    return ground, sea


def triangles_patch(triangles: np.ndarray, grid: Grid) -> Patch | None:
    """The patch a triangle mesh makes: its highest surface over each cell.

    triangles: (n, 3, 3) x, y in the storage CRS (metres) and orthometric z.
    """
    tri = np.asarray(triangles, dtype=np.float64).reshape(-1, 3, 3)
    if not len(tri):
        return None
    rows_f, cols_f = grid.pixel(tri[..., 0], tri[..., 1])
    ra, rb = max(int(np.floor(rows_f.min())), 0), min(int(np.ceil(rows_f.max())) + 1, grid.rows)
    ca, cb = max(int(np.floor(cols_f.min())), 0), min(int(np.ceil(cols_f.max())) + 1, grid.cols)
    if ra >= rb or ca >= cb:
        return None
    local = np.stack([cols_f - ca, rows_f - ra, tri[..., 2]], axis=-1)
    heights = np.full((rb - ra, cb - ca), -np.inf, dtype=np.float32)
    burn_triangles(heights, local)
    return Patch(ra, ca, heights)


def footprint_patch(coords, top_z: float, grid: Grid) -> Patch | None:
    """The patch of a footprint (MultiPolygon coords, storage CRS) raised to `top_z` metres."""
    xs, ys, rs, ps, vs = polygons_to_pixel_arrays([(coords, top_z)], grid)
    if not len(xs):
        return None
    ra, rb = max(int(np.floor(ys.min())), 0), min(int(np.ceil(ys.max())) + 1, grid.rows)
    ca, cb = max(int(np.floor(xs.min())), 0), min(int(np.ceil(xs.max())) + 1, grid.cols)
    if ra >= rb or ca >= cb:
        return None
    heights = np.full((rb - ra, cb - ca), -np.inf, dtype=np.float32)
    burn_polygons(heights, xs - ca, ys - ra, rs, ps, vs)
    return Patch(ra, ca, heights)


def load_mesh_triangles(path: Path) -> np.ndarray:
    """Triangles (n, 3, 3) from a variant's npz: a `triangles` array, or `vertices` + `faces`/`indices`."""
    with np.load(path) as npz:
        if "triangles" in npz:
            return np.asarray(npz["triangles"], dtype=np.float64).reshape(-1, 3, 3)
        vertices = npz["vertices"] if "vertices" in npz else npz["positions"]
        faces = npz["faces"] if "faces" in npz else npz["indices"]
        return np.asarray(vertices, dtype=np.float64)[np.asarray(faces).reshape(-1, 3)]


# --- The cache, on the Django side -------------------------------------------------------


def dsm_dir() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "dsm"


def default_grid() -> Grid:
    from django.conf import settings

    return Grid.for_extent(settings.JUMEAU_EXTENT, float(getattr(settings, "JUMEAU_DSM_CELL_M", 1.0)))


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
        text = json.dumps([FORMAT_VERSION, self.terrain_key, self.building_count, self.last_update, self.top_id,
                           self.grid.as_list()])
        return hashlib.sha256(text.encode()).hexdigest()[:20]


def data_state(grid: Grid | None = None) -> DataState:
    from django.db.models import Count, Max

    from twin.models import Building, Terrain

    terrain = Terrain.current()
    if terrain is None:
        raise SurfaceModelError("No active terrain: import a terrain GeoTIFF (a 'terrain' sync source) before asking for a view.")
    try:
        st = terrain.path.stat()
    except OSError as exc:
        raise SurfaceModelError(f"The terrain file of {terrain.name!r} cannot be read ({exc.strerror}): re-import the terrain.") from None
    agg = Building.objects.aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    return DataState(
        terrain_key=f"{terrain.pk}:{terrain.checksum}:{terrain.file}:{st.st_mtime_ns}:{st.st_size}",
        building_count=agg["n"] or 0,
        last_update=agg["last"].isoformat() if agg["last"] else "",
        top_id=agg["top"] or 0,
        grid=grid or default_grid(),
    )


def _read_terrain():
    from django.contrib.gis.gdal import GDALRaster

    from twin.models import Terrain

    terrain = Terrain.current()
    raster = GDALRaster(str(terrain.path))
    band = raster.bands[0]
    sx, sy = raster.scale
    return band.data(), tuple(raster.origin), (abs(sx), abs(sy)), band.nodata_value


def _buildings(bbox: tuple[float, float, float, float] | None = None):
    from django.contrib.gis.geos import Polygon

    from twin.models import Building

    qs = Building.objects.all()
    if bbox is not None:
        qs = qs.filter(footprint__bboverlaps=Polygon.from_bbox(bbox))
    for footprint, roof_z in qs.values_list("footprint", "roof_z").iterator(chunk_size=2000):
        yield footprint.coords, float(roof_z)


def _strips(grid: Grid, r0: int, r1: int, c0: int, c1: int, terrain, progress: Progress | None):
    """Build [r0, r1) x [c0, c1) strip by strip (bounded memory, progress), buildings fetched per strip."""
    strip = 1000
    for a in range(r0, r1, strip):
        b = min(a + strip, r1)
        x0, x1 = grid.xmin + c0 * grid.cell, grid.xmin + c1 * grid.cell
        y1, y0 = grid.ymax - a * grid.cell, grid.ymax - b * grid.cell
        yield a, b, surface_window(terrain, _buildings((x0, y0, x1, y1)), grid, a, c0, b - a, c1 - c0)
        if progress:
            progress(f"  DSM rows {b - r0:,}/{r1 - r0:,}")


def _write_atomic(path: Path, array: np.ndarray) -> None:
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, array)
    os.replace(tmp, path)


class SurfaceCache:
    """The DSM files under VAR_DIR/dsm: `meta.json` names the current fingerprint and its two .npy files."""

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
        if not ((self.folder / meta["dsm"]).is_file() and (self.folder / meta["sea"]).is_file()):
            return None
        return meta

    def open(self, meta: dict) -> SurfaceModel:
        grid = Grid(*meta["grid"][:3], int(meta["grid"][3]), int(meta["grid"][4]))
        dsm = np.load(self.folder / meta["dsm"], mmap_mode="r")
        sea = np.load(self.folder / meta["sea"], mmap_mode="r")
        return SurfaceModel(grid, dsm, sea, meta["fingerprint"])

    def publish(self, state: DataState, dsm: np.ndarray, sea: np.ndarray, read_at: datetime, mode: str,
                seconds: float, area: list | None = None) -> dict:
        self.folder.mkdir(parents=True, exist_ok=True)
        fp = state.fingerprint
        names = {"dsm": f"dsm-{fp}.npy", "sea": f"sea-{fp}.npy"}
        _write_atomic(self.folder / names["dsm"], dsm)
        _write_atomic(self.folder / names["sea"], sea)
        meta = {
            "format": FORMAT_VERSION, "fingerprint": fp, "grid": state.grid.as_list(), "terrain_key": state.terrain_key,
            "building_count": state.building_count, "last_update": state.last_update, "top_id": state.top_id,
            "read_at": read_at.isoformat(), "mode": mode, "seconds": round(seconds, 3), "patched_area": area, **names,
        }
        tmp = self.meta_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta, indent=1))
        os.replace(tmp, self.meta_path)
        # Older files go; a process that mapped them keeps reading its open inode.
        for old in self.folder.glob("*.npy"):
            if old.name not in names.values():
                old.unlink(missing_ok=True)
        return meta


def _dirty_window(meta: dict, state: DataState) -> tuple[int, int, int, int, list] | None:
    """The cell window to rebuild when only buildings inside recorded DirtyAreas changed, else None."""
    from django.contrib.gis.geos import MultiPolygon
    from django.utils.dateparse import parse_datetime

    from tiles.models import DirtyArea
    from twin.models import Building

    if meta.get("terrain_key") != state.terrain_key or meta.get("grid") != state.grid.as_list():
        return None
    read_at = parse_datetime(meta.get("read_at", ""))
    if read_at is None:
        return None
    areas = list(DirtyArea.objects.filter(layer="buildings", created_at__gte=read_at - DIRTY_LOOKBACK)
                 .values_list("area", flat=True))
    if not areas:
        return None
    union = MultiPolygon([p for a in areas for p in a], srid=areas[0].srid).unary_union
    changed = Building.objects.all()
    if meta.get("last_update"):
        changed = changed.filter(updated_at__gt=parse_datetime(meta["last_update"]))
    for footprint in changed.values_list("footprint", flat=True).iterator(chunk_size=2000):
        if not union.contains(footprint):
            return None  # a change nobody recorded: rebuild everything
    xmin, ymin, xmax, ymax = union.extent
    g = state.grid
    r0, c0 = g.pixel(xmin, ymax)
    r1, c1 = g.pixel(xmax, ymin)
    r0, c0 = max(int(np.floor(r0)) - 1, 0), max(int(np.floor(c0)) - 1, 0)
    r1, c1 = min(int(np.ceil(r1)) + 1, g.rows), min(int(np.ceil(c1)) + 1, g.cols)
    if r0 >= r1 or c0 >= c1:
        return None
    return r0, r1, c0, c1, [xmin, ymin, xmax, ymax]


_lock = threading.Lock()
_memo: dict = {"key": None, "surface": None, "checked": 0.0}


def ensure_surface(progress: Progress | None = None, force: bool = False) -> SurfaceModel:
    """The current surface model: from the cache, patched over DirtyAreas, or built in full.

    Builds at most once at a time in this process; files are replaced
    atomically so other processes never read half a DSM.
    """
    from django.utils import timezone

    with _lock:
        cache = SurfaceCache(dsm_dir())
        state = data_state()
        meta = cache.meta()
        if meta is not None and meta["fingerprint"] == state.fingerprint and not force:
            return _remember(cache, meta)
        read_at = timezone.now()
        terrain = _read_terrain()
        g = state.grid
        t0 = time.perf_counter()
        window = None if (meta is None or force) else _dirty_window(meta, state)
        if window is not None:
            r0, r1, c0, c1, area = window
            old = cache.open(meta)
            dsm, sea = np.array(old.dsm), np.array(old.sea)
            del old
            if progress:
                progress(f"Patching the DSM over {r1 - r0} x {c1 - c0} cells changed by syncs")
            for a, b, (part, part_sea) in _strips(g, r0, r1, c0, c1, terrain, progress):
                dsm[a:b, c0:c1] = part
                sea[a:b, c0:c1] = part_sea
            mode = "patch"
        else:
            if progress:
                progress(f"Building the DSM: {g.rows:,} x {g.cols:,} cells of {g.cell:g} m, "
                         f"{state.building_count:,} buildings")
            dsm = np.empty((g.rows, g.cols), dtype=np.float32)
            sea = np.empty((g.rows, g.cols), dtype=bool)
            for a, b, (part, part_sea) in _strips(g, 0, g.rows, 0, g.cols, terrain, progress):
                dsm[a:b] = part
                sea[a:b] = part_sea
            mode, area = "full", None
        meta = cache.publish(state, dsm, sea, read_at, mode, time.perf_counter() - t0, area)
        if progress:
            progress(f"DSM {mode} build done in {meta['seconds']:.1f} s: {cache.folder / meta['dsm']}")
        return _remember(cache, meta)


def _remember(cache: SurfaceCache, meta: dict) -> SurfaceModel:
    key = (str(cache.folder), meta["fingerprint"])
    if _memo["key"] != key:
        _memo["surface"] = cache.open(meta)
        _memo["key"] = key
    _memo["checked"] = time.monotonic()
    return _memo["surface"]


def current_surface(max_age_s: float = 5.0) -> SurfaceModel:
    """The surface model, checking the database for changes at most every `max_age_s` seconds."""
    surface = _memo["surface"]
    if (surface is not None and _memo["key"] and _memo["key"][0] == str(dsm_dir())
            and time.monotonic() - _memo["checked"] < max_age_s):
        return surface
    return ensure_surface()


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
