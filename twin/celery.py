"""The project's Celery app, and the wiring between jobs: a sync that landed queues the rebuilds it made stale.

Workers: `celery -A twin.celery worker`; schedules: `celery -A twin.celery beat` (edited in the admin).
gis_sync knows nothing of tiles: it hands the layers a sync changed to queue_rebuilds, here in the project
package, which alone may import every app."""
from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.schedules import crontab
from celery.signals import after_task_publish

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twin.settings")

app = Celery("jumeau")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["gis_sync", "tiles", "viewshed", "realtime"])
# The shade table covers today and tomorrow: rolled forward each night, just after local midnight. With the
# database scheduler this entry shows (and can be changed) in the admin's Periodic tasks.
app.conf.beat_schedule = {
    "shade: today and tomorrow": {"task": "realtime.compute_shade", "schedule": crontab(minute=5, hour=0)},
}


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **kwargs) -> None:
    """kombu's filesystem transport expects its folders to exist; Redis needs nothing."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


def queue_rebuilds(dirty_layers: list[str]) -> dict[str, str]:
    """Queue the build of every layer a sync made stale; when buildings or terrain changed (and a terrain exists),
    the surface model, then the shade on the streets and the impact reports; when only a project's model changed,
    its variants' impact reports. Returns {job: task id}."""
    from realtime.tasks import compute_shade
    from tiles.build import layers_to_rebuild
    from tiles.layers import LAYER_RE
    from tiles.tasks import build_layer
    from viewshed.tasks import build_dsm, impact_reports

    from twin.models import Terrain

    queued = {f"tiles:{layer}": build_layer.delay(layer).id for layer in layers_to_rebuild(dirty_layers)}
    # Without a terrain there is no surface model to keep: the first terrain sync queues it. The shade on the
    # streets and the impact reports are read from that surface model: they follow it, in the same chain (each
    # report is recomputed only if its variant or the buildings around it changed).
    if {"buildings", "terrain"} & set(dirty_layers) and Terrain.current() is not None:
        impact = (build_dsm.si() | compute_shade.si() | impact_reports.si()).delay()
        queued["dsm"], queued["shade"], queued["impact"] = impact.parent.parent.id, impact.parent.id, impact.id
    else:
        # A project's new model changes only its own variants' reports.
        variants = sorted({int(m["variant"]) for layer in dirty_layers if (m := LAYER_RE.fullmatch(layer))
                           and m["variant"]})
        if variants and Terrain.current() is not None:
            queued["impact"] = impact_reports.delay(variants).id
    return queued


@after_task_publish.connect
def _record_queued(sender=None, headers=None, **kwargs) -> None:
    """A queued job shows in the admin's task results (PENDING) before a worker picks it up."""
    if not headers or "id" not in headers:
        return
    from django_celery_results.models import TaskResult

    TaskResult.objects.get_or_create(task_id=headers["id"], defaults={
        "status": "PENDING", "task_name": headers.get("task") or sender,
        "task_args": headers.get("argsrepr") or "", "task_kwargs": headers.get("kwargsrepr") or ""})
