"""The surface model (DSM) the viewshed reads, built or patched as a Celery job, one at a time."""
from __future__ import annotations

import time

from django.conf import settings

from twin.celery import app
from twin.jobs import exclusive, reporter


@app.task(bind=True, name="viewshed.build_dsm", soft_time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S,
          time_limit=settings.JUMEAU_JOB_TIME_LIMIT_S + 60)
def build_dsm(self, force: bool = False) -> dict:
    """Bring the DSM under VAR_DIR/dsm in line with the buildings and terrain (patched where syncs changed)."""
    from viewshed.dsm import SurfaceCache, dsm_dir, ensure_surface

    started = time.perf_counter()
    with exclusive(self, "viewshed:dsm"):
        surface = ensure_surface(progress=reporter(self), force=force)
    meta = SurfaceCache(dsm_dir()).meta() or {}
    g = surface.grid
    return {"fingerprint": surface.fingerprint, "rows": g.rows, "cols": g.cols, "cell_m": g.cell,
            "mode": meta.get("mode", "cached"), "buildings": meta.get("building_count", 0),
            "seconds": round(time.perf_counter() - started, 2)}
