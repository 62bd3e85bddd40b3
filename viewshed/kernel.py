"""Viewshed of a DSM raster, cell for cell identical to GDAL 3.6's GDALViewshedGenerate in Edge mode."""

from __future__ import annotations

import os

# numba's OpenMP threads spin for a while after each parallel region: on two
# cores shared with other work, a spinning idle thread took the core the next
# step needed (the 2-thread kernel's median was 30 ms against 24 ms on one).
# Sleeping threads cost a wake-up of microseconds. Read when libgomp loads,
# that is at the first parallel call: a value set by the operator wins.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numba
import numpy as np
from numba import njit, prange

# GDAL 3.6 takes the Earth diameter from the raster's CRS ellipsoid; the
# kernel assumes GRS80 / WGS84, which is what every French projected CRS uses.
EARTH_DIAMETER_M = 2.0 * 6378137.0
STANDARD_REFRACTION = 0.85714

# The kernel is written so that every floating-point operation matches the
# order of GDAL's C++: no fastmath anywhere (it would allow reassociation and
# fused multiply-adds, and exact agreement is the contract).


@njit(cache=True, inline="always")
def _r2(dx: int, dy: int, cs: float) -> float:
    # GDAL: x = gt[1]*dx + gt[2]*dy, y = gt[4]*dx + gt[5]*dy; the zero terms
    # of a north-up transform add nothing, and the sign of gt[5] squares away.
    x = cs * dx
    y = cs * dy
    return x * x + y * y


@njit(cache=True, inline="always")
def _ground(h: float, dx: int, dy: int, cs: float, curv: float) -> float:
    if curv != 0.0:
        return h - curv * _r2(dx, dy, cs) / EARTH_DIAMETER_M
    return h


@njit(cache=True, inline="always")
def _line(i: int, za: float, zo: float) -> float:
    # Height of the sight line at step i given its height za at step i - 1.
    if i == 1:
        return za
    return (za - zo) / (i - 1) + za


@njit(cache=True)
def _reach(n_max: int, other: int, cs: float, maxd2: float) -> int:
    """Largest n <= n_max whose cell (n, other) is within range (-1 if none)."""
    if maxd2 <= 0.0:
        return n_max
    n = n_max
    while n >= 0 and _r2(n, other, cs) > maxd2:
        n -= 1
    return n


@njit(cache=True)
def _ring_reaches(n_along: int, n_across: int, cs: float, maxd2: float):
    """Each ring's outermost cell in range (reach[along]) and the last ring with one (stop).

    The range limit is geometry only: known before any height is read.
    """
    reach = np.empty(n_along + 1, dtype=np.int64)
    last = _reach(min(n_across, 1), 1, cs, maxd2)
    stop = n_along
    for along in range(2, n_along + 1):
        hi = _reach(min(n_across, along, last + 1), along, cs, maxd2)
        if hi < 0:
            stop = along - 1
            break
        reach[along] = hi
        last = hi
    return reach, stop


