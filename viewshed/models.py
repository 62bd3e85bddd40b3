"""Stored impact reports: one per project variant, with the fingerprint of the inputs it was computed from."""

from __future__ import annotations

import time

from django.db import models
from django.utils import timezone

from twin.models import PlanningProject


class ImpactReportQuerySet(models.QuerySet):
    def visible_to(self, user) -> ImpactReportQuerySet:
        """Reports of the variants whose project the user may see: a draft's only to planners and admins."""
        return self.filter(variant__project__in=PlanningProject.objects.visible_to(user))


class ImpactReport(models.Model):
    """What a variant takes from its neighbours' daylight (BR 209), as last computed."""

    variant = models.OneToOneField(
        "twin.ProjectVariant", on_delete=models.CASCADE, primary_key=True, related_name="impact_report"
    )
    fingerprint = models.CharField(
        max_length=64,
        help_text="Hash of the variant, the buildings around it, the "
        "terrain and the method: a different one means the report is out of date.",
    )
    computed_at = models.DateTimeField(default=timezone.now)
    seconds = models.FloatField(default=0.0, help_text="Time the computation took.")
    parameters = models.JSONField(default=dict)
    summary = models.JSONField(default=dict)
    buildings = models.JSONField(default=list, help_text="Buildings ranked by loss.")
    windows = models.JSONField(default=list, help_text="Every window assessed, before and after.")
    balcony = models.JSONField(default=list, help_text="The balcony numbers of the worst windows.")
    map_svg = models.TextField(blank=True)

    objects = ImpactReportQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Impact of {self.variant}"

    def is_current(self) -> bool:
        # On call: every process loads these models, and viewshed.impact brings numba, the kernels and pvlib
        # (1.2-1.8 s to import, measured after django.setup()).
        from viewshed.impact import Parameters, inputs_fingerprint

        return self.fingerprint == inputs_fingerprint(self.variant, Parameters(**self.parameters))

    @classmethod
    def refresh(
        cls, variant, params=None, force: bool = False, surface=None, progress=None
    ) -> tuple[ImpactReport, bool]:
        """The variant's report, computed again when its inputs changed (or `force`); (report, recomputed).

        surface: the surface model to read (default: the current one, built or patched if needed:
        for jobs and commands, never for a request).
        """
        # On call, as in is_current: viewshed.dsm brings numba too.
        from viewshed.dsm import ensure_surface
        from viewshed.impact import Parameters, compute_impact, inputs_fingerprint

        params = params or Parameters()
        fingerprint = inputs_fingerprint(variant, params)
        report = cls.objects.filter(variant=variant).first()
        if report is not None and report.fingerprint == fingerprint and not force:
            return report, False
        t0 = time.perf_counter()
        result = compute_impact(variant, surface or ensure_surface(progress), params, progress)
        report, _ = cls.objects.update_or_create(
            variant=variant,
            defaults={
                "fingerprint": fingerprint,
                "computed_at": timezone.now(),
                "seconds": round(time.perf_counter() - t0, 3),
                "parameters": result["parameters"],
                "summary": {**result["summary"], "timings_s": result["timings_s"]},
                "buildings": result["buildings"],
                "windows": result["windows"],
                "balcony": result["balcony"],
                "map_svg": result["map_svg"],
            },
        )
        return report, True

    def failing(self, criterion: str = "vsc_fails") -> list[dict]:
        return [w for w in self.windows if w.get(criterion)]
