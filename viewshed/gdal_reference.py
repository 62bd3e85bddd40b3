"""GDAL's own viewshed (GDALViewshedGenerate, via ctypes on the system libgdal): the reference for tests and
benchmarks."""

from __future__ import annotations

import ctypes
import functools
import os
import subprocess
import tempfile
import time

import numpy as np
from django.contrib.gis.gdal import GDALRaster

from viewshed.libgdal import (
    DBL,
    INT,
    STR,
    VP,
    declare,
    system_gdal,
)
from viewshed.libgdal import (
    GDT_BYTE as _GDT_BYTE,
)
from viewshed.libgdal import (
    GDT_FLOAT32 as _GDT_FLOAT32,
)
from viewshed.libgdal import (
    GF_READ as _GF_READ,
)
from viewshed.libgdal import (
    GF_WRITE as _GF_WRITE,
)

# GDAL enums (gdal_alg.h, GDAL 3.6); the raster ones live in viewshed.libgdal.
GVM_EDGE = 2
_GVOT_NORMAL = 1

# Any projected CRS on GRS80/WGS84 works: GDAL 3.6 only reads the semi-major
# axis from it, and skips the curvature correction when there is no CRS at all.
_LAMBERT93_EPSG = 2154
SEMI_MAJOR_AXIS_M = 6378137.0


class GDALReferenceError(RuntimeError):
    """The system libgdal could not produce the reference viewshed."""


@functools.cache
def _lib() -> ctypes.CDLL:
    vp, i, d = VP, INT, DBL
    return declare(
        system_gdal(),
        {
            "OSRNewSpatialReference": ([STR], VP),
            "OSRImportFromEPSG": ([VP, INT], INT),
            "OSRDestroySpatialReference": ([VP], None),
            "GDALSetSpatialRef": ([VP, VP], INT),
            "GDALViewshedGenerate": (
                [
                    vp,
                    STR,
                    STR,
                    vp,  # band, driver, target name, creation options
                    d,
                    d,
                    d,
                    d,  # observer x, y, height, target height
                    d,
                    d,
                    d,
                    d,
                    d,  # visible, invisible, out of range, nodata, curvature coeff
                    i,
                    d,  # mode, max distance
                    vp,
                    vp,  # progress function and argument
                    i,
                    vp,  # output type, extra options
                ],
                VP,
            ),
        },
    )


def gdal_version() -> str:
    """Release name of the libgdal loaded, e.g. "3.6.2"."""
    return _lib().GDALVersionInfo(b"RELEASE_NAME").decode()


def _geotransform(cell_size: float, rows: int) -> tuple[float, ...]:
    # Origin (0, rows * cell_size), north up: pixel (row r, col c) has its
    # centre at x = (c + 0.5) * cell_size, y = (rows - r - 0.5) * cell_size.
    return (0.0, cell_size, 0.0, rows * cell_size, 0.0, -cell_size)


def observer_xy(obs_row: int, obs_col: int, rows: int, cell_size: float) -> tuple[float, float]:
    """CRS coordinates (metres) handed to GDAL for the observer in cell (obs_row, obs_col).

    A quarter cell off the centre towards the origin: GDAL releases differ on
    rounding or truncating the pixel coordinate, and both land in this cell.
    """
    return (obs_col + 0.25) * cell_size, (rows - obs_row - 0.25) * cell_size


def _mem_dsm(dsm: np.ndarray, cell_size: float, with_crs: bool) -> int:
    lib = _lib()
    rows, cols = dsm.shape
    ds = lib.GDALCreate(lib.GDALGetDriverByName(b"MEM"), b"", cols, rows, 1, _GDT_FLOAT32, None)
    if not ds:
        raise GDALReferenceError("GDALCreate(MEM) failed")
    gt = (ctypes.c_double * 6)(*_geotransform(cell_size, rows))
    lib.GDALSetGeoTransform(ds, gt)
    if with_crs:
        srs = lib.OSRNewSpatialReference(None)
        lib.OSRImportFromEPSG(srs, _LAMBERT93_EPSG)
        lib.GDALSetSpatialRef(ds, srs)
        lib.OSRDestroySpatialReference(srs)
    data = np.ascontiguousarray(dsm, dtype=np.float32)
    band = lib.GDALGetRasterBand(ds, 1)
    err = lib.GDALRasterIO(band, _GF_WRITE, 0, 0, cols, rows, data.ctypes.data, cols, rows, _GDT_FLOAT32, 0, 0)
    if err:
        lib.GDALClose(ds)
        raise GDALReferenceError("writing the DSM to the MEM dataset failed")
    return ds


