"""The surface model (DSM) the viewshed reads, built or patched as a Celery job, one at a time."""

from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings

from twin.jobs import exclusive, reporter
from twin.models import ProjectVariant
from viewshed.models import ImpactReport


@shared_task(
    bind=True,
    name="viewshed.build_dsm",
    soft_time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S,
    time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S + 60,
)
def build_dsm(self, force: bool = False) -> dict:
    """Bring the DSM under VAR_DIR/dsm in line with the buildings and terrain (patched where syncs changed)."""
    # On call: every process loads this module (jumeau.rebuilds, at ready()), and viewshed.dsm brings numba
    # (0.2-0.35 s to import).
    from viewshed.dsm import SurfaceCache, dsm_dir, ensure_surface

    started = time.perf_counter()
    with exclusive(self, "viewshed:dsm"):
        surface = ensure_surface(progress=reporter(self), force=force)
    meta = SurfaceCache(dsm_dir()).meta() or {}
    g = surface.grid
    return {
        "fingerprint": surface.fingerprint,
        "rows": g.rows,
        "cols": g.cols,
        "cell_m": g.cell,
        "mode": meta.get("mode", "cached"),
        "buildings": meta.get("building_count", 0),
        "seconds": round(time.perf_counter() - started, 2),
    }


@shared_task(
    bind=True,
    name="viewshed.impact_reports",
    soft_time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S,
    time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S + 60,
)
def impact_reports(self, variant_ids: list[int] | None = None, force: bool = False) -> dict:
    """Bring the stored BR 209 impact report of each project variant (or of `variant_ids`) in line with its inputs:
    a report whose variant, surrounding buildings and terrain did not change is kept (viewshed/models.py)."""
    from viewshed.dsm import ensure_surface  # numba: on call, see build_dsm

    variants = ProjectVariant.objects.select_related("project").exclude(footprint=None).order_by("pk")
    if variant_ids is not None:
        variants = variants.filter(pk__in=variant_ids)
    computed, kept = [], []
    progress = reporter(self)
    with exclusive(self, "viewshed:impact"):
        if not variants.exists():
            return {"computed": computed, "kept": kept}
        surface = ensure_surface(progress=progress)
        for variant in variants:
            _, fresh = ImpactReport.refresh(variant, force=force, surface=surface, progress=progress)
            (computed if fresh else kept).append(variant.pk)
    return {"computed": computed, "kept": kept}
