"""The raster overlay the frontend drapes: the viewshed resampled onto a lon/lat rectangle, as a palette PNG."""

from __future__ import annotations

import base64
import math
import struct
import zlib

import numpy as np
from numba import njit, prange

# Palette index -> RGBA: nothing, visible (green), lost by the project (red), gained (blue).
PALETTE = [(0, 0, 0, 0), (34, 197, 94, 120), (239, 68, 68, 190), (59, 130, 246, 150)]
NOTHING, VISIBLE, LOST, GAINED = range(4)


@njit(cache=True, parallel=True)
def _sample(before, after, has_after, a, b, out_before, out_after):
    rows, cols = before.shape
    h, w = out_before.shape
    # (seen before, seen after) -> palette index, without branches per pixel.
    lut = np.array([NOTHING, GAINED, LOST, VISIBLE], dtype=np.uint8)
    for i in prange(h):
        ra = a[0] + a[1] * i
        ca = b[0] + b[1] * i
        for j in range(w):
            r = ra + a[2] * j
            c = ca + b[2] * j
            vb = 0
            va = 0
            if 0.0 <= r < rows and 0.0 <= c < cols:
                ri, ci = int(r), int(c)
                vb = before[ri, ci] != 0
                va = (after[ri, ci] != 0) if has_after else vb
            out_before[i, j] = vb
            if has_after:
                out_after[i, j] = lut[2 * vb + va]


def png(indexed: np.ndarray, palette=PALETTE) -> bytes:
    """An 8-bit palette PNG with transparency (tRNS) of a 2-D uint8 array of palette indices."""
    h, w = indexed.shape
    raw = np.zeros((h, w + 1), dtype=np.uint8)  # filter byte 0 (None) before each row
    raw[:, 1:] = indexed

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    plte = b"".join(bytes(c[:3]) for c in palette)
    trns = bytes(c[3] for c in palette)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
        + chunk(b"PLTE", plte)
        + chunk(b"tRNS", trns)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 1))
        + chunk(b"IEND", b"")
    )


def overlays(
    before: np.ndarray,
    after: np.ndarray | None,
    window_origin: tuple[float, float],
    cell: float,
    to_lonlat,
    from_lonlat,
    max_px: int = 1024,
) -> dict:
    """Visible (and lost/gained) cells resampled onto a lon/lat rectangle, as base64 PNGs.

    before, after: uint8 viewsheds of one window (row 0 north); window_origin:
    the window's NW corner (x_min, y_max) in the storage CRS, cell: metres.
    to_lonlat(x, y) / from_lonlat(lon, lat): array transforms to and from
    WGS84 degrees. The lon/lat grid is mapped to window pixels by an affine
    map fitted on 81 exact points: Lambert-93 is that flat over a few km
    (well under a cell), and it keeps the resampling to one multiply-add.
    Returns {"rectangle": [west, south, east, north] degrees, "width",
    "height", "before_png", "after_png" (None without `after`)}.
    """
    rows, cols = before.shape
    x0, y1 = window_origin
    x1, y0 = x0 + cols * cell, y1 - rows * cell
    ex = np.array([x0, x1, x1, x0, (x0 + x1) / 2, (x0 + x1) / 2, x0, x1])
    ey = np.array([y0, y0, y1, y1, y0, y1, (y0 + y1) / 2, (y0 + y1) / 2])
    lon, lat = to_lonlat(ex, ey)
    west, east, south, north = float(np.min(lon)), float(np.max(lon)), float(np.min(lat)), float(np.max(lat))
    aspect = (east - west) * math.cos(math.radians((south + north) / 2)) / (north - south)
    width = int(min(max_px, max(cols, rows)) * min(1.0, aspect)) or 1
    height = int(min(max_px, max(cols, rows)) * min(1.0, 1.0 / aspect)) or 1
    # Output pixel (i, j) centre -> lon/lat -> storage CRS -> window pixel (row, col): fit the affine map.
    ii, jj = np.meshgrid(np.linspace(0, height - 1, 9), np.linspace(0, width - 1, 9), indexing="ij")
    plon = west + (jj.ravel() + 0.5) * (east - west) / width
    plat = north - (ii.ravel() + 0.5) * (north - south) / height
    px, py = from_lonlat(plon, plat)
    design = np.column_stack([np.ones(ii.size), ii.ravel(), jj.ravel()])
    a = np.linalg.lstsq(design, (y1 - np.asarray(py)) / cell, rcond=None)[0]
    b = np.linalg.lstsq(design, (np.asarray(px) - x0) / cell, rcond=None)[0]
    out_before = np.zeros((height, width), dtype=np.uint8)
    out_after = np.zeros((height, width) if after is not None else (1, 1), dtype=np.uint8)
    _sample(before, after if after is not None else before, after is not None, a, b, out_before, out_after)
    return {
        "rectangle": [west, south, east, north],
        "width": width,
        "height": height,
        "before_png": base64.b64encode(png(out_before)).decode(),
        "after_png": base64.b64encode(png(out_after)).decode() if after is not None else None,
    }
