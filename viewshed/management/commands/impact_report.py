"""manage.py impact_report: compute (or refresh) the BR 209 impact report of project variants and store it."""

from __future__ import annotations

from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError

from twin.models import ProjectVariant
from viewshed.dsm import ensure_surface
from viewshed.errors import ViewshedError
from viewshed.impact import Parameters
from viewshed.models import ImpactReport


class Command(BaseCommand):
    help = (
        "Compute the daylight impact (BRE BR 209) of project variants on every window around them, and store "
        "the report; a report whose inputs did not change is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("variants", nargs="*", type=int, help="Variant ids (default: every variant).")
        parser.add_argument("--radius", type=float, default=None, help="Metres around the variant (default 300).")
        parser.add_argument("--spacing", type=float, default=None, help="Metres between windows along a facade.")
        parser.add_argument("--force", action="store_true", help="Compute again even if the inputs did not change.")

    def handle(self, *args, variants: list[int], radius: float | None, spacing: float | None, force: bool, **options):
        qs = ProjectVariant.objects.select_related("project").order_by("pk")
        if variants:
            qs = qs.filter(pk__in=variants)
            missing = sorted(set(variants) - set(qs.values_list("pk", flat=True)))
            if missing:
                raise CommandError(
                    f"No project variant with id {', '.join(map(str, missing))}: "
                    "see the variants in the admin (Twin > Project variants)."
                )
        params = Parameters()
        if radius is not None:
            params = replace(params, radius_m=radius)
        if spacing is not None:
            params = replace(params, spacing_m=spacing)
        try:
            surface = ensure_surface(progress=self.stdout.write)
            for variant in qs:
                report, computed = ImpactReport.refresh(
                    variant, params, force=force, surface=surface, progress=self.stdout.write
                )
                s = report.summary
                verb = f"computed in {report.seconds:.1f} s" if computed else "unchanged, kept"
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{variant} (variant {variant.pk}): {verb}; {s['windows']} windows of {s['buildings']} "
                        f"buildings, {s['vsc_fails']} fail the VSC test ({s['vsc_fails_residential']} in dwellings)"
                    )
                )
        except ViewshedError as exc:
            raise CommandError(str(exc)) from None
