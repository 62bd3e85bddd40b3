"""Point-cloud records → a LAS/LAZ file the twin owns (JUMEAU_DATA_DIR/pointclouds) and a twin.PointCloud.

The twin's copy is in the storage CRS with orthometric heights in metres, like every other layer: a cloud
delivered in another CRS, height system or unit (US survey feet) is rewritten through gis_sync.crs (PROJ's
best operation whose grids are here, recorded on the run), so the tiler never guesses a file's units.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import laspy
import numpy as np
from django.conf import settings
from django.contrib.gis.geos import Polygon

from gis_sync import crs as crs_mod
from gis_sync.records import PointCloudRecord
from gis_sync.writers.base import WriteContext, WriteResult, outside
from gis_sync.writers.terrain import file_digest
from twin.models import PointCloud

LAYER_PREFIX = "pointcloud-"
CHUNK = 1_000_000


def write(records: list[PointCloudRecord], ctx: WriteContext) -> WriteResult:
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
        z_unit = float(rec.attributes.get("z_unit_m") or 1.0)
        as_delivered = rec.srid == ctx.srid and z_unit == 1.0
        if as_delivered:
            if not target.exists():
                shutil.copyfile(source, target)
            box, (minz, maxz) = _box(rec), (rec.bounds[2], rec.bounds[5])
        else:
            box, minz, maxz = to_storage_las(source, target, rec.srid, ctx.srid, z_unit)
        values = {
            "file": str(target),
            "srid": ctx.srid,
            "point_count": rec.point_count,
            "bounds": Polygon.from_bbox(box),
            "min_z": minz,
            "max_z": maxz,
        }
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


def _box(rec: PointCloudRecord) -> tuple[float, float, float, float]:
    minx, miny, _, maxx, maxy, _ = rec.bounds
    return (minx, miny, maxx, maxy)


def to_storage_las(
    source: Path, target: Path, srid: crs_mod.SRID, storage_srid: int, z_unit_m: float
) -> tuple[tuple[float, float, float, float], float, float]:
    """Rewrite source (in srid, z in z_unit_m metres a unit) as target in the storage CRS with orthometric metres.

    Returns the (minx, miny, maxx, maxy) box in the storage CRS and the height range (m)."""
    partial = target.with_name(target.name + ".part")
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    with laspy.open(str(source)) as reader:
        header = reader.header
        out_header = laspy.LasHeader(point_format=header.point_format.id, version=str(header.version))
        out_header.scales = np.array([0.001, 0.001, 0.001])
        mins, maxs = header.mins, header.maxs
        cx, cy, cz = crs_mod.to_storage(
            [mins[0], maxs[0]],
            [mins[1], maxs[1]],
            [mins[2], maxs[2]],
            srid,
            storage_srid,
            z_unit_m=z_unit_m,
            file=str(source),
        )
        out_header.offsets = np.round([cx.mean(), cy.mean(), cz.mean()])
        with laspy.open(str(partial), mode="w", header=out_header) as writer:
            for chunk in reader.chunk_iterator(CHUNK):
                x, y, z = crs_mod.to_storage(
                    np.asarray(chunk.x),
                    np.asarray(chunk.y),
                    np.asarray(chunk.z),
                    srid,
                    storage_srid,
                    z_unit_m=z_unit_m,
                    file=str(source),
                )
                record = laspy.ScaleAwarePointRecord.zeros(len(x), header=out_header)
                for dim in chunk.point_format.dimension_names:
                    if dim not in ("X", "Y", "Z") and dim in record.point_format.dimension_names:
                        record[dim] = chunk[dim]
                record.x, record.y, record.z = x, y, z
                xyz = np.column_stack([x, y, z])
                lo, hi = np.minimum(lo, xyz.min(axis=0)), np.maximum(hi, xyz.max(axis=0))
                writer.write_points(record)
    partial.replace(target)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])), float(lo[2]), float(hi[2])
