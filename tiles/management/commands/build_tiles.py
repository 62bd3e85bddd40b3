"""manage.py build_tiles [layer …] [--stale] [--all]: build and publish tile layers, with progress and a summary."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tiles.build import build_layers, known_layers, stale_layers, unpublished_layers
from tiles.errors import TilesError


class Command(BaseCommand):
    help = (
        "Build and atomically publish 3D Tiles layers (buildings, networks, project-…, pointcloud-…) and the "
        "quantized-mesh terrain. Without arguments: the layers never published yet."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "layers", nargs="*", help="Layer names, e.g. buildings networks terrain project-<variant id>."
        )
        parser.add_argument(
            "--stale",
            action="store_true",
            help="Rebuild the layers with changes past their position in the change log; unchanged tiles are reused.",
        )
        parser.add_argument("--all", action="store_true", help="Rebuild every layer the data can give.")

    def handle(self, *args, layers: list[str], stale: bool, all: bool, **options):
        if layers and (stale or all):
            raise CommandError("Name layers, or pass --stale or --all, not both.")
        if all:
            names = known_layers()
        elif stale:
            names = stale_layers()
        elif layers:
            names = layers
        else:
            names = unpublished_layers()
            if not names and known_layers():
                self.stdout.write(
                    "Every layer is published; nothing to build. "
                    "Use --stale after a sync, --all to rebuild everything, or name layers."
                )
                return
        try:
            builds = build_layers(names, progress=lambda m: self.stdout.write(m), stale=stale, raise_on_failure=False)
        except TilesError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("")
        self.stdout.write(
            f"{'layer':<34} {'status':<10} {'features':>9} {'tiles':>7} {'written':>7} {'MB':>8} {'s':>7}"
        )
        for b in builds:
            self.stdout.write(
                f"{b.layer:<34} {b.status:<10} {b.features:>9} {b.tiles:>7} {b.tiles_rewritten:>7} "
                f"{b.bytes / 1e6:>8.2f} {b.seconds:>7.1f}"
            )
        total = sum(b.seconds for b in builds)
        self.stdout.write(
            f"{'total':<34} {'':<10} {sum(b.features for b in builds):>9} "
            f"{sum(b.tiles for b in builds):>7} {sum(b.tiles_rewritten for b in builds):>7} "
            f"{sum(b.bytes for b in builds) / 1e6:>8.2f} {total:>7.1f}"
        )
        for b in builds:
            if b.status != "failed":
                for line in b.error.splitlines():
                    if line.startswith("left out "):
                        self.stdout.write(self.style.WARNING(f"{b.layer}: {line}"))
        failed = [b for b in builds if b.status == "failed"]
        if failed:
            raise CommandError(
                "; ".join(f"{b.layer} failed: {b.error}" for b in failed)
                + "\nThe previous builds of these layers still serve."
            )
