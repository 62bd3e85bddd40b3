"""Raster masks to simplified polygons through GDALPolygonize (ctypes on the system libgdal, the one GeoDjango loads)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json

import numpy as np

_GDT_BYTE = 1
_GF_WRITE = 1
_WKB_POLYGON = 3
_OFT_INTEGER = 0


class PolygonizeError(RuntimeError):
    """GDAL could not turn the mask into polygons."""


@functools.cache
def _lib() -> ctypes.CDLL:
    # The system libgdal (already in the process when GeoDjango is): a handle of our own, so
    # the prototypes set here never touch GeoDjango's. Never a wheel's bundled GDAL (see PITFALLS).
    lib = ctypes.CDLL(ctypes.util.find_library("gdal") or "libgdal.so.32")
    vp, i, d, cp = ctypes.c_void_p, ctypes.c_int, ctypes.c_double, ctypes.c_char_p
    protos = {
        "GDALAllRegister": ([], None),
        "GDALGetDriverByName": ([cp], vp),
        "GDALCreate": ([vp, cp, i, i, i, i, vp], vp),
        "GDALSetGeoTransform": ([vp, ctypes.POINTER(d)], i),
        "GDALGetRasterBand": ([vp, i], vp),
        "GDALRasterIO": ([vp, i, i, i, i, i, vp, i, i, i, i, i], i),
        "GDALClose": ([vp], None),
        "OGRGetDriverByName": ([cp], vp),
        "OGR_Dr_CreateDataSource": ([vp, cp, vp], vp),
        "OGR_DS_CreateLayer": ([vp, cp, vp, i, vp], vp),
        "OGR_DS_Destroy": ([vp], None),
        "OGR_Fld_Create": ([cp, i], vp),
        "OGR_Fld_Destroy": ([vp], None),
        "OGR_L_CreateField": ([vp, vp, i], i),
        "OGR_L_ResetReading": ([vp], None),
        "OGR_L_GetNextFeature": ([vp], vp),
        "OGR_F_GetGeometryRef": ([vp], vp),
        "OGR_F_Destroy": ([vp], None),
        "OGR_G_SimplifyPreserveTopology": ([vp, d], vp),
        "OGR_G_DestroyGeometry": ([vp], None),
        "OGR_G_ExportToJson": ([vp], vp),
        "OGR_G_Area": ([vp], d),
        "VSIFree": ([vp], None),
        "GDALPolygonize": ([vp, vp, vp, i, vp, vp, vp], i),
    }
    for name, (args, res) in protos.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = res
    lib.GDALAllRegister()
    return lib


def polygonize(mask: np.ndarray, origin: tuple[float, float], pixel: float, tolerance: float = 0.0,
               min_area: float = 0.0) -> list[list[np.ndarray]]:
    """Polygons covering the nonzero cells of `mask`, in the mask's CRS.

    mask: 2-D array, row 0 north; origin: (x_min, y_max) of its NW corner and
    pixel its square cell size, metres. tolerance: Douglas-Peucker tolerance
    (metres, topology kept); polygons smaller than `min_area` (m²) are dropped.
    Returns polygons as lists of rings, each an (n, 2) array of x, y, the
    outer ring first.
    """
    lib = _lib()
    data = np.ascontiguousarray(mask != 0, dtype=np.uint8)
    rows, cols = data.shape
    if not data.any():
        return []
    raster = lib.GDALCreate(lib.GDALGetDriverByName(b"MEM"), b"", cols, rows, 1, _GDT_BYTE, None)
    if not raster:
        raise PolygonizeError("GDALCreate(MEM) failed")
    vector = None
    try:
        gt = (ctypes.c_double * 6)(origin[0], pixel, 0.0, origin[1], 0.0, -pixel)
        lib.GDALSetGeoTransform(raster, gt)
        band = lib.GDALGetRasterBand(raster, 1)
        if lib.GDALRasterIO(band, _GF_WRITE, 0, 0, cols, rows, data.ctypes.data, cols, rows, _GDT_BYTE, 0, 0):
            raise PolygonizeError("writing the mask failed")
        vector = lib.OGR_Dr_CreateDataSource(lib.OGRGetDriverByName(b"Memory"), b"", None)
        layer = lib.OGR_DS_CreateLayer(vector, b"mask", None, _WKB_POLYGON, None)
        field = lib.OGR_Fld_Create(b"v", _OFT_INTEGER)
        lib.OGR_L_CreateField(layer, field, 1)
        lib.OGR_Fld_Destroy(field)
        # The band is its own mask: zero cells make no polygon.
        if lib.GDALPolygonize(band, band, layer, 0, None, None, None):
            raise PolygonizeError("GDALPolygonize failed")
        out: list[list[np.ndarray]] = []
        lib.OGR_L_ResetReading(layer)
        while True:
            feature = lib.OGR_L_GetNextFeature(layer)
            if not feature:
                break
            try:
                geom = lib.OGR_F_GetGeometryRef(feature)
                if min_area and lib.OGR_G_Area(geom) < min_area:
                    continue
                simple = lib.OGR_G_SimplifyPreserveTopology(geom, tolerance) if tolerance > 0 else None
                text = lib.OGR_G_ExportToJson(simple or geom)
                try:
                    gj = json.loads(ctypes.string_at(text))
                finally:
                    lib.VSIFree(text)
                    if simple:
                        lib.OGR_G_DestroyGeometry(simple)
            finally:
                lib.OGR_F_Destroy(feature)
            polys = [gj["coordinates"]] if gj["type"] == "Polygon" else gj.get("coordinates", [])
            for poly in polys:
                rings = [np.asarray(r, dtype=np.float64)[:, :2] for r in poly if len(r) >= 4]
                if rings:
                    out.append(rings)
        return out
    finally:
        if vector:
            lib.OGR_DS_Destroy(vector)
        lib.GDALClose(raster)


def to_geojson(polygons: list[list[np.ndarray]], to_lonlat, digits: int = 6) -> dict:
    """A GeoJSON MultiPolygon in lon/lat (degrees) from polygons in the storage CRS.

    to_lonlat(x, y) -> (lon, lat): arrays in, arrays out (one call for every vertex).
    """
    if not polygons:
        return {"type": "MultiPolygon", "coordinates": []}
    rings = [r for p in polygons for r in p]
    xy = np.concatenate(rings)
    lon, lat = to_lonlat(xy[:, 0], xy[:, 1])
    ll = np.round(np.column_stack([lon, lat]), digits)
    coords, k = [], 0
    for p in polygons:
        poly = []
        for r in p:
            poly.append(ll[k:k + len(r)].tolist())
            k += len(r)
        coords.append(poly)
    return {"type": "MultiPolygon", "coordinates": coords}
