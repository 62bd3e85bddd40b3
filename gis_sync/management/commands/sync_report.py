"""`manage.py sync_report RUN`: one sync run in full — every error, warning and rejection, with file, feature, line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from gis_sync.models import SyncRun, where


class Command(BaseCommand):
    help = (
        "Print a sync run in full: its summary, then every error, warning and rejection with its file, "
        "feature, line and field. RUN is a run number, or a source key for that source's last run."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("run", metavar="RUN", help="sync run number (as `sync` prints it) or a source key")

    def handle(self, *args, run: str, **options) -> None:
        found = (
            SyncRun.objects.filter(pk=int(run)).first()
            if run.isdigit()
            else SyncRun.objects.filter(source__key=run).order_by("-started_at").first()
        )
        if found is None:
            last = SyncRun.objects.order_by("-started_at").values_list("pk", flat=True)[:5]
            known = ", ".join(f"#{pk}" for pk in last) or "none yet"
            raise CommandError(f"no sync run {run!r} (the latest runs: {known})")
        out = self.stdout.write
        out(f"sync run #{found.pk}: {found.source or '-'} {found.path} ({found.format or '?'})")
        finished = f", finished {found.finished_at:%Y-%m-%d %H:%M:%S}" if found.finished_at else ""
        out(f"status {found.status}, started {found.started_at:%Y-%m-%d %H:%M:%S}{finished}")
        out(found.summary())
        report = found.report or {}
        if report.get("members") is not None:
            imported = ", ".join(f"{k} {v}" for k, v in sorted((report.get("imported") or {}).items())) or "nothing"
            out(f"{report['members']} members read; imported: {imported}")
        for note in report.get("notes") or []:
            out(f"note: {note}")
        for e in found.errors:
            advice = f" — {e['advice']}" if e.get("advice") else ""
            out(f"error: {where(e) + ': ' if where(e) else ''}{e['message']}{advice}")
        for w in found.warnings:
            out(f"warning: {where(w) + ': ' if where(w) else ''}{w['message']}")
        for r in report.get("rejected") or []:
            what = where(r)
            out(f"rejected: {r.get('type') or 'feature'}{', ' + what if what else ''}: {r['reason']}")
