"""Point-cloud records → a LAS/LAZ file the twin owns (JUMEAU_DATA_DIR/pointclouds) and a twin.PointCloud."""
from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import Polygon

from gis_sync import crs as crs_mod
from gis_sync.records import PointCloudRecord
from gis_sync.writers.base import WriteContext, WriteResult, outside
from gis_sync.writers.terrain import file_digest

LAYER_PREFIX = "pointcloud-"


def write(records: list[PointCloudRecord], ctx: WriteContext) -> WriteResult:
    from twin.models import PointCloud

    result = WriteResult()
    for rec in records:
        source = Path(rec.file_path)
        digest = file_digest(source)
        name = ctx.source_key[:200]
        folder = settings.JUMEAU_DATA_DIR / "pointclouds"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{name}-{digest[:12]}{source.suffix.lower()}"
        old = PointCloud.objects.filter(name=name).first()
        if old is not None and Path(old.file) == target and target.is_file():
            result.unchanged += 1
            continue
        if not target.exists():
            shutil.copyfile(source, target)
        minx, miny, minz, maxx, maxy, maxz = rec.bounds
        xs, ys = crs_mod.transform_xy([minx, maxx, minx, maxx], [miny, miny, maxy, maxy], rec.srid, ctx.srid)
        box = (min(xs), min(ys), max(xs), max(ys))
        values = {"file": str(target), "srid": rec.srid, "point_count": rec.point_count,
                  "bounds": Polygon.from_bbox(box), "min_z": minz, "max_z": maxz}
        values["bounds"].srid = ctx.srid
        old_box = tuple(old.bounds.extent) if old is not None and old.bounds else None
        if old is None:
            PointCloud.objects.create(name=name, **values)
            result.created += 1
        else:
            for key, value in values.items():
                setattr(old, key, value)
            old.save()
            result.updated += 1
        result.outside += outside(box, settings.JUMEAU_EXTENT)
        result.mark(f"{LAYER_PREFIX}{name}", name, old_box, box)
        if rec.compressed:
            ctx.warn("LAZ: tile it with multiprocessing start method 'spawn' (py3dtiles hangs with fork)")
    return result
