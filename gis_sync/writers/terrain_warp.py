"""Resample a DEM into the storage CRS through gis_sync.crs, heights included: GDAL's warp would pick its own
PROJ operation (a ballpark when a grid is missing) and never move heights between height systems."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from django.contrib.gis.gdal import GDALRaster

from gis_sync import crs as crs_mod
from twin import geodesy

ROWS_PER_CHUNK = 256


def warp_to_storage(source: Path, target: Path, srid: crs_mod.SRID, storage_srid: int) -> GDALRaster:
    """Write source (a DEM in srid) as a float32 GeoTIFF in storage_srid with orthometric heights (m).

    Each storage cell's centre is taken back to the source CRS with the inverse of the recorded operation,
    its height sampled bilinearly there and brought forward with the same operation (heights included for a
    compound CRS). Cells outside the source, or on its nodata, are nodata."""
    src = GDALRaster(str(source))
    band = src.bands[0]
    data = np.asarray(band.data(), float)
    nodata = band.nodata_value
    valid = np.isfinite(data) if nodata is None else (data != nodata) & np.isfinite(data)
    gt = src.geotransform
    if gt[2] or gt[4]:
        raise crs_mod.CRSError(
            "the DEM is rotated (its geotransform has shear terms)",
            file=str(source),
            advice="warp it to a north-up grid first (gdalwarp)",
        )
    full = crs_mod.crs_for(srid)
    has_vertical = geodesy.vertical(full) is not None
    target_crs = crs_mod.storage_crs(storage_srid) if has_vertical else crs_mod.crs_for(storage_srid)
    source_crs = full if has_vertical else geodesy.horizontal(full)
    op = crs_mod.operation(source_crs, target_crs, file=str(source))
    # The target grid: the source extent's box in the storage CRS, at the source's cell size.
    w, h = src.width, src.height
    ex = np.array([gt[0], gt[0] + w * gt[1]])
    ey = np.array([gt[3], gt[3] + h * gt[5]])
    bx, by = np.meshgrid(np.linspace(ex[0], ex[1], 9), np.linspace(ey[0], ey[1], 9))
    tx, ty = op.transform(bx.ravel(), by.ravel(), *([np.zeros(bx.size)] if has_vertical else []))[:2]
    size = min(abs(gt[1]), abs(gt[5]))
    x0, y1 = np.floor(tx.min() / size) * size, np.ceil(ty.max() / size) * size
    cols = int(np.ceil((tx.max() - x0) / size))
    rows = int(np.ceil((y1 - ty.min()) / size))
    out = np.full((rows, cols), np.nan, np.float32)
    cx = x0 + (np.arange(cols) + 0.5) * size
    for r0 in range(0, rows, ROWS_PER_CHUNK):
        cy = y1 - (np.arange(r0, min(rows, r0 + ROWS_PER_CHUNK)) + 0.5) * size
        gx, gy = (a.ravel() for a in np.meshgrid(cx, cy))
        zeros = [np.zeros(gx.size)] if has_vertical else []
        sx, sy = op.transform(gx, gy, *zeros, direction="INVERSE")[:2]
        z = _bilinear(data, valid, gt, sx, sy)
        if has_vertical:
            ok = np.isfinite(z)
            moved = np.full(z.shape, np.nan)
            moved[ok] = op.transform(sx[ok], sy[ok], z[ok])[2]
            z = moved
        out[r0 : r0 + len(cy)] = z.reshape(len(cy), cols)
    fill = -9999.0
    out[~np.isfinite(out)] = fill
    return GDALRaster(
        {
            "driver": "GTiff",
            "name": str(target),
            "srid": storage_srid,
            "width": cols,
            "height": rows,
            "origin": (float(x0), float(y1)),
            "scale": (float(size), -float(size)),
            "datatype": 6,
            "bands": [{"data": out, "nodata_value": fill}],
        }
    )


def _bilinear(data: np.ndarray, valid: np.ndarray, gt, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Heights at source-CRS x, y from cell-centred samples; NaN outside or next to nodata."""
    col = (x - gt[0]) / gt[1] - 0.5
    row = (y - gt[3]) / gt[5] - 0.5
    h, w = data.shape
    c0, r0 = np.floor(col).astype(int), np.floor(row).astype(int)
    fc, fr = col - c0, row - r0
    inside = (c0 >= 0) & (r0 >= 0) & (c0 + 1 < w) & (r0 + 1 < h)
    z = np.full(x.shape, np.nan)
    c, r, a, b = c0[inside], r0[inside], fc[inside], fr[inside]
    ok = valid[r, c] & valid[r, c + 1] & valid[r + 1, c] & valid[r + 1, c + 1]
    top = data[r, c] * (1 - a) + data[r, c + 1] * a
    v = top * (1 - b) + (data[r + 1, c] * (1 - a) + data[r + 1, c + 1] * a) * b
    z[np.flatnonzero(inside)[ok]] = v[ok]
    return z
