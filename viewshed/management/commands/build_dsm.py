"""manage.py build_dsm: build (or patch after syncs) the surface model the viewshed reads."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from viewshed.dsm import SurfaceCache, dsm_dir, ensure_surface
from viewshed.errors import SurfaceModelError


class Command(BaseCommand):
    help = (
        "Build the 1 m surface model (terrain + buildings) under VAR_DIR/dsm; only changed areas when syncs "
        "recorded them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Rebuild everything even if the cache is current.")

    def handle(self, *args, force: bool, **options):
        try:
            surface = ensure_surface(progress=self.stdout.write, force=force)
        except SurfaceModelError as exc:
            raise CommandError(str(exc)) from None
        meta = SurfaceCache(dsm_dir()).meta() or {}
        g = surface.grid
        self.stdout.write(
            self.style.SUCCESS(
                f"DSM {surface.fingerprint}: {g.rows:,} x {g.cols:,} cells of {g.cell:g} m "
                f"({meta.get('mode', 'cached')}, {meta.get('building_count', 0):,} buildings) in {dsm_dir()}"
            )
        )