@njit(cache=True)
def _axes(dsm, orow, ocol, zo, tgt, cs, curv, maxd2, out, zrow, zcol, zdiag, heights, hout):
    """The observer row, observer column and the four diagonals: the seeds every octant grows from.

    zrow[ocol + sx*dx], zcol[orow + sy*dy] and zdiag[q, d] receive the
    visible heights (the DSM raised to the sight line) GDAL keeps in its line
    buffers; q indexes the quadrant (sy, sx) as 2*(sy>0) + (sx>0).
    """
    rows, cols = dsm.shape
    z0 = np.float64(dsm[orow, ocol])
    out[orow, ocol] = 1
    zrow[ocol] = z0
    zcol[orow] = z0
    if heights:
        hout[orow, ocol] = z0
    for sx in (-1, 1):
        n = _reach(ocol if sx < 0 else cols - 1 - ocol, 0, cs, maxd2)
        # GDAL marks both row neighbours visible unconditionally (even beyond
        # a range shorter than one cell) and never raises their height.
        if (ocol if sx < 0 else cols - 1 - ocol) >= 1:
            c = ocol + sx
            zrow[c] = _ground(np.float64(dsm[orow, c]), 1, 0, cs, curv)
            out[orow, c] = 1
            if heights:
                hout[orow, c] = zrow[c]
        for dx in range(2, n + 1):
            c = ocol + sx * dx
            h = _ground(np.float64(dsm[orow, c]), dx, 0, cs, curv)
            z = _line(dx, zrow[c - sx], zo)
            out[orow, c] = 1 if h + tgt >= z else 0
            zrow[c] = h if h >= z else z
            if heights:
                hout[orow, c] = zrow[c]
    for sy in (-1, 1):
        n = _reach(orow if sy < 0 else rows - 1 - orow, 0, cs, maxd2)
        for dy in range(1, n + 1):
            r = orow + sy * dy
            h = _ground(np.float64(dsm[r, ocol]), 0, dy, cs, curv)
            z = _line(dy, zcol[r - sy], zo)
            out[r, ocol] = 1 if h + tgt >= z else 0
            zcol[r] = h if h >= z else z
            if heights:
                hout[r, ocol] = zcol[r]
    for q in range(4):
        sy = 1 if q >= 2 else -1
        sx = 1 if q % 2 == 1 else -1
        nd = min(orow if sy < 0 else rows - 1 - orow, ocol if sx < 0 else cols - 1 - ocol)
        zdiag[q, 0] = z0
        for d in range(1, nd + 1):
            if maxd2 > 0.0 and _r2(d, d, cs) > maxd2:
                break
            r = orow + sy * d
            c = ocol + sx * d
            h = _ground(np.float64(dsm[r, c]), d, d, cs, curv)
            z = _line(d, zdiag[q, d - 1], zo)
            out[r, c] = 1 if h + tgt >= z else 0
            zdiag[q, d] = h if h >= z else z
            if heights:
                hout[r, c] = zdiag[q, d]


@njit(cache=True)
def _ring(drow, orow, prev, cur, n, along, zo, tgt, cs, curv):
    """Ring cells a = 1..n of a wedge, stored at drow[a - 1] / orow[a - 1]."""
    den = np.float64(along - 1)
    fal = np.float64(along)
    if curv != 0.0:
        for k in range(n):
            fa = np.float64(k + 1)
            h = _ground(np.float64(drow[k]), k + 1, along, cs, curv)
            z = ((prev[k] - zo) * fa + (prev[k + 1] - zo) * (fal - fa)) / den + zo
            orow[k] = h + tgt >= z
            cur[k + 1] = max(h, z)
    else:
        for k in range(n):
            fa = np.float64(k + 1)
            h = np.float64(drow[k])
            z = ((prev[k] - zo) * fa + (prev[k + 1] - zo) * (fal - fa)) / den + zo
            orow[k] = h + tgt >= z
            cur[k + 1] = max(h, z)


@njit(cache=True)
def _ring_rev(drow, orow, prev, cur, n, along, zo, tgt, cs, curv):
    """As `_ring` for a wedge running west: cell a is at drow[n - a]."""
    den = np.float64(along - 1)
    fal = np.float64(along)
    if curv != 0.0:
        for k in range(n):
            fa = np.float64(k + 1)
            h = _ground(np.float64(drow[n - 1 - k]), k + 1, along, cs, curv)
            z = ((prev[k] - zo) * fa + (prev[k + 1] - zo) * (fal - fa)) / den + zo
            orow[n - 1 - k] = h + tgt >= z
            cur[k + 1] = max(h, z)
    else:
        for k in range(n):
            fa = np.float64(k + 1)
            h = np.float64(drow[n - 1 - k])
            z = ((prev[k] - zo) * fa + (prev[k + 1] - zo) * (fal - fa)) / den + zo
            orow[n - 1 - k] = h + tgt >= z
            cur[k + 1] = max(h, z)


