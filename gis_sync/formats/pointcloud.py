"""LAS/LAZ point clouds through laspy: header facts and CRS, the file kept for tiling."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from gis_sync import crs as crs_mod
from gis_sync import las_header, validation
from gis_sync.errors import EmptySourceError, FormatError
from gis_sync.formats import register
from gis_sync.formats.base import Format, ReadOptions
from gis_sync.records import PointCloudRecord, ReadReport


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
        import laspy

        las_header.check_counts(path)
        try:
            with laspy.open(str(path)) as reader:
                header = reader.header
                try:
                    crs = header.parse_crs()
                except Exception as exc:  # noqa: BLE001 - malformed GeoTIFF keys / WKT VLRs
                    report.warn(f"the CRS VLR cannot be parsed ({exc})", field="VLR")
                    crs = None
                compressed = reader.header.are_points_compressed
        except Exception as exc:  # noqa: BLE001 - a corrupt header makes laspy raise struct, key, value errors...
            raise FormatError(f"laspy cannot read it ({type(exc).__name__}: {exc})") from None
        for name in ("scales", "offsets", "mins", "maxs"):
            for axis, value in zip("xyz", getattr(header, name)):
                validation.check_number(value, feature_id="header", field=f"{name}.{axis}",
                                        low=-validation.COORD_ABS_MAX, high=validation.COORD_ABS_MAX)
        declared = crs.to_epsg(min_confidence=70) if crs is not None else None
        if crs is not None and declared is None:
            report.warn(f"the file's CRS ({crs.name}) has no EPSG code", field="VLR")
        srid = crs_mod.resolve_srid(declared, opts.srid, file=str(path), what="the point cloud (no CRS VLR)")
        report.source_srid = srid
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
        return [PointCloudRecord(
            source_id=path.stem, file_path=str(path.resolve()), srid=srid, point_count=int(header.point_count),
            bounds=(float(mins[0]), float(mins[1]), float(mins[2]), float(maxs[0]), float(maxs[1]), float(maxs[2])),
            las_version=str(header.version), point_format=int(header.point_format.id), compressed=bool(compressed),
            has_rgb={"red", "green", "blue"} <= dims,
            attributes={"scales": [float(s) for s in header.scales], "offsets": [float(o) for o in header.offsets],
                        "needs_spawn": bool(compressed)},
        )]
