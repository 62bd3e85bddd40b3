"""Terrain records → a GeoTIFF the twin owns (under JUMEAU_DATA_DIR/terrain) and the active twin.Terrain."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from django.conf import settings
from django.contrib.gis.gdal import GDALException, GDALRaster
from django.contrib.gis.geos import Polygon

from gis_sync import crs as crs_mod
from gis_sync.errors import FormatError
from gis_sync.records import TerrainRecord
from gis_sync.writers.base import WriteContext, WriteResult, outside
from gis_sync.writers.terrain_warp import warp_to_storage
from twin import derived
from twin.models import Terrain

LAYER = "terrain"


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write(records: list[TerrainRecord], ctx: WriteContext) -> WriteResult:
    result = WriteResult()
    for rec in records:
        digest = file_digest(Path(rec.raster_path))
        name = ctx.source_key[:100]
        old = Terrain.objects.filter(name=name).first()
        if old is not None and old.checksum == digest and Path(old.file).is_file():
            if not old.active:
                old.activate()
            result.unchanged += 1
            continue
        # Content-addressed: a run rolled back later leaves the previous file, still referenced, untouched.
        folder = settings.JUMEAU_DATA_DIR / "terrain"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{name}-{digest[:12]}.tif"
        raster = _owned_copy(Path(rec.raster_path), target, rec.srid, ctx)
        minx, miny, maxx, maxy = raster.extent
        values = {
            "file": str(target),
            "srid": ctx.srid,
            "vertical_datum": (rec.vertical_datum or "")[:50],
            "extent": Polygon.from_bbox((minx, miny, maxx, maxy)),
            "pixel_size": abs(raster.scale.x),
            "width": raster.width,
            "height": raster.height,
            "min_z": rec.z_range[0] if rec.z_range else None,
            "max_z": rec.z_range[1] if rec.z_range else None,
            "checksum": digest,
        }
        values["extent"].srid = ctx.srid
        old_box = tuple(old.extent.extent) if old is not None else None
        if old is None:
            terrain = Terrain.objects.create(name=name, **values)
            result.created += 1
        else:
            for key, value in values.items():
                setattr(old, key, value)
            old.save()
            terrain = old
            result.updated += 1
        terrain.activate()
        box = (minx, miny, maxx, maxy)
        result.outside += outside(box, settings.JUMEAU_EXTENT)
        result.mark(LAYER, name, old_box, box)
        result.derived.add(derived.SURFACE)
        ctx.say(f"  terrain {name}: {raster.width} x {raster.height} cells of {abs(raster.scale.x):g} m, active")
    return result


def _owned_copy(source: Path, target: Path, srid: int, ctx: WriteContext) -> GDALRaster:
    """Copy the DEM into the twin's folder, warped to the storage CRS when it comes in another one."""
    try:
        if srid == ctx.srid or _in_storage(srid, ctx.srid):
            if not target.exists():
                shutil.copyfile(source, target)
            return GDALRaster(str(target))
        ctx.warn(f"the DEM is in EPSG:{srid}: resampled to EPSG:{ctx.srid} (bilinear)", field="CRS")
        return warp_to_storage(source, target, srid, ctx.srid)
    except GDALException as exc:
        raise FormatError(
            f"GDAL cannot copy the DEM into the twin ({exc})",
            file=str(source),
            advice="check that the file is a complete GeoTIFF and the disk is not full",
        ) from None


def _in_storage(srid, storage_srid: int) -> bool:
    """A compound CRS that is the storage CRS with its own height system (EPSG:5698 for Lambert-93)."""
    return crs_mod.crs_for(srid) == crs_mod.storage_crs(storage_srid)