@njit(cache=True)
def _octant(task, dsm, orow, ocol, zo, tgt, cs, curv, maxd2, out, zrow, zcol, zdiag, heights, hout):
    """One of the eight wedges between an axis and a diagonal.

    In the wedge |along| > |across| >= 1, GDAL's Edge interpolation reads the
    cell one step back along the axis and the diagonal one: both lie on the
    previous "ring" (previous column for a row wedge, previous row for a column
    wedge), so one ring is computed at a time with no dependency inside it.
    `along` is the step outward along the wedge's axis, `across` the offset
    towards the diagonal.
    """
    rows, cols = dsm.shape
    q = task // 2
    vertical = task % 2 == 0  # wedge around the observer column: rings are rows
    sy = 1 if q >= 2 else -1
    sx = 1 if q % 2 == 1 else -1
    ny = orow if sy < 0 else rows - 1 - orow
    nx = ocol if sx < 0 else cols - 1 - ocol
    n_along = ny if vertical else nx
    n_across = nx if vertical else ny
    prev = np.empty(n_along + 2, dtype=np.float64)
    cur = np.empty(n_along + 2, dtype=np.float64)
    # Ring `along` = 1 holds only the axis and diagonal cells.
    prev[0] = zcol[orow + sy] if vertical else zrow[ocol + sx]
    if n_across >= 1:
        prev[1] = zdiag[q, 1]
    reach, stop = _ring_reaches(n_along, n_across, cs, maxd2)
    if vertical:
        for along in range(2, stop + 1):
            r_ax = orow + sy * along
            cur[0] = zcol[r_ax]
            inner = min(reach[along], along - 1)
            # Row views with a unit stride and a non-negative index let LLVM
            # vectorise the ring (the division dominates otherwise).
            if sx > 0:
                _ring(
                    dsm[r_ax, ocol + 1 : ocol + inner + 1],
                    out[r_ax, ocol + 1 : ocol + inner + 1],
                    prev,
                    cur,
                    inner,
                    along,
                    zo,
                    tgt,
                    cs,
                    curv,
                )
            else:
                _ring_rev(
                    dsm[r_ax, ocol - inner : ocol],
                    out[r_ax, ocol - inner : ocol],
                    prev,
                    cur,
                    inner,
                    along,
                    zo,
                    tgt,
                    cs,
                    curv,
                )
            if heights:
                for a in range(1, inner + 1):
                    hout[r_ax, ocol + sx * a] = cur[a]
            if reach[along] >= along:
                cur[along] = zdiag[q, along]
            prev, cur = cur, prev
        return
    # Rings of a row wedge are columns: transpose a block of them into a
    # small buffer so the same vectorised ring runs on contiguous memory.
    block = 128
    tin = np.empty((block, n_across + 1), dtype=np.float32)
    tout = np.empty((block, n_across + 1), dtype=np.uint8)
    for first in range(2, stop + 1, block):
        nb = min(block, stop + 1 - first)
        depth = 0
        for j in range(nb):
            depth = max(depth, min(reach[first + j], first + j - 1))
        for a in range(1, depth + 1):
            src = dsm[orow + sy * a]
            for j in range(nb):
                tin[j, a - 1] = src[ocol + sx * (first + j)]
        for j in range(nb):
            along = first + j
            c_ax = ocol + sx * along
            cur[0] = zrow[c_ax]
            inner = min(reach[along], along - 1)
            _ring(tin[j], tout[j], prev, cur, inner, along, zo, tgt, cs, curv)
            if heights:
                for a in range(1, inner + 1):
                    hout[orow + sy * a, c_ax] = cur[a]
            if reach[along] >= along:
                cur[along] = zdiag[q, along]
            prev, cur = cur, prev
        for a in range(1, depth + 1):
            dst = out[orow + sy * a]
            for j in range(nb):
                if a <= min(reach[first + j], first + j - 1):
                    dst[ocol + sx * (first + j)] = tout[j, a - 1]


@njit(cache=True, parallel=True)
def _viewshed(dsm, orow, ocol, oh, tgt, cs, curv, maxd2, heights):
    rows, cols = dsm.shape
    out = np.zeros((rows, cols), dtype=np.uint8)
    hout = np.zeros((rows, cols) if heights else (1, 1), dtype=np.float64)
    zrow = np.empty(cols, dtype=np.float64)
    zcol = np.empty(rows, dtype=np.float64)
    zdiag = np.empty((4, max(rows, cols) + 1), dtype=np.float64)
    zo = oh + np.float64(dsm[orow, ocol])
    _axes(dsm, orow, ocol, zo, tgt, cs, curv, maxd2, out, zrow, zcol, zdiag, heights, hout)
    # Interleaved so that numba's static split hands each of two cores one
    # vertical and one horizontal wedge per side of the observer.
    order = np.array([0, 7, 1, 6, 2, 5, 3, 4])
    for k in prange(8):
        _octant(order[k], dsm, orow, ocol, zo, tgt, cs, curv, maxd2, out, zrow, zcol, zdiag, heights, hout)
    return out, hout


