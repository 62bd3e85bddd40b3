"""Bilinear sampling of a single-band GeoTIFF at points in its own CRS."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from django.contrib.gis.gdal import GDALRaster


class RasterSampler:
    """Holds a DEM in memory and answers heights at (x, y) in the raster's CRS, metres."""

    def __init__(
        self, data: np.ndarray, origin_x: float, origin_y: float, pixel_x: float, pixel_y: float, nodata: float | None
    ):
        self.data = data.astype(np.float64, copy=False)
        if nodata is not None:
            self.data = np.where(self.data == nodata, np.nan, self.data)
        self.origin_x = origin_x
        self.origin_y = origin_y
        self.pixel_x = pixel_x
        self.pixel_y = pixel_y  # negative for north-up rasters

    @classmethod
    def open(cls, path: Path) -> RasterSampler:
        raster = GDALRaster(str(path))
        band = raster.bands[0]
        ox, oy = raster.origin
        sx, sy = raster.scale
        return cls(band.data(), ox, oy, sx, sy, band.nodata_value)

    def _pixel(self, xs, ys) -> tuple[np.ndarray, np.ndarray]:
        """Fractional (col, row) of xs, ys; pixel centres sit half a pixel from the origin corner."""
        col = (np.asarray(xs, dtype=np.float64) - self.origin_x) / self.pixel_x - 0.5
        row = (np.asarray(ys, dtype=np.float64) - self.origin_y) / self.pixel_y - 0.5
        return col, row

    def __call__(self, xs, ys) -> np.ndarray:
        """Heights at xs, ys (storage CRS, metres); NaN outside the raster or on nodata."""
        col, row = self._pixel(xs, ys)
        h, w = self.data.shape
        c0 = np.floor(col).astype(np.int64)
        r0 = np.floor(row).astype(np.int64)
        fc = col - c0
        fr = row - r0
        c0c = np.clip(c0, 0, w - 1)
        c1c = np.clip(c0 + 1, 0, w - 1)
        r0c = np.clip(r0, 0, h - 1)
        r1c = np.clip(r0 + 1, 0, h - 1)
        d = self.data
        z = (
            d[r0c, c0c] * (1 - fc) * (1 - fr)
            + d[r0c, c1c] * fc * (1 - fr)
            + d[r1c, c0c] * (1 - fc) * fr
            + d[r1c, c1c] * fc * fr
        )
        outside = (col < -0.5) | (row < -0.5) | (col > w - 0.5) | (row > h - 0.5)
        return np.where(outside, np.nan, z)

    def window_digest(self, xs, ys, margin: int = 2) -> bytes:
        """A digest of every pixel that sampling inside the bounding box of (xs, ys) can read, and of where the
        raster lies: two rasters with the same digest give the same heights there. b"" when it reads no pixel."""
        col, row = self._pixel(xs, ys)
        h, w = self.data.shape
        c0, c1 = max(0, int(np.floor(col.min())) - margin), min(w, int(np.ceil(col.max())) + margin + 1)
        r0, r1 = max(0, int(np.floor(row.min())) - margin), min(h, int(np.ceil(row.max())) + margin + 1)
        if c0 >= c1 or r0 >= r1:
            return b""
        digest = hashlib.blake2b(digest_size=16)
        digest.update(
            np.array([self.origin_x, self.origin_y, self.pixel_x, self.pixel_y, r0, r1, c0, c1], "<f8").tobytes()
        )
        digest.update(np.ascontiguousarray(self.data[r0:r1, c0:c1], dtype="<f8").tobytes())
        return digest.digest()
