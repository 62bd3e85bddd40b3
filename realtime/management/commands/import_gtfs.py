"""manage.py import_gtfs PATH_OR_URL: validate a GTFS feed, then replace the active feed atomically."""

from django.core.management.base import BaseCommand, CommandError

from realtime.gtfs_feed import GTFSError
from realtime.gtfs_import import import_feed


class Command(BaseCommand):
    help = "Import a GTFS static feed (zip, folder or http(s) URL) and make it the active feed."

    def add_arguments(self, parser):
        parser.add_argument("source", help="Path to a GTFS zip or folder, or an http(s) URL.")
        parser.add_argument("--force", action="store_true", help="Import even when the bytes equal the active feed's.")

    def handle(self, *args, source: str, force: bool, **options):
        try:
            import_feed(source, progress=lambda msg: self.stdout.write(msg), force=force)
        except GTFSError as exc:
            raise CommandError(f"The GTFS feed was not imported: {exc}\nThe active feed is unchanged.") from exc