@njit(cache=True)
def _wedge(q, dsm, orow, ocol, zo, tgt, cs, curv, maxd2, out, zaxis, zdiag):
    """The wedge of quadrant q around the observer column (|dy| > |dx| >= 1): rings are rows, read with unit stride.

    zaxis: the sight-line heights along the observer column; zdiag[q]: along
    the quadrant's diagonal. On a transposed DSM (with the row axis as
    `zaxis` and the diagonals' quadrants swapped) it computes a wedge around
    the observer row with the very same arithmetic.
    """
    rows, cols = dsm.shape
    sy = 1 if q >= 2 else -1
    sx = 1 if q % 2 == 1 else -1
    n_along = orow if sy < 0 else rows - 1 - orow
    n_across = ocol if sx < 0 else cols - 1 - ocol
    prev = np.empty(n_along + 2, dtype=np.float64)
    cur = np.empty(n_along + 2, dtype=np.float64)
    prev[0] = zaxis[orow + sy]
    if n_across >= 1:
        prev[1] = zdiag[q, 1]
    reach, stop = _ring_reaches(n_along, n_across, cs, maxd2)
    for along in range(2, stop + 1):
        r_ax = orow + sy * along
        cur[0] = zaxis[r_ax]
        inner = min(reach[along], along - 1)
        if sx > 0:
            _ring(
                dsm[r_ax, ocol + 1 : ocol + inner + 1],
                out[r_ax, ocol + 1 : ocol + inner + 1],
                prev,
                cur,
                inner,
                along,
                zo,
                tgt,
                cs,
                curv,
            )
        else:
            _ring_rev(
                dsm[r_ax, ocol - inner : ocol],
                out[r_ax, ocol - inner : ocol],
                prev,
                cur,
                inner,
                along,
                zo,
                tgt,
                cs,
                curv,
            )
        if reach[along] >= along:
            cur[along] = zdiag[q, along]
        prev, cur = cur, prev


_RINGS = 128  # rings of a row wedge per block: 512-byte runs of each DSM row (64 was 10-20 % slower)
_TILE = 8  # DSM rows per step of the transposition: 8 floats written contiguously per ring


