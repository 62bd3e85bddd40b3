"""Pure raster writers for the surface model: bilinear resampling, polygon and triangle burning (numba)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

# Pixel space everywhere in this module: x is the column coordinate, y the row
# coordinate, both continuous, growing east and south; cell (r, c) covers
# [c, c + 1) x [r, r + 1) and its centre is (c + 0.5, r + 0.5).


@njit(cache=True, parallel=True)
def _bilinear(src, nodata, fill, col0, dcol, row0, drow, out):
    h, w = src.shape
    rows, cols = out.shape
    c0s = np.empty(cols, dtype=np.int64)
    fcs = np.empty(cols, dtype=np.float64)
    for c in range(cols):
        x = col0 + c * dcol
        x = min(max(x, 0.0), w - 1.0)
        i = min(int(math.floor(x)), w - 2) if w > 1 else 0
        c0s[c] = i
        fcs[c] = x - i if w > 1 else 0.0
    for r in prange(rows):
        y = row0 + r * drow
        y = min(max(y, 0.0), h - 1.0)
        j = min(int(math.floor(y)), h - 2) if h > 1 else 0
        fr = y - j if h > 1 else 0.0
        j1 = j + 1 if h > 1 else j
        for c in range(cols):
            i = c0s[c]
            i1 = i + 1 if w > 1 else i
            fc = fcs[c]
            a, b, d, e = src[j, i], src[j, i1], src[j1, i], src[j1, i1]
            if a == nodata or b == nodata or d == nodata or e == nodata:
                out[r, c] = fill
            else:
                out[r, c] = (a * (1 - fc) + b * fc) * (1 - fr) + (d * (1 - fc) + e * fc) * fr


def resample_bilinear(
    src: np.ndarray,
    src_origin: tuple[float, float],
    src_pixel: tuple[float, float],
    dst_origin: tuple[float, float],
    dst_cell: float,
    shape: tuple[int, int],
    nodata: float | None = None,
    fill: float = 0.0,
) -> np.ndarray:
    """Bilinear heights of a north-up raster at the cell centres of another north-up grid.

    src: 2-D heights (metres), row 0 north; src_origin its (x_min, y_max) and
    src_pixel its pixel (width, height), metres in the storage CRS, both positive. dst_origin,
    dst_cell, shape: the target grid's (x_min, y_max), cell size (m) and
    (rows, cols). Beyond the source the edge values extend; a cell touching
    `nodata` gets `fill`. Returns float32 (rows, cols).
    """
    out = np.empty(shape, dtype=np.float32)
    px, py = abs(src_pixel[0]), abs(src_pixel[1])
    col0 = (dst_origin[0] + 0.5 * dst_cell - src_origin[0]) / px - 0.5
    row0 = (src_origin[1] - (dst_origin[1] - 0.5 * dst_cell)) / py - 0.5
    nd = np.float32(nodata) if nodata is not None else np.float32(np.nan)
    _bilinear(
        np.ascontiguousarray(src, dtype=np.float32), nd, np.float32(fill), col0, dst_cell / px, row0, dst_cell / py, out
    )
    return out


@njit(cache=True)
def _burn_polygons(xs, ys, ring_start, poly_ring_start, values, out):
    rows, cols = out.shape
    xcut = np.empty(64, dtype=np.float64)
    for p in range(values.shape[0]):
        v = values[p]
        r_first, r_last = ring_start[poly_ring_start[p]], ring_start[poly_ring_start[p + 1]]
        if r_last - r_first < 3:
            continue
        ymin, ymax = np.inf, -np.inf
        for k in range(r_first, r_last):
            ymin = min(ymin, ys[k])
            ymax = max(ymax, ys[k])
        ra = max(int(math.ceil(ymin - 0.5)), 0)
        rb = min(int(math.floor(ymax - 0.5)), rows - 1)
        for r in range(ra, rb + 1):
            yc = r + 0.5
            n = 0
            for ring in range(poly_ring_start[p], poly_ring_start[p + 1]):
                a, b = ring_start[ring], ring_start[ring + 1]
                for k in range(a, b):
                    k1 = k + 1 if k + 1 < b else a
                    y0, y1 = ys[k], ys[k1]
                    if (y0 <= yc < y1) or (y1 <= yc < y0):
                        x = xs[k] + (yc - y0) * (xs[k1] - xs[k]) / (y1 - y0)
                        if n == xcut.shape[0]:
                            grown = np.empty(2 * n, dtype=np.float64)
                            grown[:n] = xcut
                            xcut = grown
                        # Insertion sort: a footprint row crosses few edges.
                        j = n
                        while j > 0 and xcut[j - 1] > x:
                            xcut[j] = xcut[j - 1]
                            j -= 1
                        xcut[j] = x
                        n += 1
            # Even-odd rule: holes (courtyards) stay unburnt.
            for j in range(0, n - 1, 2):
                ca = max(int(math.ceil(xcut[j] - 0.5)), 0)
                cb = min(int(math.ceil(xcut[j + 1] - 0.5)) - 1, cols - 1)
                for c in range(ca, cb + 1):
                    if out[r, c] < v:
                        out[r, c] = v


def burn_polygons(
    out: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    ring_start: np.ndarray,
    poly_ring_start: np.ndarray,
    values: np.ndarray,
) -> None:
    """Raise `out` to each polygon's value on the cells whose centre lies inside it (even-odd).

    xs, ys: vertex coordinates in `out`'s pixel space (see module note), rings
    not closed (the last vertex joins the first). ring_start[i]:ring_start[i+1]
    are ring i's vertices; poly_ring_start[p]:poly_ring_start[p+1] are polygon
    p's rings. values: float per polygon (metres). out: float32, changed in place.
    """
    _burn_polygons(
        np.ascontiguousarray(xs, dtype=np.float64),
        np.ascontiguousarray(ys, dtype=np.float64),
        np.ascontiguousarray(ring_start, dtype=np.int64),
        np.ascontiguousarray(poly_ring_start, dtype=np.int64),
        np.ascontiguousarray(values, dtype=np.float32),
        out,
    )


@njit(cache=True)
def _burn_triangles(tri, out):
    rows, cols = out.shape
    for t in range(tri.shape[0]):
        x0, y0, z0 = tri[t, 0, 0], tri[t, 0, 1], tri[t, 0, 2]
        x1, y1, z1 = tri[t, 1, 0], tri[t, 1, 1], tri[t, 1, 2]
        x2, y2, z2 = tri[t, 2, 0], tri[t, 2, 1], tri[t, 2, 2]
        det = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
        if abs(det) < 1e-12:
            continue  # a wall seen from above: its top edge belongs to a roof triangle
        ca = max(int(math.ceil(min(x0, x1, x2) - 0.5)), 0)
        cb = min(int(math.floor(max(x0, x1, x2) - 0.5)), cols - 1)
        ra = max(int(math.ceil(min(y0, y1, y2) - 0.5)), 0)
        rb = min(int(math.floor(max(y0, y1, y2) - 0.5)), rows - 1)
        for r in range(ra, rb + 1):
            yc = r + 0.5
            for c in range(ca, cb + 1):
                xc = c + 0.5
                l1 = ((xc - x0) * (y2 - y0) - (x2 - x0) * (yc - y0)) / det
                l2 = ((x1 - x0) * (yc - y0) - (xc - x0) * (y1 - y0)) / det
                l0 = 1.0 - l1 - l2
                if l0 >= -1e-9 and l1 >= -1e-9 and l2 >= -1e-9:
                    z = l0 * z0 + l1 * z1 + l2 * z2
                    if out[r, c] < z:
                        out[r, c] = z


def burn_triangles(out: np.ndarray, triangles: np.ndarray) -> None:
    """Raise `out` to the highest triangle surface over each cell centre.

    triangles: (n, 3, 3) x, y in `out`'s pixel space and z in metres.
    out: float32, changed in place.
    """
    _burn_triangles(np.ascontiguousarray(triangles, dtype=np.float64), out)