def gdal_viewshed(
    dsm: np.ndarray,
    obs_row: int,
    obs_col: int,
    observer_height: float,
    target_height: float = 0.0,
    max_distance: float | None = None,
    cell_size: float = 1.0,
    curvature_coeff: float = 0.0,
    timing: dict[str, float] | None = None,
) -> np.ndarray:
    """Viewshed of `dsm` by GDALViewshedGenerate, Edge mode, normal output, MEM to MEM.

    dsm: 2-D heights in metres, row 0 north, one `cell_size` metre square per cell.
    obs_row, obs_col: observer cell (pixel indices into `dsm`).
    observer_height, target_height: metres above the DSM cell.
    max_distance: metres in the plane (None: the whole raster).
    curvature_coeff: 0 for none, 0.85714 for curvature plus standard refraction
    (the raster is then tagged EPSG:2154 so GDAL finds an Earth radius).

    Returns a uint8 array shaped like `dsm`: 1 visible, 0 invisible or out of
    range (GDAL clips its output to the range; it is pasted back here).
    If `timing` is given, its "seconds" and "cpu_seconds" keys receive the
    wall-clock and CPU time (of the calling thread) spent inside
    GDALViewshedGenerate alone.
    """
    lib = _lib()
    rows, cols = dsm.shape
    src = _mem_dsm(dsm, cell_size, with_crs=curvature_coeff != 0.0)
    try:
        x, y = observer_xy(obs_row, obs_col, rows, cell_size)
        t0, c0 = time.perf_counter(), time.thread_time()
        out = lib.GDALViewshedGenerate(
            lib.GDALGetRasterBand(src, 1),
            b"MEM",
            b"",
            None,
            x,
            y,
            observer_height,
            target_height,
            1.0,
            0.0,
            0.0,
            -1.0,
            curvature_coeff,
            GVM_EDGE,
            max_distance or 0.0,
            None,
            None,
            _GVOT_NORMAL,
            None,
        )
        if timing is not None:
            timing["seconds"] = time.perf_counter() - t0
            timing["cpu_seconds"] = time.thread_time() - c0
        if not out:
            raise GDALReferenceError("GDALViewshedGenerate returned NULL")
        try:
            return _paste(lib, out, rows, cols, cell_size)
        finally:
            lib.GDALClose(out)
    finally:
        lib.GDALClose(src)


def _paste(lib: ctypes.CDLL, out: int, rows: int, cols: int, cell_size: float) -> np.ndarray:
    ocols, orows = lib.GDALGetRasterXSize(out), lib.GDALGetRasterYSize(out)
    gt = (ctypes.c_double * 6)()
    lib.GDALGetGeoTransform(out, gt)
    col0 = round(gt[0] / cell_size)
    row0 = round((rows * cell_size - gt[3]) / cell_size)
    part = np.empty((orows, ocols), dtype=np.uint8)
    err = lib.GDALRasterIO(
        lib.GDALGetRasterBand(out, 1), _GF_READ, 0, 0, ocols, orows, part.ctypes.data, ocols, orows, _GDT_BYTE, 0, 0
    )
    if err:
        raise GDALReferenceError("reading the viewshed back failed")
    full = np.zeros((rows, cols), dtype=np.uint8)
    full[row0 : row0 + orows, col0 : col0 + ocols] = part
    return full


def gdal_viewshed_cli(
    dsm: np.ndarray,
    obs_row: int,
    obs_col: int,
    observer_height: float,
    target_height: float = 0.0,
    cell_size: float = 1.0,
) -> tuple[np.ndarray, float]:
    """Same as `gdal_viewshed` (no range, no curvature) through the `gdal_viewshed` program.

    Returns the uint8 visibility (1/0) and the wall time of the program in
    seconds (process start, GeoTIFF read and write included). The GeoTIFFs go
    through GeoDjango's GDAL wrapper: the same libgdal as the program.
    """
    rows, cols = dsm.shape
    gt = _geotransform(cell_size, rows)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "dsm.tif"), os.path.join(tmp, "vs.tif")
        raster = GDALRaster(
            {
                "driver": "GTiff",
                "name": src,
                "srid": _LAMBERT93_EPSG,
                "width": cols,
                "height": rows,
                "datatype": 6,
                "origin": (gt[0], gt[3]),
                "scale": (gt[1], gt[5]),
                "bands": [{"data": np.asarray(dsm, dtype=np.float32)}],
            }
        )
        del raster  # flushes the file
        x, y = observer_xy(obs_row, obs_col, rows, cell_size)
        cmd = [
            "gdal_viewshed",
            "-q",
            "-ox",
            repr(x),
            "-oy",
            repr(y),
            "-oz",
            repr(observer_height),
            "-tz",
            repr(target_height),
            "-cc",
            "0",
            "-vv",
            "1",
            "-iv",
            "0",
            "-ov",
            "0",
            src,
            dst,
        ]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        seconds = time.perf_counter() - t0
        return GDALRaster(dst).bands[0].data(), seconds
