"""`manage.py sync KEY [KEY...]` or `sync --all`: run configured sources, one transaction each."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from gis_sync.errors import SyncError
from gis_sync.models import Source, SyncRun
from twin.progress import Meter


class Command(BaseCommand):
    help = "Sync configured GIS sources into the twin (see the admin's Sources); exit status 1 if any fails."

    def add_arguments(self, parser) -> None:
        parser.add_argument("keys", nargs="*", metavar="KEY", help="source keys to sync")
        parser.add_argument("--all", action="store_true", help="sync every enabled source")
        parser.add_argument(
            "--allow-approximate",
            type=float,
            metavar="METRES",
            dest="allow_approximate",
            help="accept transformations PROJ can only do approximately here (a grid is missing), "
            "up to this many metres of error; recorded on the sync run",
        )

    def handle(
        self, *args, keys: list[str], all: bool, verbosity: int, allow_approximate: float | None = None, **options
    ) -> None:
        if all == bool(keys):
            raise CommandError("name the sources to sync (sync KEY [KEY...]) or pass --all, not both")
        if all:
            sources = list(Source.objects.filter(enabled=True))
            if not sources:
                raise CommandError("no enabled source: add one in the admin (Gis_sync › Sources) or use import_file")
        else:
            found = {s.key: s for s in Source.objects.filter(key__in=keys)}
            missing = [k for k in keys if k not in found]
            if missing:
                known = ", ".join(Source.objects.values_list("key", flat=True)[:20]) or "none"
                raise CommandError(f"unknown source {', '.join(missing)} (known: {known})")
            sources = [found[k] for k in keys]
        # The run itself prints its summary, warnings and rejections once, through `progress`; at verbosity 0
        # only failures are said.
        progress = self.stdout.write if verbosity >= 1 else None
        failed: list[str] = []
        runs: list[str] = []
        meter = Meter("sources synced", len(sources), progress if len(sources) > 1 else None, every_s=0)
        for source in sources:
            self.stdout.write(f"== {source.key} ({source.format or 'detect'}) {source.location}")
            try:
                source.sync(progress=progress, allow_approximate_m=allow_approximate)
            except SyncError as exc:
                failed.append(source.key)
                self.stderr.write(f"{source.key}: FAILED: {exc}")
                run = SyncRun.objects.filter(pk=exc.run_id).first() if exc.run_id else None
                if run is not None:
                    runs.append(f"#{run.pk}")
                    self.stderr.write(
                        f"{source.key}: sync run #{run.pk} failed; read every error, warning and "
                        f"rejection {run.where_to_read()}"
                    )
            meter.advance()
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(sources)} sources failed ({', '.join(failed)}); nothing of them was "
                "changed. Fix what the messages above name, then run `manage.py sync "
                f"{' '.join(failed)}` again"
                + (
                    f" (failed sync runs {', '.join(runs)}: `manage.py sync_report {runs[-1][1:]}` prints one in full)."
                    if runs
                    else "."
                )
            )
