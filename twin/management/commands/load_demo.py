"""manage.py load_demo: the demo city through the real importers, once; later runs only check."""
from django.core.management.base import BaseCommand, CommandError

from gis_sync.errors import SyncError


class Command(BaseCommand):
    help = "Generate the Antibes-like demo city (once), import it through the importers and build its tiles."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--no-tiles", action="store_true", help="Skip the tile builds.")

    def handle(self, *args, seed: int, no_tiles: bool, **options):
        from twin.demo_loader import load_demo

        try:
            load_demo(seed=seed, tiles=not no_tiles, progress=lambda msg: self.stdout.write(msg))
        except SyncError as exc:
            raise CommandError(f"The demo city could not be loaded: {exc}\n"
                               "Nothing was half-written. Fix the cause above, or start afresh with `make clean-demo && make demo`.") from exc
