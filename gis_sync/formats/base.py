"""The one base class of format readers: capability flags, options, and check-everything-then-return reading."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from gis_sync.crs import STORAGE_SRID
from gis_sync.errors import EmptySourceError, FieldValueError, MissingFileError, SyncError, ValidationError
from gis_sync.feature_lines import locate
from gis_sync.records import Placement, ReadReport, ReadResult


@dataclass(frozen=True)
class ReadOptions:
    """Options shared by readers; a reader ignores those that do not apply to it.

    srid: SRID to assume when the source declares none (the declared one always wins).
    storage_srid: SRID the records are written in. on_error: 'raise' stops on the first pass with every
    feature error listed; 'reject' imports the good features and reports the others as rejected.
    """

    srid: int | None = None
    storage_srid: int = STORAGE_SRID
    on_error: str = "raise"
    kind: str | None = None  # force 'buildings', 'poi' or 'streets' for a GIS layer
    layer: str | None = None
    mapping: dict[str, Sequence[str] | str] | None = None  # record field -> source field names
    placement: Placement | None = None
    terrain_z: Callable[[Sequence[float], Sequence[float]], Sequence[float | None]] | None = None
    vertical_datum: str | None = None
    xsd: str | None = None
    lod: str | None = None
    encoding: str | None = None
    storey_height_m: float = 3.0
    extra: dict[str, Any] = field(default_factory=dict)


ON_ERROR = ("raise", "reject")


def check_not_empty(path: Path) -> None:
    """An empty file is called empty, whatever its format (not 'truncated' or 'not a GeoPackage')."""
    if path.is_file() and path.stat().st_size == 0:
        raise EmptySourceError(
            f"{path.name} is empty (0 bytes)",
            file=str(path),
            advice="the delivery was cut before it began: ask for the file again",
        )


class Format:
    """Base of every reader. Subclasses set the flags and implement `_scan`."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = ""  # 'buildings', 'network', 'terrain', 'project', 'pointcloud', 'poi', 'streets'
    extensions: ClassVar[tuple[str, ...]] = ()
    provides_depth: ClassVar[bool] = False
    has_crs: ClassVar[bool] = True  # the format can declare its CRS
    needs_placement: ClassVar[bool] = False  # models drawn in local coordinates
    streaming: ClassVar[bool] = False

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> int:
        """Confidence 0-100 that `path` (first bytes `head`) is this format; extension match by default."""
        return 50 if path.suffix.lower() in cls.extensions else 0

    def options(self, srid: int | None = None, options: ReadOptions | None = None, **kw: Any) -> ReadOptions:
        opts = options or ReadOptions()
        if srid is not None:
            kw["srid"] = srid
        return replace(opts, **kw) if kw else opts

    def validate(
        self, path: str | os.PathLike[str], *, srid: int | None = None, options: ReadOptions | None = None, **kw: Any
    ) -> ReadReport:
        """Check the whole input without keeping records; raise on file-level errors, and on feature errors
        unless on_error='reject'. Returns the report (counts, rejections, warnings)."""
        return self._run(Path(path), self.options(srid, options, **kw)).report

    def read(
        self, path: str | os.PathLike[str], *, srid: int | None = None, options: ReadOptions | None = None, **kw: Any
    ) -> ReadResult:
        """Read the whole input, check it, and return its records (geometries in the storage CRS) and report."""
        return self._run(Path(path), self.options(srid, options, **kw))

    def _run(self, path: Path, opts: ReadOptions) -> ReadResult:
        if not path.exists():
            raise MissingFileError(f"{path} does not exist", file=str(path), advice="check the path")
        check_not_empty(path)
        if opts.on_error not in ON_ERROR:
            raise FieldValueError(
                f"on_error={opts.on_error!r} is not one of {', '.join(ON_ERROR)}",
                field="on_error",
                advice="'raise' imports nothing when a feature is wrong; 'reject' imports the good "
                "features and lists the others as rejected",
            )
        report = ReadReport(file=path.name, format=self.name, srid=opts.storage_srid)
        try:
            records = self._scan(path, opts, report)
        except SyncError as exc:
            if exc.feature_id and exc.line is None:
                exc.line = locate(path, [exc.feature_id]).get(exc.feature_id)
            raise exc.with_location(file=str(path))  # noqa: B904  the same error, now saying where
        report.locate(
            locate(
                path,
                [w.feature_id for w in report.warnings]
                + [r.feature_id for r in report.rejected]
                + [getattr(e, "feature_id", None) for e in report.errors],
            )
        )
        if report.errors and opts.on_error == "raise":
            error = ValidationError(report.errors, file=str(path))
            error.report = report  # the failed run still records every rejection and warning
            raise error
        return ReadResult(records, report)

    def _scan(self, path: Path, opts: ReadOptions, report: ReadReport) -> list[Any]:
        raise NotImplementedError

    @staticmethod
    def _feature_error(report: ReadReport, exc: SyncError, feature_type: str, path: Path) -> None:
        """Record a per-feature error: kept for 'raise', and accounted for as a rejection."""
        exc.with_location(file=str(path))
        report.errors.append(exc)
        report.reject(exc.feature_id or "?", feature_type, str(exc), exc.field)
