"""Admin for sources (a "sync now" action that queues the job, their schedules) and their runs (warnings and errors
shown readably)."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django_celery_beat.models import PeriodicTask

from gis_sync.models import Source, SyncRun
from gis_sync.tasks import sync_source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "format", "location", "srid", "enabled", "last_status", "schedule"]
    list_filter = ["format", "enabled"]
    search_fields = ["key", "name", "location"]
    actions = ["sync_now"]

    @admin.display(description="last run")
    def last_status(self, obj: Source) -> str:
        run = obj.last_run()
        return f"{run.status} {run.started_at:%Y-%m-%d %H:%M}" if run else "never"

    @admin.action(description="Sync now (queued for a worker)")
    def sync_now(self, request, queryset) -> None:
        for source in queryset:
            task = sync_source.delay(source.key)
            self.message_user(
                request,
                f"{source.key}: sync queued as job {task.id}; follow it under "
                "Celery Results › Task results, its report under Sync runs",
                messages.SUCCESS,
            )

    @admin.display(description="schedule")
    def schedule(self, obj: Source) -> str:
        tasks = [
            t
            for t in PeriodicTask.objects.filter(task="gis_sync.sync_source", enabled=True)
            if _first_arg(t.args) == obj.key
        ]
        return (
            ", ".join(str(t.crontab or t.interval or t.solar or t.clocked) for t in tasks)
            or "none (add a periodic task)"
        )


def _first_arg(args: str) -> str | None:
    try:
        values = json.loads(args or "[]")
    except ValueError:
        return None
    return values[0] if isinstance(values, list) and values else None


def _items(entries: list[dict]) -> str:
    if not entries:
        return "—"
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                e.get("feature") or "",
                e.get("line") or "",
                e.get("field") or "",
                e.get("message") or e.get("reason") or "",
                e.get("advice") or e.get("type") or "",
            )
            for e in entries
        ),
    )
    return format_html(
        "<table><tr><th>feature</th><th>line</th><th>field</th><th>message</th><th>advice / type</th></tr>{}</table>",
        rows,
    )


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "source",
        "path",
        "format",
        "status",
        "created",
        "updated",
        "deleted",
        "unchanged",
        "rejected",
        "warning_count",
        "seconds",
    ]
    list_filter = ["status", "format", "source"]
    search_fields = ["path", "source__key"]
    exclude = ["warnings", "errors", "report"]
    readonly_fields = [f.name for f in SyncRun._meta.fields if f.name not in ("warnings", "errors", "report")] + [
        "errors_table",
        "warnings_table",
        "rejections_table",
        "imported_counts",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # runs are records of what happened, made by syncs only

    @admin.display(description="warnings")
    def warning_count(self, obj: SyncRun) -> int:
        return len(obj.warnings)

    @admin.display(description="errors")
    def errors_table(self, obj: SyncRun) -> str:
        return _items(obj.errors)

    @admin.display(description="warnings")
    def warnings_table(self, obj: SyncRun) -> str:
        return _items(obj.warnings)

    @admin.display(description="rejected members")
    def rejections_table(self, obj: SyncRun) -> str:
        return _items((obj.report or {}).get("rejected", []))

    @admin.display(description="imported per feature type")
    def imported_counts(self, obj: SyncRun) -> str:
        report = obj.report or {}
        parts = [f"{k}: {v}" for k, v in sorted((report.get("imported") or {}).items())]
        parts += [f"{k}: {v} (metadata)" for k, v in sorted((report.get("metadata") or {}).items())]
        return f"{report.get('members', '?')} members — " + ", ".join(parts) if parts else "—"
