"""LAS/LAZ point clouds through laspy: header facts and CRS, the file kept for tiling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gis_sync import crs as crs_mod
from gis_sync import las_header, validation
from gis_sync.errors import EmptySourceError, FormatError, SyncError
from gis_sync.formats import register
from gis_sync.formats.base import Format, ReadOptions
from gis_sync.formats.las_crs import read_las_crs
from gis_sync.records import PointCloudRecord, ReadReport
from twin import geodesy


@register
class PointCloudFormat(Format):
    """LAS 1.0-1.4 and LAZ; only the header is read here, the points are tiled later."""

    name = "pointcloud"
    kind = "pointcloud"
    extensions = (".las", ".laz")
    has_crs = True

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> int:
        return 95 if head[:4] == b"LASF" else 0

    def _scan(self, path: Path, opts: ReadOptions, report: ReadReport) -> list[Any]:
        # Imported here, not at the top: laspy takes about 0.5 s to import and every sync loads all the format
        # modules (formats._load), whatever the file.
        import laspy

        las_header.check_counts(path)
        try:
            with laspy.open(str(path)) as reader:
                header = reader.header
                las_crs = read_las_crs(header)
                compressed = reader.header.are_points_compressed
        except SyncError:
            raise
        except Exception as exc:  # noqa: BLE001 - a corrupt header makes laspy raise struct, key, value errors...
            raise FormatError(f"laspy cannot read it ({type(exc).__name__}: {exc})") from None
        for name in ("scales", "offsets", "mins", "maxs"):
            for axis, value in zip("xyz", getattr(header, name)):
                validation.check_number(
                    value,
                    feature_id="header",
                    field=f"{name}.{axis}",
                    low=-validation.COORD_ABS_MAX,
                    high=validation.COORD_ABS_MAX,
                )
        for problem in las_crs.problems:
            report.warn(problem, field="VLR")
        what = (
            "the point cloud (its WKT VLR and GeoTIFF keys name no usable CRS)"
            if las_crs.sources
            else "the point cloud (no WKT VLR, no GeoTIFF keys)"
        )
        srid = crs_mod.resolve_srid(las_crs.srid, opts.srid, file=str(path), what=what)
        report.source_srid = srid
        # The writer rewrites the cloud in the storage CRS, heights included when its CRS states their system.
        report.heights_moved = bool(crs_mod.vertical_datum_name(srid))
        z_unit_m = las_crs.z_unit_m
        if z_unit_m is None:
            z_unit_m = geodesy.vertical_unit_m(crs_mod.crs_for(srid)) if las_crs.srid else None
        if z_unit_m is None:
            # No height unit stated: LAS heights are usually in the horizontal unit (feet with a feet grid).
            h = geodesy.horizontal(crs_mod.crs_for(srid))
            z_unit_m = float(h.axis_info[0].unit_conversion_factor) if h.is_projected and h.axis_info else 1.0
            geodesy.note(
                f"{path.name}: the file states no height unit; heights taken in {z_unit_m:g} m units "
                "(the horizontal unit)"
            )
        if header.point_count == 0:
            raise EmptySourceError("the point cloud has no point")
        mins, maxs = header.mins, header.maxs
        crs_mod.check_area_of_use(srid, (mins[0], mins[1], maxs[0], maxs[1]), file=str(path))
        dims = set(header.point_format.dimension_names)
        if compressed:
            # PITFALLS: py3dtiles on LAZ hangs with forked workers; the tiler must use the spawn start method.
            report.notes.append("LAZ: tile with multiprocessing start method 'spawn' (py3dtiles hangs with fork)")
        report.members = 1
        report.imported["pointcloud"] += 1
        return [
            PointCloudRecord(
                source_id=path.stem,
                file_path=str(path.resolve()),
                srid=srid,
                point_count=int(header.point_count),
                bounds=(float(mins[0]), float(mins[1]), float(mins[2]), float(maxs[0]), float(maxs[1]), float(maxs[2])),
                las_version=str(header.version),
                point_format=int(header.point_format.id),
                compressed=bool(compressed),
                has_rgb={"red", "green", "blue"} <= dims,
                attributes={
                    "scales": [float(s) for s in header.scales],
                    "offsets": [float(o) for o in header.offsets],
                    "needs_spawn": bool(compressed),
                    "z_unit_m": z_unit_m,
                    "crs_read_from": las_crs.sources,
                },
            )
        ]
