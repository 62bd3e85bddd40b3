"""`manage.py import_file PATH [--format F] [--srid N] [--kind K] [--option key=value ...]`: one file, no source."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from gis_sync.errors import SyncError
from gis_sync.importer import import_path
from gis_sync.models import SyncRun


def parse_option(text: str) -> tuple[str, object]:
    """'key=value' with value read as JSON when it is JSON (numbers, lists, objects), else as text."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise CommandError(f"--option {text!r}: write it as key=value, e.g. --option operator=GRDF")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


class Command(BaseCommand):
    help = "Import one GIS file, folder or URL into the twin without configuring a source first."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--format",
            help="reader name (ogr, raepa, stardt, cityjson, terrain, ifc, gltf, "
            "pointcloud, circuits); detected from the file when not given",
        )
        parser.add_argument("--srid", type=int, help="EPSG code of the coordinates if the file declares none")
        parser.add_argument(
            "--allow-approximate",
            type=float,
            metavar="METRES",
            dest="allow_approximate",
            help="accept transformations PROJ can only do approximately here (a grid is missing), "
            "up to this many metres of error; recorded on the sync run",
        )
        parser.add_argument("--kind", choices=["buildings", "streets", "poi"], help="what a GIS layer holds")
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="reader/writer option, e.g. operator=GRDF network_type=gas "
            'placement=\'{"origin": [x, y], "rotation_deg": 0, "elevation": 5}\'',
        )

    def handle(
        self,
        *args,
        path: str,
        format: str | None,
        srid: int | None,
        kind: str | None,
        option: list[str],
        verbosity: int,
        allow_approximate: float | None = None,
        **options,
    ) -> None:
        opts = dict(parse_option(o) for o in option)
        if kind:
            opts["kind"] = kind
        if allow_approximate is not None:
            opts["allow_approximate"] = allow_approximate
        try:
            # The run prints its own summary, warnings and rejections, once.
            import_path(
                path, format=format, srid=srid, options=opts, progress=self.stdout.write if verbosity >= 1 else None
            )
        except SyncError as exc:
            run = SyncRun.objects.filter(pk=exc.run_id).first() if exc.run_id else None
            more = f" Sync run #{run.pk} failed: read it in full {run.where_to_read()}." if run else ""
            raise CommandError(f"import failed, nothing was changed: {exc}.{more}") from None