@njit(cache=True)
def _wedge_t(q, dsm, orow, ocol, zo, tgt, cs, curv, maxd2, out, zrow, zdiag):
    """The wedge of quadrant q around the observer row (|dx| > |dy| >= 1): rings are columns.

    Blocks of `_RINGS` rings are transposed into a small buffer, computed by
    the same vectorised `_ring` as the column wedges, and their 0/1
    transposed back into `out`. The transposition goes by tiles of `_TILE`
    rows so that the buffer side stays contiguous; indices are unsigned
    (numba skips its negative-index fix-up, LLVM keeps the loops tight).
    """
    rows, cols = dsm.shape
    sy = 1 if q >= 2 else -1
    sx = 1 if q % 2 == 1 else -1
    n_along = ocol if sx < 0 else cols - 1 - ocol
    n_across = orow if sy < 0 else rows - 1 - orow
    reach, stop = _ring_reaches(n_along, n_across, cs, maxd2)
    if stop < 2:
        return
    prev = np.empty(n_along + 2, dtype=np.float64)
    cur = np.empty(n_along + 2, dtype=np.float64)
    prev[0] = zrow[ocol + sx]
    if n_across >= 1:
        prev[1] = zdiag[q, 1]
    width = 1
    for along in range(2, stop + 1):
        width = max(width, min(reach[along], along - 1))
    tin = np.empty(_RINGS * width, dtype=np.float32)  # ring j's cell a at tin[j * width + a - 1]
    tout = np.empty(_RINGS * width, dtype=np.uint8)
    flat = dsm.reshape(-1)
    flat_out = out.reshape(-1)
    rb = np.empty(_TILE, dtype=np.uint64)  # flat offsets of the tile's rows
    for first in range(2, stop + 1, _RINGS):
        nb = min(_RINGS, stop + 1 - first)
        depth = 0
        for j in range(nb):
            depth = max(depth, min(reach[first + j], first + j - 1))
        # Cell a of ring first + j exists for a <= first + j - 1: from ring
        # j_full on, the tile's rows a0 .. a0 + na - 1 all exist, and the
        # fixed-length inner loop compiles to straight code.
        for a0 in range(1, depth + 1, _TILE):
            na = min(_TILE, depth + 1 - a0)
            for k in range(na):
                rb[k] = np.uint64((orow + sy * (a0 + k)) * cols)
            j_full = min(max(0, a0 + na - first), nb)
            for j in range(max(0, a0 - first + 1), j_full):
                col = np.uint64(ocol + sx * (first + j))
                dst = np.uint64(j * width + a0 - 1)
                for k in range(first + j - a0):
                    tin[dst + np.uint64(k)] = flat[rb[k] + col]
            if na == _TILE:
                # Groups of 8 rings: an 8 x 8 block, read 8 columns of each row at
                # once, in the DSM's own (ascending) column order.
                j = j_full
                while j + 8 <= nb:
                    dst = np.uint64(j * width + a0 - 1)
                    if sx > 0:
                        col = np.uint64(ocol + first + j)
                        for jj in range(8):
                            for k in range(_TILE):
                                tin[dst + np.uint64(jj * width + k)] = flat[rb[k] + col + np.uint64(jj)]
                    else:
                        col = np.uint64(ocol - first - j - 7)  # the group's westmost column
                        for jj in range(8):
                            for k in range(_TILE):
                                tin[dst + np.uint64(jj * width + k)] = flat[rb[k] + col + np.uint64(7 - jj)]
                    j += 8
                for j in range(j, nb):  # noqa: B020  the tail after the 8-wide steps, from where they stopped
                    col = np.uint64(ocol + sx * (first + j))
                    dst = np.uint64(j * width + a0 - 1)
                    for k in range(_TILE):
                        tin[dst + np.uint64(k)] = flat[rb[k] + col]
            else:
                for j in range(j_full, nb):
                    col = np.uint64(ocol + sx * (first + j))
                    dst = np.uint64(j * width + a0 - 1)
                    for k in range(na):
                        tin[dst + np.uint64(k)] = flat[rb[k] + col]
        for j in range(nb):
            along = first + j
            cur[0] = zrow[ocol + sx * along]
            inner = min(reach[along], along - 1)
            row = j * width
            _ring(tin[row : row + width], tout[row : row + width], prev, cur, inner, along, zo, tgt, cs, curv)
            # Cells out of range are 0 (written back with the block).
            for a in range(inner, min(depth, along - 1)):
                tout[row + a] = 0
            if reach[along] >= along:
                cur[along] = zdiag[q, along]
            prev, cur = cur, prev
        for a0 in range(1, depth + 1, _TILE):
            na = min(_TILE, depth + 1 - a0)
            for k in range(na):
                rb[k] = np.uint64((orow + sy * (a0 + k)) * cols)
            j_full = min(max(0, a0 + na - first), nb)
            for j in range(max(0, a0 - first + 1), j_full):
                col = np.uint64(ocol + sx * (first + j))
                src = np.uint64(j * width + a0 - 1)
                for k in range(first + j - a0):
                    flat_out[rb[k] + col] = tout[src + np.uint64(k)]
            if na == _TILE:
                for i in range(j_full, nb):
                    j = i if sx > 0 else nb - 1 + j_full - i
                    col = np.uint64(ocol + sx * (first + j))
                    src = np.uint64(j * width + a0 - 1)
                    for k in range(_TILE):
                        flat_out[rb[k] + col] = tout[src + np.uint64(k)]
            else:
                for j in range(j_full, nb):
                    col = np.uint64(ocol + sx * (first + j))
                    src = np.uint64(j * width + a0 - 1)
                    for k in range(na):
                        flat_out[rb[k] + col] = tout[src + np.uint64(k)]


