"""manage.py compute_shade: cast today's and tomorrow's shade on every street edge, for shade-aware walks."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from realtime.pedestrian import RouteError
from realtime.shade_store import refresh_shade
from viewshed.errors import SurfaceModelError


class Command(BaseCommand):
    help = (
        "Compute the share of each street edge in shade per 15-minute slot of today and tomorrow "
        "(buildings and terrain), unless the stored table is current for this graph and surface model."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Recompute even when the stored table is current.")
        parser.add_argument(
            "--date",
            type=date.fromisoformat,
            default=None,
            help="First local day (YYYY-MM-DD) of the two computed; today by default.",
        )

    def handle(self, *args, force: bool, date: date | None, **options):
        try:
            done = refresh_shade(progress=lambda msg: self.stdout.write(msg), force=force, today=date)
        except SurfaceModelError as exc:
            raise CommandError(f"The shade was not computed: the surface model is missing ({exc}).") from exc
        except RouteError as exc:
            raise CommandError(f"The shade was not computed: {exc}") from exc
        self.stdout.write(
            f"shade {done['status']}: {done['edges']:,} edges x {done['slots']} slots ({done['seconds']:.1f} s)"
        )
