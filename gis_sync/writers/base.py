"""What every writer shares: its context, its result, and the diff-then-bulk-write of sourced rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.gis.db.models import Model
from django.utils import timezone

from gis_sync.errors import FieldValueError
from twin.progress import Meter

BATCH = 1000
# How often (rows) a long write reports progress.
PROGRESS_EVERY = 5000
# ... at most this often (seconds), with the rate and the time left.
PROGRESS_EVERY_S = 2.0

Box = tuple[float, float, float, float]  # minx, miny, maxx, maxy in the storage CRS, metres


@dataclass
class WriteContext:
    """Where records come from and what a writer may use: the run's source key, options, terrain."""

    source_key: str
    file: Path
    options: dict[str, Any]
    srid: int
    terrain_z: Callable | None = None  # (xs, ys) -> orthometric heights, NaN outside
    progress: Callable[[str], None] | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def warn(self, message: str, *, feature_id: str | None = None, field: str | None = None) -> None:
        self.warnings.append({"file": self.file.name, "feature": feature_id, "field": field, "message": message})


@dataclass
class WriteResult:
    """Counts of one writer, the boxes of what changed per tile layer, the derived products (twin.derived) whose
    inputs it changed, and features outside the city."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    outside: int = 0
    dirty: dict[str, list[Box]] = field(default_factory=lambda: defaultdict(list))
    dirty_ids: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    derived: set[str] = field(default_factory=set)

    def add(self, other: WriteResult) -> WriteResult:
        for name in ("created", "updated", "deleted", "unchanged", "outside"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for layer, boxes in other.dirty.items():
            self.dirty[layer].extend(boxes)
        for layer, ids in other.dirty_ids.items():
            self.dirty_ids[layer].extend(ids)
        self.derived |= other.derived
        return self

    def mark(self, layer: str | None, source_id: str, *boxes: Box | None) -> None:
        if layer is None:
            return
        self.dirty_ids[layer].append(source_id)
        self.dirty[layer].extend(b for b in boxes if b is not None)


@dataclass
class Row:
    """One feature ready to write: its model field values, hash and plan box; `children` go to `after_save`.

    `values` may be a function returning them: geometries are then only built for rows that are written,
    which is most of the cost of a re-delivery where little changed."""

    source_id: str
    content_hash: str
    values: dict[str, Any] | Callable[[], dict[str, Any]]
    box: Box | None
    children: Any = None

    def field_values(self) -> dict[str, Any]:
        return self.values() if callable(self.values) else self.values


def outside(box: Box | None, extent: Sequence[float]) -> bool:
    """True when a box does not touch the city's extent at all."""
    if box is None:
        return False
    return box[2] < extent[0] or box[0] > extent[2] or box[3] < extent[1] or box[1] > extent[3]


def check_unique_ids(rows: Iterable[Row], what: str) -> None:
    """A source id names one feature: two features with one id would overwrite each other silently."""
    seen: set[str] = set()
    for row in rows:
        if row.source_id in seen:
            raise FieldValueError(
                f"two {what} have the source id {row.source_id!r}",
                feature_id=row.source_id,
                field="source id",
                advice="source ids must be unique and stable between deliveries; map another id field "
                "(options mapping.source_id) or fix the duplicates",
            )
        seen.add(row.source_id)


