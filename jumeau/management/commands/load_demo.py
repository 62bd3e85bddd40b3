"""manage.py load_demo: the demo city through the real importers, once; later runs only check."""

from django.core.management.base import BaseCommand, CommandError

from gis_sync.errors import SyncError
from jumeau.demo_loader import load_demo
from viewshed.errors import SurfaceModelError


class Command(BaseCommand):
    help = (
        "Generate the Antibes-like demo city (once), import it through the importers, build its tiles "
        "and the surface model for views."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--no-tiles", action="store_true", help="Skip the tile builds.")

    def handle(self, *args, seed: int, no_tiles: bool, **options):
        try:
            load_demo(seed=seed, tiles=not no_tiles, progress=lambda msg: self.stdout.write(msg))
        except SurfaceModelError as exc:
            raise CommandError(
                f"The demo city is loaded but its surface model for views could not be built: {exc}\n"
                "Fix the cause, then run `manage.py build_dsm`."
            ) from exc
        except SyncError as exc:
            raise CommandError(
                f"The demo city could not be loaded: {exc}\n"
                "Nothing was half-written. Fix the cause above, or start afresh with `make clean-demo && make demo`."
            ) from exc
