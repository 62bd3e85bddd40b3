"""The DEM: a seeded Antibes-like relief and bathymetry, written as a Lambert-93 / NGF-IGN69 GeoTIFF."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

# GeoDjango's GDAL wrapper, not a GDAL bundled in a wheel: one GDAL/PROJ per process
# (SpatiaLite loads the system PROJ globally, and a second copy crashes the process).
from django.contrib.gis.gdal import GDALRaster
from scipy import ndimage

from .coastline import Coastline
from .extent import CELL_SIZE, DEMO_EXTENT, DEMO_SRID, DEMO_VERTICAL_SRID, to_l93

NODATA = -9999.0

# (lon, lat, height m NGF, radius m, flatness): peaks of the real relief.
# Plateau de la Garoupe 76 m (the lighthouse stands on it), Fort Carré's 26 m promontory,
# the old town's rock under Château Grimaldi, the Cap's ridge and the hills behind the town.
_HILLS = [
    (7.1331, 43.5642, 74.0, 420.0, 4.0),
    (7.1290, 43.5560, 38.0, 700.0, 2.0),
    (7.1255, 43.5495, 18.0, 380.0, 2.0),
    (7.12722, 43.59028, 24.0, 130.0, 3.0),
    (7.1284, 43.5808, 18.0, 160.0, 3.0),
    (7.1180, 43.5780, 22.0, 600.0, 2.0),
    (7.1000, 43.5980, 60.0, 1400.0, 2.0),
    (7.0900, 43.5820, 45.0, 900.0, 2.0),
]


@dataclass(frozen=True)
class GridTransform:
    """North-up grid: x = c + a * col, y = f + e * row (GDAL geotransform without rotation)."""

    c: float
    a: float
    f: float
    e: float


@dataclass
class Terrain:
    """A DEM on the demo grid: heights in metres NGF-IGN69, sea cells negative."""

    heights: np.ndarray  # float32, row 0 is the north edge
    transform: GridTransform

    def height_at(self, x: float, y: float) -> float:
        """Bilinear height at EPSG:2154 (x, y), in metres NGF-IGN69."""
        return float(self.heights_at(np.array([x]), np.array([y]))[0])

    def heights_at(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Bilinear heights at EPSG:2154 coordinates, in metres NGF-IGN69."""
        col = (np.asarray(xs, dtype=float) - self.transform.c) / self.transform.a - 0.5
        row = (np.asarray(ys, dtype=float) - self.transform.f) / self.transform.e - 0.5
        h, w = self.heights.shape
        col = np.clip(col, 0, w - 1.000001)
        row = np.clip(row, 0, h - 1.000001)
        c0 = col.astype(int)
        r0 = row.astype(int)
        fc = col - c0
        fr = row - r0
        z = self.heights
        top = z[r0, c0] * (1 - fc) + z[r0, c0 + 1] * fc
        bottom = z[r0 + 1, c0] * (1 - fc) + z[r0 + 1, c0 + 1] * fc
        return top * (1 - fr) + bottom * fr

    def is_sea(self, x: float, y: float) -> bool:
        return self.height_at(x, y) < 0.0


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], scale_cells: float) -> np.ndarray:
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), scale_cells, mode="reflect")
    return noise / (noise.std() + 1e-12)


def build_terrain(coast: Coastline, seed: int) -> Terrain:
    """Heights for the demo extent from the coastline, the named hills and seeded noise."""
    xmin, ymin, xmax, ymax = DEMO_EXTENT
    width = int(round((xmax - xmin) / CELL_SIZE))
    height = int(round((ymax - ymin) / CELL_SIZE))
    transform = GridTransform(c=xmin, a=CELL_SIZE, f=ymax, e=-CELL_SIZE)
    rng = np.random.default_rng(seed)

    cols = xmin + (np.arange(width) + 0.5) * CELL_SIZE
    rows = ymax - (np.arange(height) + 0.5) * CELL_SIZE
    gx, gy = np.meshgrid(cols, rows)
    # a cell is land when its centre is inside the coastline polygon
    shapely.prepare(coast.land)
    land = shapely.contains_xy(coast.land, gx, gy)
    dist_land = ndimage.distance_transform_edt(land) * CELL_SIZE  # metres to the shore, on land
    dist_sea = ndimage.distance_transform_edt(~land) * CELL_SIZE  # metres to the shore, at sea

    relief = np.zeros((height, width))
    for lon, lat, peak, radius, flatness in _HILLS:
        cx, cy = to_l93(lon, lat)
        r2 = ((gx - cx) ** 2 + (gy - cy) ** 2) / radius**2
        # super-Gaussian: flat plateaus (Garoupe) rather than pointy peaks
        relief = np.maximum(relief, peak * np.exp(-(r2 ** (flatness / 2.0))))
    # a gentle rise inland to the north-west (~100 m at the corner, behind the town)
    inland = np.clip((gx.max() - gx) / 6000.0 * 0.5 + (gy - gy.min()) / 8000.0 * 0.6, 0, None)
    relief += 52.0 * inland**1.6 * np.clip((dist_land - 300.0) / 1500.0, 0, 1)
    relief += 3.0 * _smooth_noise(rng, relief.shape, 40.0) + 0.6 * _smooth_noise(rng, relief.shape, 6.0)
    # beaches and quays stay low: heights ramp up over the first ~120 m from the shore
    shore = np.clip(dist_land / 120.0, 0.0, 1.0)
    land_h = 1.0 + 1.5 * shore + np.maximum(relief, 0.0) * (0.15 + 0.85 * shore)

    # shelf then slope; the Baie des Anges (north-east) deepens faster than the Golfe-Juan side
    steep = np.clip((gy - 6282000.0) / 4000.0, 0.3, 1.0)
    depth = 1.0 + np.minimum(dist_sea * 0.025 * (0.6 + steep), 60.0)
    depth += 0.8 * np.abs(_smooth_noise(rng, depth.shape, 20.0))
    sea_h = -np.clip(depth, 0.5, None)

    z = np.where(land, np.maximum(land_h, 0.3), sea_h).astype(np.float32)
    return Terrain(heights=z, transform=transform)


def write_terrain(terrain: Terrain, path: Path) -> Path:
    """terrain.tif: tiled, deflate-compressed float32 GeoTIFF, EPSG:2154, heights NGF-IGN69."""
    h, w = terrain.heights.shape
    t = terrain.transform
    raster = GDALRaster(
        {
            "driver": "GTiff",
            "name": str(path),
            "srid": DEMO_SRID,
            "width": w,
            "height": h,
            "datatype": 6,
            "origin": (t.c, t.f),
            "scale": (t.a, t.e),
            "bands": [{"data": terrain.heights, "nodata_value": NODATA}],
            "papsz_options": {
                "tiled": "yes",
                "blockxsize": 256,
                "blockysize": 256,
                "compress": "deflate",
                "predictor": 3,
            },
        }
    )
    raster.metadata = {
        "DEFAULT": {
            "VERTICAL_DATUM": "NGF-IGN69",
            "VERTICAL_CRS": f"EPSG:{DEMO_VERTICAL_SRID}",
            "UNITS": "metre",
            "SEA_MASK": "height < 0",
            "SOURCE": "Jumeau demo city generator (synthetic, Antibes-like)",
        }
    }
    raster.bands[0].metadata = {
        "DEFAULT": {"VERTICAL_DATUM": "NGF-IGN69", "VERTICAL_CRS": f"EPSG:{DEMO_VERTICAL_SRID}"}
    }
    del raster  # closes and flushes the file
    return path
