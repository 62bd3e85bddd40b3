"""GeoTIFF terrain models (DEM): CRS, nodata, vertical datum; and a sampler for depth computations."""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.contrib.gis.gdal import GDALException, GDALRaster

from gis_sync import crs as crs_mod
from gis_sync.errors import FormatError
from gis_sync.formats import register
from gis_sync.formats.base import Format, ReadOptions
from gis_sync.records import ReadReport, TerrainRecord

# Official height systems of the storage CRSs we expect when a DEM carries only a horizontal CRS.
DEFAULT_VERTICAL = {2154: "NGF-IGN69", 28992: "NAP height", 25832: "DHHN2016 height"}


def open_raster(path: Path) -> GDALRaster:
    try:
        return GDALRaster(str(path))
    except GDALException as exc:
        raise FormatError(f"GDAL cannot open it as a raster ({exc})", file=str(path)) from None


@register
class TerrainFormat(Format):
    """A single-band elevation raster (GeoTIFF or anything GDAL reads); heights in metres."""

    name = "terrain"
    kind = "terrain"
    extensions = (".tif", ".tiff", ".asc", ".vrt")
    has_crs = True

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> int:
        if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
            return 90
        return super().sniff(path, head)

    def _scan(self, path: Path, opts: ReadOptions, report: ReadReport) -> list[Any]:
        rst = open_raster(path)
        declared = None
        if rst.srs is not None:
            declared = rst.srs.srid or crs_mod.srid_from_name(rst.srs.wkt)
        srid = crs_mod.resolve_srid(declared, opts.srid, file=str(path), what="the raster")
        report.source_srid = srid
        minx, miny, maxx, maxy = rst.extent
        crs_mod.check_area_of_use(srid, (minx, miny, maxx, maxy), file=str(path))
        if len(rst.bands) < 1:
            raise FormatError("the raster has no band")
        band = rst.bands[0]
        nodata = band.nodata_value
        if nodata is None:
            report.warn("no nodata value: every cell is taken as a height", field="nodata")
        datum = crs_mod.vertical_datum_name(srid) if declared else None
        if not datum:
            datum = opts.vertical_datum or DEFAULT_VERTICAL.get(crs_mod.horizontal_srid(srid))
            if datum:
                report.warn(f"the raster states no vertical datum: heights taken as {datum}", field="vertical_datum")
        stats = None
        try:
            data = band.data()
            valid = data[data != nodata] if nodata is not None else data.ravel()
            if valid.size:
                stats = (float(valid.min()), float(valid.max()))
        except (GDALException, MemoryError):
            pass
        report.members = 1
        report.imported["raster"] += 1
        return [TerrainRecord(
            source_id=path.stem, raster_path=str(path.resolve()), srid=srid, vertical_datum=datum,
            nodata=nodata, width=rst.width, height=rst.height, pixel_size=(rst.scale.x, rst.scale.y),
            bounds=(minx, miny, maxx, maxy), z_range=stats,
        )]


class TerrainSampler:
    """Ground heights at points, bilinear, from a DEM; None outside it or on nodata.

    Call it as terrain_z(xs, ys) with coordinates in the DEM's CRS (metres); heights in its vertical datum.
    """

    def __init__(self, path: str | Path) -> None:
        rst = open_raster(Path(path))
        self.ox, self.oy = rst.origin.x, rst.origin.y
        self.sx, self.sy = rst.scale.x, rst.scale.y
        band = rst.bands[0]
        self.nodata = band.nodata_value
        self.data = band.data()
        self.h, self.w = self.data.shape

    def __call__(self, xs: Sequence[float], ys: Sequence[float]) -> list[float | None]:
        return [self._one(float(x), float(y)) for x, y in zip(xs, ys)]

    def _one(self, x: float, y: float) -> float | None:
        # Cell centres sit half a pixel in from the origin.
        c = (x - self.ox) / self.sx - 0.5
        r = (y - self.oy) / self.sy - 0.5
        if not (-0.5 <= c <= self.w - 0.5 and -0.5 <= r <= self.h - 0.5):
            return None
        c0, r0 = max(0, min(self.w - 2, math.floor(c))), max(0, min(self.h - 2, math.floor(r)))
        fc, fr = min(max(c - c0, 0.0), 1.0), min(max(r - r0, 0.0), 1.0)
        cells = [(r0, c0, (1 - fr) * (1 - fc)), (r0, c0 + 1, (1 - fr) * fc),
                 (r0 + 1, c0, fr * (1 - fc)), (r0 + 1, c0 + 1, fr * fc)]
        total = weight = 0.0
        for rr, cc, wgt in cells:
            v = float(self.data[rr, cc])
            if wgt == 0 or (self.nodata is not None and v == self.nodata) or math.isnan(v):
                continue
            total += v * wgt
            weight += wgt
        return total / weight if weight > 0.25 else None
