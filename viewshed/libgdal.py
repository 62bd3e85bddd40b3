"""One ctypes handle on the system libgdal (the one GeoDjango loads) with the raster calls the viewshed uses."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

# GDAL enums (gdal.h, GDAL 3.6).
GDT_BYTE = 1
GDT_FLOAT32 = 6
GF_READ = 0
GF_WRITE = 1

VP, INT, DBL, STR = ctypes.c_void_p, ctypes.c_int, ctypes.c_double, ctypes.c_char_p

# The MEM-dataset calls every user of this handle needs.
_CORE = {
    "GDALAllRegister": ([], None),
    "GDALVersionInfo": ([STR], STR),
    "GDALGetDriverByName": ([STR], VP),
    "GDALCreate": ([VP, STR, INT, INT, INT, INT, VP], VP),
    "GDALSetGeoTransform": ([VP, ctypes.POINTER(DBL)], INT),
    "GDALGetGeoTransform": ([VP, ctypes.POINTER(DBL)], INT),
    "GDALGetRasterBand": ([VP, INT], VP),
    "GDALGetRasterXSize": ([VP], INT),
    "GDALGetRasterYSize": ([VP], INT),
    "GDALRasterIO": ([VP, INT, INT, INT, INT, INT, VP, INT, INT, INT, INT, INT], INT),
    "GDALClose": ([VP], None),
}


@functools.cache
def system_gdal() -> ctypes.CDLL:
    """The system libgdal with the core prototypes set, drivers registered.

    A handle of our own, so the prototypes set here never touch GeoDjango's; never a
    wheel's bundled GDAL (a second GDAL/PROJ in the process crashes it, see PITFALLS).
    """
    lib = ctypes.CDLL(ctypes.util.find_library("gdal") or "libgdal.so.32")
    declare(lib, _CORE)
    lib.GDALAllRegister()
    return lib


def declare(lib: ctypes.CDLL, prototypes: dict[str, tuple[list, object]]) -> ctypes.CDLL:
    """Set argtypes/restype of each named function: {name: ([argtypes], restype)}."""
    for name, (args, res) in prototypes.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = res
    return lib
