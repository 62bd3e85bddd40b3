"""One sync run: read and check the whole input, write it in one transaction, record what happened."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from gis_sync import formats, writers
from gis_sync.dirty import merge_boxes
from gis_sync.errors import CRSError, EmptySourceError, SyncError, ValidationError, WriteError
from gis_sync.formats.base import ReadOptions
from gis_sync.heights import check_heights
from gis_sync.locations import local_path
from gis_sync.models import SyncRun
from gis_sync.placement import placement_from_options
from gis_sync.records import ReadReport
from twin import geodesy
from twin.models import Change, Terrain

if TYPE_CHECKING:
    from gis_sync.models import Source, SyncRun

Progress = Callable[[str], None]
# Options that only the writers read (the rest fill ReadOptions, or go to its `extra`).
WRITER_OPTIONS = {
    "allow_approximate",
    "operator",
    "network_type",
    "network",
    "project",
    "project_status",
    "project_description",
    "variant",
    "rotation_convention",
    "source_key",
}
READ_FIELDS = {f.name for f in dataclass_fields(ReadOptions)}
# Operations PROJ states less accurate than this are named in the run's warnings, not only in its report.
FIDELITY_M = 0.05


def import_path(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    srid: int | None = None,
    options: dict[str, Any] | None = None,
    source: Source | None = None,
    progress: Progress | None = None,
) -> SyncRun:
    """Import one file, folder or URL into the twin and return its successful SyncRun.

    format: a reader name (formats.FORMATS), detected from the file when None. srid: the EPSG code of the
    coordinates when the file declares none (a declared CRS always wins). options: reader and writer options
    (kind, layer, mapping, operator, network_type, network, project, variant, placement...). Rows keep the
    source's key (or 'file-<name>' without a source) so that the next delivery updates exactly what changed.
    On failure the failed SyncRun is recorded outside the rolled-back transaction and the SyncError raised.
    """
    options = dict(options or {})
    say = progress or (lambda message: None)
    run = SyncRun.objects.create(source=source, path=str(path), format=format or "")
    started = time.perf_counter()
    report: ReadReport | None = None
    geo = geodesy.Session()
    try:
        geo = _geodesy_session(options.get("allow_approximate"))
        if str(path).startswith(("http://", "https://")):
            say(f"Downloading {path}")
        with (
            geodesy.session(geo.allow_approximate_m, settings.JUMEAU_MAX_TRANSFORM_ERROR_M) as geo,
            local_path(path) as local,
        ):
            reader = formats.get(format)() if format else formats.detect(local)()
            run.format = reader.name
            say(f"Reading {local.name} as {reader.name}")
            read_opts = _read_options(reader, srid, options)
            result = reader.read(local, options=read_opts)
            report = result.report
            say(
                f"  read {report.members} members in {time.perf_counter() - started:.1f} s: "
                f"{sum(report.imported.values())} to import, {len(report.rejected)} rejected"
            )
            for op in geo.operations:
                say(f"  CRS: {op.summary()}")
            if not result.records:
                raise EmptySourceError(
                    f"nothing to import: {report.members} members, {len(report.rejected)} rejected",
                    file=str(local),
                    advice="see the rejections in the run report; an empty delivery would "
                    "delete everything this source imported before",
                )
            warnings = [_warning(w.file, w.feature_id, w.field, w.message, w.line) for w in report.warnings]
            height_note = check_heights(
                report.source_srid,
                result.records,
                file=str(local),
                terrain_z=read_opts.terrain_z,
                heights_moved=report.heights_moved,
            )
            if height_note:
                warnings.append(_warning(local.name, None, "z", height_note))
            # Named after the delivered file, not the local one: an unpacked archive's folder changes every run.
            delivered = Path(unquote(urlparse(str(path)).path)).stem
            key = (source.key if source else options.get("source_key")) or f"file-{slugify(delivered)}"
            ctx = writers.WriteContext(
                source_key=key,
                file=local,
                options=options,
                srid=settings.JUMEAU_SRID,
                terrain_z=read_opts.terrain_z,
                progress=say,
            )
            with transaction.atomic():
                total = _write(result.records, ctx, options, run, say)
                _record_dirty(run, total)
            warnings.extend(ctx.warnings)
            if total.outside:
                x0, y0, x1, y1 = settings.JUMEAU_EXTENT
                warnings.append(
                    _warning(
                        local.name,
                        None,
                        None,
                        f"{total.outside} features lie outside the city's extent ({x0:.0f}, {y0:.0f} .. {x1:.0f}, "
                        f"{y1:.0f} EPSG:{settings.JUMEAU_SRID}): imported anyway; if that is unexpected, check the "
                        "CRS of the file or JUMEAU_EXTENT",
                    )
                )
    except SyncError as exc:
        _fail(run, exc, report or getattr(exc, "report", None), path, geo)
        raise
    except Exception as exc:
        error = WriteError(f"{type(exc).__name__}: {exc}", file=str(path))
        _fail(run, error, report, path, geo)
        raise error from exc
    run.rejected = len(report.rejected)
    warnings.extend(_warning(local.name, None, "crs", text) for text in geo.notes)
    for op in geo.operations:
        if op.approximate:
            warnings.append(_warning(local.name, None, "crs", f"approximate transformation: {op.summary()}"))
        elif op.accuracy_m and op.accuracy_m > FIDELITY_M:
            warnings.append(_warning(local.name, None, "crs", f"coordinates moved with {op.summary()}"))
    run.warnings = warnings
    run.report = _report_json(report, geo)
    run.status = SyncRun.Status.SUCCESS
    run.finished_at = timezone.now()
    run.save()
    say(
        f"{run.source or Path(str(path)).name}: {run.summary()} in {time.perf_counter() - started:.1f} s "
        f"(sync run #{run.pk})"
    )
    for line in run.report_lines():
        say(f"  {line}")
    return run


def _read_options(reader: formats.Format, srid: int | None, options: dict[str, Any]) -> ReadOptions:
    kw: dict[str, Any] = {"storage_srid": settings.JUMEAU_SRID, "extra": {}}
    for key, value in options.items():
        if key in WRITER_OPTIONS or key in ("placement",):
            continue
        if key in READ_FIELDS and key not in ("extra", "terrain_z", "storage_srid"):
            kw[key] = value
        else:
            kw["extra"][key] = value
    if srid:
        kw["srid"] = int(srid)
    elif kw.get("srid"):
        kw["srid"] = int(kw["srid"])
    if kw.get("mapping") == {}:
        kw["mapping"] = None
    kw["placement"] = placement_from_options(options)
    if reader.kind != "terrain":
        kw["terrain_z"] = _terrain_sampler()
    return ReadOptions(**kw)


def _terrain_sampler() -> Callable | None:
    """Ground heights from the active terrain, or None when the twin has none yet."""
    terrain = Terrain.current()
    if terrain is None or not terrain.path.is_file():
        return None
    return terrain.sampler()


def _write(
    records: list[Any], ctx: writers.WriteContext, options: dict[str, Any], run: SyncRun, say: Progress
) -> writers.WriteResult:
    total = writers.WriteResult()
    for name, group in writers.plan(records, as_project=bool(options.get("project"))):
        t0 = time.perf_counter()
        result = writers.get(name)(group, ctx)
        say(
            f"  {name}: {result.created} created, {result.updated} updated, {result.deleted} deleted, "
            f"{result.unchanged} unchanged in {time.perf_counter() - t0:.1f} s"
        )
        total.add(result)
    run.created, run.updated, run.deleted, run.unchanged = total.created, total.updated, total.deleted, total.unchanged
    return total


def _record_dirty(run: SyncRun, total: writers.WriteResult) -> None:
    """One change-log entry per tile layer the run changed (tiles and the surface model read them), those layers and
    the union of their areas on the run, and apart from them the derived products whose inputs it changed."""
    areas, entries = [], []
    for layer, boxes in sorted(total.dirty.items()):
        area = merge_boxes(boxes)
        if area is None or area.is_empty:
            continue
        areas.append(area)
        entries.append(
            Change(
                layer=layer,
                area=GEOSGeometry(area.wkt, srid=settings.JUMEAU_SRID),
                source_ids=sorted(set(total.dirty_ids[layer]))[:10000],
            )
        )
        run.dirty_layers.append(layer)
    run.derived = sorted(total.derived)
    Change.append(entries)
    if areas:
        union = shapely.union_all(areas)
        polys = [g for g in getattr(union, "geoms", [union]) if g.geom_type == "Polygon"]
        run.dirty_area = GEOSGeometry(shapely.MultiPolygon(polys).wkt, srid=settings.JUMEAU_SRID)


def _warning(
    file: str | None, feature: str | None, field: str | None, message: str, line: int | None = None
) -> dict[str, Any]:
    return {
        "file": os.path.basename(file) if file else None,
        "feature": feature,
        "line": line,
        "field": field,
        "message": message,
    }


def _errors(exc: SyncError) -> list[dict[str, Any]]:
    items = exc.errors if isinstance(exc, ValidationError) and exc.errors else [exc]
    return [
        dict(_warning(e.file, e.feature_id, e.field, e.message, getattr(e, "line", None)), advice=e.advice)
        for e in items
    ]


def _geodesy_session(allow_approximate: Any) -> geodesy.Session:
    try:
        return geodesy.Session(allow_approximate_m=geodesy._metres(allow_approximate))
    except geodesy.GeodesyError as exc:
        raise CRSError(exc.message, advice=exc.advice) from None


def _report_json(report: ReadReport | None, geo: geodesy.Session | None = None) -> dict[str, Any]:
    if report is None:
        return {"transformations": geo.describe()} if geo and geo.operations else {}
    return {
        "transformations": geo.describe() if geo else [],
        "geodesy_notes": list(geo.notes) if geo else [],
        "members": report.members,
        "source_srid": report.source_srid,
        "imported": dict(report.imported),
        "metadata": dict(report.metadata),
        "rejected": [
            {"feature": r.feature_id, "line": r.line, "type": r.feature_type, "field": r.field, "reason": r.reason}
            for r in report.rejected
        ],
        "notes": list(report.notes),
    }


def _fail(
    run: SyncRun, exc: SyncError, report: ReadReport | None, path: Any, geo: geodesy.Session | None = None
) -> None:
    """Record the failed run; it is saved outside the transaction that was rolled back."""
    exc.with_location(file=str(path))
    run.status = run.Status.FAILED
    run.finished_at = timezone.now()
    run.created = run.updated = run.deleted = run.unchanged = 0
    run.dirty_area, run.dirty_layers, run.derived = None, [], []
    run.errors = _errors(exc)
    if report is not None:
        run.rejected = len(report.rejected)
        run.warnings = [_warning(w.file, w.feature_id, w.field, w.message, w.line) for w in report.warnings]
        run.report = _report_json(report, geo)
    elif geo is not None and geo.operations:
        run.report = _report_json(None, geo)
    run.save()
    exc.run_id = run.pk