@njit(cache=True, parallel=True)
def _viewshed_fast(dsm, orow, ocol, oh, tgt, cs, curv, maxd2, out, tasks):
    """The wedges in `tasks` (all eight for a full viewshed) into `out`, which holds the other wedges' cells.

    No visible-height surface (see `_viewshed`). Column wedges sweep rows;
    row wedges (`_wedge_t`) transpose blocks of their rings: both read the
    DSM row by row and run the same vectorised `_ring`.
    """
    rows, cols = dsm.shape
    hout = np.zeros((1, 1), dtype=np.float64)
    zrow = np.empty(cols, dtype=np.float64)
    zcol = np.empty(rows, dtype=np.float64)
    zdiag = np.empty((4, max(rows, cols) + 1), dtype=np.float64)
    zo = oh + np.float64(dsm[orow, ocol])
    _axes(dsm, orow, ocol, zo, tgt, cs, curv, maxd2, out, zrow, zcol, zdiag, False, hout)
    for k in prange(tasks.shape[0]):
        task = tasks[k]
        if task % 2 == 0:
            _wedge(task // 2, dsm, orow, ocol, zo, tgt, cs, curv, maxd2, out, zcol, zdiag)
        else:
            _wedge_t(task // 2, dsm, orow, ocol, zo, tgt, cs, curv, maxd2, out, zrow, zdiag)


def _run(
    data: np.ndarray,
    orow: int,
    ocol: int,
    oh: float,
    tgt: float,
    cs: float,
    curv: float,
    maxd2: float,
    out: np.ndarray,
    tasks: np.ndarray,
) -> np.ndarray:
    # One wedge at a time to whichever thread is free: numba's default split is
    # static, and a thread descheduled by another process held its share back.
    chunk = numba.set_parallel_chunksize(1)
    try:
        _viewshed_fast(
            data,
            int(orow),
            int(ocol),
            float(oh),
            float(tgt),
            float(cs),
            float(curv),
            float(maxd2),
            out,
            tasks.astype(np.int64),
        )
    finally:
        numba.set_parallel_chunksize(chunk)
    return out


def wedges_touched(d_rows: np.ndarray, d_cols: np.ndarray) -> np.ndarray:
    """The wedges (kernel task numbers 0..7) whose cells depend on any of the given cells.

    d_rows, d_cols: offsets of changed cells from the observer cell (rows
    south, columns east). A wedge reads its own cells, its axis and its
    diagonal: a cell on an axis or a diagonal touches both wedges beside it,
    the observer cell touches all.
    """
    dy = np.asarray(d_rows, dtype=np.int64).ravel()
    dx = np.asarray(d_cols, dtype=np.int64).ravel()
    touched = np.zeros(8, dtype=bool)
    if ((dy == 0) & (dx == 0)).any():
        touched[:] = True
        return np.flatnonzero(touched)
    for sy in (-1, 1):
        for sx in (-1, 1):
            q = 2 * (sy > 0) + (sx > 0)
            ys, xs = dy * sy, dx * sx  # both >= 0 in this quadrant (axes included)
            inq = (ys >= 0) & (xs >= 0)
            # Vertical wedge: |dy| > |dx| >= 1, seeded by the column axis (dx = 0) and the diagonal.
            touched[2 * q] |= bool((inq & (ys >= xs) & (ys > 0)).any())
            # Horizontal wedge: |dx| > |dy| >= 1, seeded by the row axis (dy = 0) and the diagonal.
            touched[2 * q + 1] |= bool((inq & (xs >= ys) & (xs > 0)).any())
    return np.flatnonzero(touched)


def viewshed_update(
    dsm: np.ndarray,
    previous: np.ndarray,
    obs_row: int,
    obs_col: int,
    observer_height: float,
    changed_rows: np.ndarray,
    changed_cols: np.ndarray,
    target_height: float = 0.0,
    max_distance: float | None = None,
    cell_size: float = 1.0,
    curvature_coeff: float = 0.0,
) -> np.ndarray:
    """`viewshed` of `dsm` when it differs from the DSM `previous` was computed on only at the given cells.

    previous: the uint8 viewshed of the earlier DSM, same observer and
    arguments. changed_rows, changed_cols: pixel indices of the cells whose
    height changed (e.g. where a project was burnt in). Only the wedges those
    cells feed are recomputed; the result equals `viewshed(dsm, ...)` cell for
    cell. The observer height is over the *new* DSM's observer cell, as in
    `viewshed`. Arguments otherwise as `viewshed`.
    """
    data = _check(dsm, obs_row, obs_col)
    out = np.array(previous, dtype=np.uint8, copy=True, order="C")
    if out.shape != data.shape:
        raise ValueError(f"previous viewshed shape {out.shape} differs from the DSM's {data.shape}")
    tasks = wedges_touched(np.asarray(changed_rows) - obs_row, np.asarray(changed_cols) - obs_col)
    if not len(tasks):
        return out
    maxd2 = float(max_distance) ** 2 if max_distance else 0.0
    return _run(data, obs_row, obs_col, observer_height, target_height, cell_size, curvature_coeff, maxd2, out, tasks)


# Row wedges (odd) cost about twice column wedges: handed out first, the
# dynamic schedule ends with the short ones.
_ALL_WEDGES = np.array([1, 3, 5, 7, 0, 2, 4, 6], dtype=np.int64)


def _check(dsm: np.ndarray, obs_row: int, obs_col: int) -> np.ndarray:
    if dsm.ndim != 2:
        raise ValueError(f"the DSM must be a 2-D raster, got shape {dsm.shape}")
    rows, cols = dsm.shape
    if not (0 <= obs_row < rows and 0 <= obs_col < cols):
        raise ValueError(f"observer cell ({obs_row}, {obs_col}) is outside the {rows} x {cols} DSM")
    return np.ascontiguousarray(dsm, dtype=np.float32)


def viewshed(
    dsm: np.ndarray,
    obs_row: int,
    obs_col: int,
    observer_height: float,
    target_height: float = 0.0,
    max_distance: float | None = None,
    cell_size: float = 1.0,
    curvature_coeff: float = 0.0,
) -> np.ndarray:
    """Cells of `dsm` visible from an observer standing on cell (obs_row, obs_col).

    dsm: 2-D float32 heights in metres, row 0 to the north, square cells of
    `cell_size` metres, in a projected CRS (GDAL's algorithm is planar). Pass a
    window centred on the observer; nothing outside it is seen or hidden.
    obs_row, obs_col: pixel indices of the observer cell in `dsm`.
    observer_height: eye height in metres above the DSM at the observer cell.
    target_height: height in metres above the DSM at which a target counts as
    seen (0: the DSM surface itself).
    max_distance: range in metres, measured between cell centres in the plane;
    cells beyond it are 0 (None: unlimited).
    curvature_coeff: 0 to ignore the Earth's curvature, 0.85714
    (`STANDARD_REFRACTION`) for curvature with standard refraction; heights
    drop by coeff * d^2 / Earth diameter (GRS80).

    Returns a uint8 array shaped like `dsm`: 1 visible, 0 hidden or out of
    range. Equal cell for cell to GDAL 3.6's GDALViewshedGenerate with
    GVM_Edge and GVOT_NORMAL output, including GDAL's conventions: both row
    neighbours of the observer are always visible, and the observer cell is.
    """
    return viewshed_with_heights(
        dsm, obs_row, obs_col, observer_height, target_height, max_distance, cell_size, curvature_coeff, heights=False
    )[0]


def viewshed_with_heights(
    dsm: np.ndarray,
    obs_row: int,
    obs_col: int,
    observer_height: float,
    target_height: float = 0.0,
    max_distance: float | None = None,
    cell_size: float = 1.0,
    curvature_coeff: float = 0.0,
    heights: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """`viewshed` plus the visible-height surface (metres, float64, same grid).

    The surface is GDAL's internal one: each cell's DSM height (curvature
    corrected) raised to the sight line over it, so a point at that height
    or above, in that cell, is seen; 0 outside range. Arguments as `viewshed`.
    """
    data = _check(dsm, obs_row, obs_col)
    maxd2 = float(max_distance) ** 2 if max_distance else 0.0
    if not heights:
        out = np.zeros(data.shape, dtype=np.uint8)
        _run(
            data, obs_row, obs_col, observer_height, target_height, cell_size, curvature_coeff, maxd2, out, _ALL_WEDGES
        )
        return out, np.zeros((1, 1), dtype=np.float64)
    out, hout = _viewshed(
        data,
        int(obs_row),
        int(obs_col),
        float(observer_height),
        float(target_height),
        float(cell_size),
        float(curvature_coeff),
        maxd2,
        heights,
    )
    return out, hout


def set_threads(n: int) -> None:
    """Cap the cores the kernel uses (numba's thread pool; at most NUMBA_NUM_THREADS)."""
    numba.set_num_threads(n)
