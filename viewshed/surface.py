"""The surface model as arrays: its grid, the DSM and sea mask, patches, and the builders that burn terrain,
buildings and project meshes into it.

A pure core (numpy and the numba fills, no Django): the service, the shadow sweeps, realtime's shade and
bench/viewshed.py use it without Django set up; viewshed.dsm reads the database and the cache around it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from viewshed.raster_fill import burn_polygons, burn_triangles, resample_bilinear

SEA_LEVEL_M = 0.0
# One row per building burnt into a DSM: its id and the bounding box of its footprint
# (storage CRS, metres), as the database computes it. Sorted by id, ids unique.
RECORD_DTYPE = np.dtype([("id", "<i8"), ("box", "<f8", (4,))])


@dataclass(frozen=True)
class Grid:
    """A north-up grid in the storage CRS: NW corner (xmin, ymax), square cells of `cell` metres."""

    xmin: float
    ymax: float
    cell: float
    rows: int
    cols: int

    @classmethod
    def for_extent(cls, extent: tuple[float, float, float, float], cell: float) -> Grid:
        xmin, ymin, xmax, ymax = extent
        return cls(
            float(xmin),
            float(ymax),
            float(cell),
            int(np.ceil((ymax - ymin) / cell)),
            int(np.ceil((xmax - xmin) / cell)),
        )

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
        return self.xmin + (np.asarray(c, float) + 0.5) * self.cell, self.ymax - (
            np.asarray(r, float) + 0.5
        ) * self.cell

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
        np.maximum(window[dst], self.heights[ra - self.r0 : rb - self.r0, ca - self.c0 : cb - self.c0], out=window[dst])
        return dst


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
    return (
        cc - c0,
        rr - r0,
        np.asarray(ring_start, np.int64),
        np.asarray(poly_ring_start, np.int64),
        np.asarray(values, np.float32),
    )


def terrain_window(
    terrain: tuple[np.ndarray, tuple[float, float], tuple[float, float], float | None],
    grid: Grid,
    r0: int,
    c0: int,
    rows: int,
    cols: int,
) -> np.ndarray:
    """Terrain heights (float32, metres) at the centres of grid cells [r0, r0 + rows) x [c0, c0 + cols).

    terrain: (heights, (x_min, y_max), (pixel width, pixel height), nodata).
    """
    data, origin, pixel, nodata = terrain
    x0 = grid.xmin + c0 * grid.cell
    y0 = grid.ymax - r0 * grid.cell
    return resample_bilinear(data, origin, pixel, (x0, y0), grid.cell, (rows, cols), nodata=nodata, fill=SEA_LEVEL_M)


def surface_window(
    terrain, buildings: Iterable[tuple[object, float]], grid: Grid, r0: int, c0: int, rows: int, cols: int
) -> tuple[np.ndarray, np.ndarray]:
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


def building_record(rows: list[tuple[int, float, float, float, float]]) -> np.ndarray:
    """The record (RECORD_DTYPE, sorted by id) of (id, xmin, ymin, xmax, ymax) rows, metres.

    A building read twice (it crosses a strip edge) keeps one row, its boxes merged.
    """
    if not rows:
        return np.zeros(0, RECORD_DTYPE)
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 5)
    ids = arr[:, 0].astype(np.int64)
    order = np.argsort(ids, kind="stable")
    ids, boxes = ids[order], arr[order, 1:]
    uniq, start = np.unique(ids, return_index=True)
    out = np.empty(len(uniq), RECORD_DTYPE)
    out["id"] = uniq
    out["box"][:, :2] = np.minimum.reduceat(boxes[:, :2], start, axis=0)
    out["box"][:, 2:] = np.maximum.reduceat(boxes[:, 2:], start, axis=0)
    return out


def boxes_within(boxes: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """Which (n, 4) boxes lie inside `bounds` (xmin, ymin, xmax, ymax, metres); NaN boxes never do."""
    x0, y0, x1, y1 = bounds
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return (b[:, 0] >= x0) & (b[:, 1] >= y0) & (b[:, 2] <= x1) & (b[:, 3] <= y1)


def boxes_overlap(boxes: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """Which (n, 4) boxes share interior with `bounds` (xmin, ymin, xmax, ymax, metres)."""
    x0, y0, x1, y1 = bounds
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return (b[:, 0] < x1) & (b[:, 2] > x0) & (b[:, 1] < y1) & (b[:, 3] > y0)