def sync_rows(
    model: type[Model],
    rows: list[Row],
    ctx: WriteContext,
    *,
    geom_field: str,
    layer: str | None,
    what: str,
    extent: Sequence[float],
    after_save: Callable[[list[tuple[Model, Row]], list[int]], None] | None = None,
    derived: Iterable[str] = (),
) -> WriteResult:
    """Bring the rows of `model` from `ctx.source_key` in line with `rows`.

    New ids are created, rows whose content hash changed are updated, rows whose id is absent are deleted,
    the others are not touched. Every changed feature adds its old and new plan boxes to the layer's dirty
    area. `after_save(saved, replaced_pks)` writes children of created and updated rows (e.g. depth
    observations); replaced_pks are the pks of updated rows, whose old children it must drop. `derived` names the
    products (twin.derived) read from `model`: stale when any row was created, updated or deleted.
    """
    check_unique_ids(rows, what)
    result = WriteResult()
    existing: dict[str, tuple[int, str]] = {
        sid: (pk, h)
        for sid, pk, h in model.objects.filter(source_key=ctx.source_key)
        .values_list("source_id", "pk", "content_hash")
        .iterator(chunk_size=5000)
    }
    to_create: list[Row] = []
    to_update: list[tuple[int, Row]] = []
    for row in rows:
        result.outside += outside(row.box, extent)
        old = existing.get(row.source_id)
        if old is None:
            to_create.append(row)
        elif old[1] != row.content_hash:
            to_update.append((old[0], row))
        else:
            result.unchanged += 1
    delivered = {row.source_id for row in rows}
    gone = [(sid, pk) for sid, (pk, _) in existing.items() if sid not in delivered]

    old_boxes = _old_boxes(model, geom_field, [pk for pk, _ in to_update] + [pk for _, pk in gone])
    for row in to_create:
        result.mark(layer, row.source_id, row.box)
    for pk, row in to_update:
        result.mark(layer, row.source_id, old_boxes.get(pk), row.box)
    for sid, pk in gone:
        result.mark(layer, sid, old_boxes.get(pk))

    saved: list[tuple[Model, Row]] = []
    total = len(to_create) + len(to_update)
    meter = Meter(f"  {what} written", total, ctx.say if total >= PROGRESS_EVERY else None, every_s=PROGRESS_EVERY_S)
    for start in range(0, len(to_create), BATCH):
        chunk = to_create[start : start + BATCH]
        objs = [
            model(source_key=ctx.source_key, source_id=r.source_id, content_hash=r.content_hash, **r.field_values())
            for r in chunk
        ]
        model.objects.bulk_create(objs, batch_size=BATCH)
        saved.extend(zip(objs, chunk))
        meter.advance(len(chunk))
    if to_update:
        fields = None
        # bulk_update skips auto_now: stamp updated_at so readers keyed on it (the DSM cache) see the change.
        now = timezone.now()
        for start in range(0, len(to_update), BATCH):
            chunk = to_update[start : start + BATCH]
            objs = [
                model(
                    pk=pk,
                    source_key=ctx.source_key,
                    source_id=r.source_id,
                    content_hash=r.content_hash,
                    updated_at=now,
                    **r.field_values(),
                )
                for pk, r in chunk
            ]
            fields = fields or ["content_hash", "updated_at", *chunk[0][1].field_values().keys()]
            model.objects.bulk_update(objs, fields, batch_size=200)
            saved.extend(zip(objs, (r for _, r in chunk)))
            meter.advance(len(chunk))
    if after_save is not None and saved:
        after_save(saved, [pk for pk, _ in to_update])
    for start in range(0, len(gone), BATCH):
        model.objects.filter(pk__in=[pk for _, pk in gone[start : start + BATCH]]).delete()
    result.created, result.updated, result.deleted = len(to_create), len(to_update), len(gone)
    if to_create or to_update or gone:
        result.derived.update(derived)
    return result


def _old_boxes(model: type[Model], geom_field: str, pks: list[int]) -> dict[int, Box]:
    """Plan boxes of rows about to change, read only for those rows."""
    boxes: dict[int, Box] = {}
    for start in range(0, len(pks), BATCH):
        for pk, geom in model.objects.filter(pk__in=pks[start : start + BATCH]).values_list("pk", geom_field):
            if geom is not None:
                boxes[pk] = tuple(geom.extent)
    return boxes


def box_of(coords: Iterable[Sequence[float]]) -> Box | None:
    xs, ys = [], []
    for c in coords:
        xs.append(c[0])
        ys.append(c[1])
    if not xs:
        return None
    return (min(xs), min(ys), max(xs), max(ys))
