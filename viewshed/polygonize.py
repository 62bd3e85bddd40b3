"""Raster masks to simplified polygons through GDALPolygonize (ctypes on the system libgdal, the one GeoDjango
loads)."""

from __future__ import annotations

import ctypes
import functools
import json

import numpy as np

from viewshed.libgdal import DBL, INT, STR, VP, declare, system_gdal
from viewshed.libgdal import GDT_BYTE as _GDT_BYTE
from viewshed.libgdal import GF_WRITE as _GF_WRITE

_WKB_POLYGON = 3
_OFT_INTEGER = 0


class PolygonizeError(RuntimeError):
    """GDAL could not turn the mask into polygons."""


@functools.cache
def _lib() -> ctypes.CDLL:
    return declare(
        system_gdal(),
        {
            "OGRGetDriverByName": ([STR], VP),
            "OGR_Dr_CreateDataSource": ([VP, STR, VP], VP),
            "OGR_DS_CreateLayer": ([VP, STR, VP, INT, VP], VP),
            "OGR_DS_Destroy": ([VP], None),
            "OGR_Fld_Create": ([STR, INT], VP),
            "OGR_Fld_Destroy": ([VP], None),
            "OGR_L_CreateField": ([VP, VP, INT], INT),
            "OGR_L_ResetReading": ([VP], None),
            "OGR_L_GetNextFeature": ([VP], VP),
            "OGR_F_GetGeometryRef": ([VP], VP),
            "OGR_F_Destroy": ([VP], None),
            "OGR_G_SimplifyPreserveTopology": ([VP, DBL], VP),
            "OGR_G_DestroyGeometry": ([VP], None),
            "OGR_G_ExportToJson": ([VP], VP),
            "OGR_G_WkbSize": ([VP], INT),
            "OGR_G_ExportToWkb": ([VP, INT, VP], INT),
            "OGR_G_Area": ([VP], DBL),
            "VSIFree": ([VP], None),
            "GDALPolygonize": ([VP, VP, VP, INT, VP, VP, VP], INT),
        },
    )


def polygonize(
    mask: np.ndarray, origin: tuple[float, float], pixel: float, tolerance: float = 0.0, min_area: float = 0.0
) -> list[list[np.ndarray]]:
    """Polygons covering the nonzero cells of `mask`, in the mask's CRS.

    mask: 2-D array, row 0 north; origin: (x_min, y_max) of its NW corner and
    pixel its square cell size, metres. tolerance: Douglas-Peucker tolerance
    (metres, topology kept); polygons smaller than `min_area` (m²) are dropped.
    Returns polygons as lists of rings, each an (n, 2) array of x, y, the
    outer ring first.
    """
    lib = _lib()
    nonzero = np.asarray(mask) != 0
    rows_hit = np.flatnonzero(nonzero.any(axis=1))
    if not rows_hit.size:
        return []
    cols_hit = np.flatnonzero(nonzero.any(axis=0))
    # GDAL walks every cell it is given: a project's shadow or a view down a
    # street is a small part of the window, so only their bounding box is traced.
    r0, r1, c0, c1 = rows_hit[0], rows_hit[-1] + 1, cols_hit[0], cols_hit[-1] + 1
    data = np.ascontiguousarray(nonzero[r0:r1, c0:c1], dtype=np.uint8)
    origin = (origin[0] + c0 * pixel, origin[1] - r0 * pixel)
    rows, cols = data.shape
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
                try:
                    polys = _read_wkb(lib, simple or geom)
                finally:
                    if simple:
                        lib.OGR_G_DestroyGeometry(simple)
            finally:
                lib.OGR_F_Destroy(feature)
            for poly in polys:
                rings = [r for r in poly if len(r) >= 4]
                if rings:
                    out.append(rings)
        return out
    finally:
        if vector:
            lib.OGR_DS_Destroy(vector)
        lib.GDALClose(raster)


_WKB_NDR = 1
_POLYGON, _MULTIPOLYGON = 3, 6


def _read_wkb(lib: ctypes.CDLL, geom: int) -> list[list[np.ndarray]]:
    """A polygon or multipolygon's rings as (n, 2) arrays, read from its WKB (a JSON round trip cost twice as much)."""
    size = lib.OGR_G_WkbSize(geom)
    buf = np.empty(size, dtype=np.uint8)
    if lib.OGR_G_ExportToWkb(geom, _WKB_NDR, buf.ctypes.data):
        raise PolygonizeError("exporting a polygon failed")
    raw = buf.tobytes()
    kind = int.from_bytes(raw[1:5], "little")
    if kind == _POLYGON:
        return [_wkb_rings(raw, 5)[0]]
    if kind != _MULTIPOLYGON:
        # Anything else (a 2.5D or ISO-coded type): the slow but general path.
        text = lib.OGR_G_ExportToJson(geom)
        try:
            gj = json.loads(ctypes.string_at(text))
        finally:
            lib.VSIFree(text)
        polys = [gj["coordinates"]] if gj["type"] == "Polygon" else gj.get("coordinates", [])
        return [[np.asarray(r, dtype=np.float64)[:, :2] for r in p] for p in polys]
    polys, at = [], 9
    for _ in range(int.from_bytes(raw[5:9], "little")):
        poly, at = _wkb_rings(raw, at + 5)  # each part repeats byte order and type
        polys.append(poly)
    return polys


def _wkb_rings(raw: bytes, at: int) -> tuple[list[np.ndarray], int]:
    """The rings of a little-endian WKB polygon body starting at `at` (its ring count), and where it ends."""
    rings = []
    n_rings = int.from_bytes(raw[at : at + 4], "little")
    at += 4
    for _ in range(n_rings):
        n = int.from_bytes(raw[at : at + 4], "little")
        at += 4
        rings.append(np.frombuffer(raw, dtype="<f8", count=2 * n, offset=at).reshape(n, 2))
        at += 16 * n
    return rings, at


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
            poly.append(ll[k : k + len(r)].tolist())
            k += len(r)
        coords.append(poly)
    return {"type": "MultiPolygon", "coordinates": coords}
