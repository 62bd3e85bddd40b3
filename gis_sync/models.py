"""Sources as configuration and the record of every sync run."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.gis.db import models
from django.urls import reverse
from django.utils import timezone


class Source(models.Model):
    """A file, folder or URL the city or an operator delivers, and how to read it."""

    key = models.SlugField(max_length=100, unique=True, help_text="Stable name, used by `manage.py sync <key>`.")
    name = models.CharField(max_length=200)
    format = models.CharField(max_length=40, blank=True, help_text="Format plugin; empty to detect from the file.")
    location = models.CharField(max_length=1000, help_text="Path of a file or folder, or an http(s) URL.")
    srid = models.PositiveIntegerField(null=True, blank=True, help_text="CRS to assume when the file declares none.")
    field_mapping = models.JSONField(default=dict, blank=True, help_text="Twin field → source field.")
    options = models.JSONField(default=dict, blank=True, help_text="Format options: network type, operator, placement…")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    def last_run(self) -> SyncRun | None:
        return self.runs.order_by("-started_at").first()

    def sync(self, progress: Callable[[str], None] | None = None, allow_approximate_m: float | None = None) -> SyncRun:
        """Read the source's location and bring the twin in line with it, in one transaction.

        allow_approximate_m: the coordinate error (m) the operator accepts when PROJ lacks a grid.
        Returns the successful SyncRun; on failure the failed run is recorded and the SyncError raised."""
        from gis_sync.importer import import_path  # a real cycle: the importer records its runs in these models

        options = dict(self.options or {})
        if self.field_mapping:
            options.setdefault("mapping", self.field_mapping)
        if allow_approximate_m is not None:
            options["allow_approximate"] = allow_approximate_m
        return import_path(
            self.location, format=self.format or None, srid=self.srid, options=options, source=self, progress=progress
        )


class SyncRun(models.Model):
    """One run of one source: when, what changed, and every warning or error with its feature."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCESS = "success", "Success"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    path = models.CharField(max_length=1000)
    format = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    dirty_area = models.MultiPolygonField(
        srid=settings.JUMEAU_SRID, null=True, blank=True, help_text="Where tiles need rebuilding."
    )
    dirty_layers = models.JSONField(default=list, blank=True, help_text="The tile layers the run changed.")
    derived = models.JSONField(
        default=list,
        blank=True,
        help_text="The derived products whose inputs the run changed (twin.derived: surface model, shade, impact "
        "reports), rebuilt by the jobs it queued.",
    )
    report = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the reader saw: members, imported and metadata per feature type, every rejection "
        "with its reason, notes.",
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.source or self.path} @ {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> float | None:
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None

    def summary(self) -> str:
        n = len(self.warnings)
        text = (
            f"{self.created} created, {self.updated} updated, {self.deleted} deleted, "
            f"{self.unchanged} unchanged, {self.rejected} rejected, {n} warning{'' if n == 1 else 's'}"
        )
        if self.errors:
            text += f", {len(self.errors)} error{'' if len(self.errors) == 1 else 's'}"
        return text

    def report_lines(self, limit: int = 5) -> list[str]:
        """What a terminal shows after the summary: the first warnings and rejections, one line each
        ("warning: file, feature F, field X: message"; "rejected: N × type, field X: reason (first: feature F)"),
        then how many more there are and where to read them all."""
        lines = []
        for w in self.warnings[:limit]:
            lines.append(f"warning: {where(w)}: {w['message']}" if where(w) else f"warning: {w['message']}")
        lines += self._more(len(self.warnings), limit, "warning")
        # Rejections come in kinds (every annotation of a drawing, say): one line per kind, with a count.
        kinds: dict[tuple, list[dict]] = {}
        for r in (self.report or {}).get("rejected", []):
            kinds.setdefault((r.get("type"), r.get("field"), r.get("reason")), []).append(r)
        for (ftype, field, reason), items in list(kinds.items())[:limit]:
            what = ", ".join(
                part for part in (f"{len(items)} × {ftype or 'feature'}", field and f"field {field}") if part
            )
            head = items[0]
            first = ""
            if head.get("feature"):
                line = f", line {head['line']}" if head.get("line") else ""
                first = f" (first: feature {head['feature']}{line})"
            lines.append(f"rejected: {what}: {reason}{first}")
        lines += self._more(len(kinds), limit, "kind of rejection", "kinds of rejection")
        return lines

    def admin_path(self) -> str:
        """The URL path of this run's page in the admin, where every warning, error and rejection is listed."""
        return reverse("admin:gis_sync_syncrun_change", args=[self.pk])

    def where_to_read(self) -> str:
        """Where to read the run in full: a terminal command and the admin page."""
        return f"with `manage.py sync_report {self.pk}` or on the admin page {self.admin_path()}"

    def _more(self, count: int, shown: int, noun: str, plural: str | None = None) -> list[str]:
        """The line that says how many more of a list a terminal did not show, and where they all are."""
        if count <= shown:
            return []
        rest = count - shown
        return [
            f"… and {rest} more {noun if rest == 1 else plural or noun + 's'} of sync run #{self.pk}: "
            f"read them all {self.where_to_read()}"
        ]


def where(item: dict) -> str:
    """'file, feature F, line N, field X' of a warning, error or rejection as a run stores it."""
    return ", ".join(
        part
        for part in (
            item.get("file"),
            item.get("feature") and f"feature {item['feature']}",
            item.get("line") and f"line {item['line']}",
            item.get("field") and f"field {item['field']}",
        )
        if part
    )
