"""Storage CRS + orthometric heights → geographic and ECEF coordinates, through a named geoid grid."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings
from pyproj import Transformer
from pyproj.datadir import get_data_dir

from twin import geodesy

# Where Debian's proj-data and a city's own grids (e.g. RAF20) live, besides pyproj's bundled data.
_GRID_DIRS = [
    os.getenv("PROJ_DATA", ""),
    os.getenv("PROJ_LIB", ""),
    "/usr/share/proj",
    "/usr/local/share/proj",
    get_data_dir(),
]


class GeoidGridMissing(LookupError):
    """The geoid grid needed for ellipsoidal heights is not installed: heights would be ~50 m off."""


def find_grid(name: str) -> Path:
    """The path of a geoid grid given by file name or path; raises GeoidGridMissing with advice."""
    candidate = Path(name)
    if candidate.is_absolute() and candidate.is_file():
        return candidate
    for folder in _GRID_DIRS:
        if folder and (Path(folder) / name).is_file():
            return Path(folder) / name
    raise GeoidGridMissing(
        f"Geoid grid {name!r} was not found in {', '.join(d for d in _GRID_DIRS if d)}. "
        "Without it heights would silently stay orthometric (about 50 m off near Antibes). "
        "Install Debian's proj-data (egm96_15.gtx) or put the grid (e.g. RAF20) there and set JUMEAU_GEOID_GRID."
    )


@dataclass(frozen=True)
class HeightFrame:
    """Converts coordinates of one projected CRS with orthometric heights to WGS84 and ECEF.

    RGF93 and WGS84 are treated as the same frame (they differ by well under a metre and
    the twin's layers all go through this one function, so they stay consistent).
    """

    srid: int
    grid: str

    @property
    def grid_path(self) -> Path:
        return _grid_path(self.grid)

    def to_lonlat(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Longitude/latitude in degrees (WGS84) of x, y in metres of the storage CRS."""
        return _transform(_to_lonlat(self.srid), x, y)

    def from_lonlat(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """x, y in the storage CRS (metres) of longitude/latitude in degrees (WGS84)."""
        return _transform(_to_lonlat(self.srid), lon, lat, direction="INVERSE")

    def undulation(self, lon, lat) -> np.ndarray:
        """Geoid height N in metres (ellipsoidal = orthometric + N) at lon/lat in degrees."""
        lon = np.asarray(lon, float)
        lat = np.asarray(lat, float)
        _, _, h = _transform(_geoid(self.grid), lon, lat, np.zeros_like(lon))
        return np.asarray(h)

    def to_geographic(self, x, y, h_ortho) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lon°, lat°, ellipsoidal height m) of x, y (storage CRS, m) and orthometric height (m)."""
        lon, lat = self.to_lonlat(x, y)
        h = np.asarray(h_ortho, float) + self.undulation(lon, lat)
        return np.asarray(lon), np.asarray(lat), h

    def to_ecef(self, x, y, h_ortho) -> np.ndarray:
        """ECEF (EPSG:4978) metres, shape (n, 3), of storage-CRS x, y (m) and orthometric heights (m)."""
        lon, lat, h = self.to_geographic(x, y, h_ortho)
        ex, ey, ez = _transform(_to_ecef(), lon, lat, h)
        return np.column_stack([ex, ey, ez])

    def from_ecef(self, ecef: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Storage-CRS x, y and orthometric height of ECEF points (n, 3) in metres."""
        lon, lat, h = _transform(_to_ecef(), ecef[:, 0], ecef[:, 1], ecef[:, 2], direction="INVERSE")
        x, y = self.from_lonlat(lon, lat)
        return np.asarray(x), np.asarray(y), np.asarray(h) - self.undulation(lon, lat)


@lru_cache(maxsize=8)
def _grid_path(name: str) -> Path:
    return find_grid(name)


@lru_cache(maxsize=8)
def _to_lonlat(srid: int) -> Transformer:
    # Through twin.geodesy like every other transformation: never a ballpark (RGF93 v1 to WGS 84 is a stated
    # null transformation, 1 m). The twin's own frame, so neither a run's stricter limit nor its record apply.
    return _runnable(geodesy.operation(srid, 4326, max_error_m=geodesy.DEFAULT_MAX_ERROR_M, record=False))


@lru_cache(maxsize=1)
def _to_ecef() -> Transformer:
    return _runnable(geodesy.operation(4979, 4978, max_error_m=0.0, record=False))


def _runnable(op: geodesy.Operation) -> Transformer:
    return op.transformer if op.transformer is not None else Transformer.from_pipeline("+proj=noop")


@lru_cache(maxsize=8)
def _geoid(grid: str) -> Transformer:
    # The grid is named explicitly: PROJ fails if it cannot load it, instead of the silent
    # "ballpark" transform that a CRS-to-CRS request falls back to without the grid.
    path = _grid_path(grid)
    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=vgridshift +grids={path} +multiplier=1 "
        "+step +proj=unitconvert +xy_in=rad +xy_out=deg"
    )


def city_frame() -> HeightFrame:
    """The height frame of the configured city (Django settings)."""
    return HeightFrame(settings.JUMEAU_SRID, settings.JUMEAU_GEOID_GRID)


def _transform(transformer, *coords, **kwargs) -> tuple[np.ndarray, ...]:
    """Transformer.transform on arrays of any size, one element included.

    pyproj 3.6 tries its single-point path first, and that path turns a
    one-element array into a float, which NumPy 1.25 deprecates (an error in a
    later NumPy): one point goes through as scalars and comes back as arrays.
    """
    arrays = [np.asarray(c, float) for c in coords]
    if arrays[0].size == 1:
        out = transformer.transform(*(a.item() for a in arrays), **kwargs)
        return tuple(np.full(arrays[0].shape, v) for v in out)
    return transformer.transform(*arrays, **kwargs)
