"""GeoTIFF terrain models (DEM): CRS, nodata, vertical datum."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.gis.gdal import GDALException, GDALRaster

from gis_sync import crs as crs_mod
from gis_sync import validation
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
            # The WKT first: a compound CRS (horizontal + height system) has no single srid in GDAL's view.
            declared = crs_mod.srid_from_name(rst.srs.wkt) or rst.srs.srid
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
        if datum:
            # The writer resamples it into the storage CRS, heights moved to the storage height system.
            report.heights_moved = True
            if srid != opts.storage_srid:
                datum = crs_mod.storage_vertical_name(opts.storage_srid) or datum
        else:
            datum = opts.vertical_datum or DEFAULT_VERTICAL.get(crs_mod.horizontal_srid(srid))
            if datum:
                report.warn(f"the raster states no vertical datum: heights taken as {datum}", field="vertical_datum")
        stats = None
        try:
            data = band.data()
        except (GDALException, MemoryError):
            data = None
        if data is not None:
            valid = data[data != nodata] if nodata is not None else data.ravel()
            validation.check_raster_heights(valid, nodata=nodata)
            if valid.size:
                stats = (float(valid.min()), float(valid.max()))
        report.members = 1
        report.imported["raster"] += 1
        return [
            TerrainRecord(
                source_id=path.stem,
                raster_path=str(path.resolve()),
                srid=srid,
                vertical_datum=datum,
                nodata=nodata,
                width=rst.width,
                height=rst.height,
                pixel_size=(rst.scale.x, rst.scale.y),
                bounds=(minx, miny, maxx, maxy),
                z_range=stats,
            )
        ]
