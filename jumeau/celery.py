"""The project's Celery app.

Workers: `celery -A jumeau.celery worker`; schedules: `celery -A jumeau.celery beat` (edited in the admin).
gis_sync knows nothing of tiles: a sync that landed sends twin's `made_stale` (the tile layers and the derived
products it made stale), which jumeau/rebuilds.py answers, here in the project package, which alone may import every
app."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.schedules import crontab
from celery.signals import after_task_publish, worker_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumeau.settings")

app = Celery("jumeau")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["gis_sync", "tiles", "viewshed", "realtime"])
# The shade table covers today and tomorrow: rolled forward each night, just after local midnight. With the
# database scheduler this entry shows (and can be changed) in the admin's Periodic tasks.
app.conf.beat_schedule = {
    "shade: today and tomorrow": {"task": "realtime.compute_shade", "schedule": crontab(minute=5, hour=0)},
    # A tile build whose worker died is abandoned once its lease lapses, and queued again (tiles.tasks).
    "tiles: redo builds a dead worker left": {"task": "tiles.recover_builds", "schedule": 60.0},
}


@worker_init.connect
def _sqlite_jobs_wait_for_the_write_lock(**kwargs) -> None:
    """On SQLite (the embedded demo), a worker's transactions take the write lock when they begin.

    A deferred transaction that reads, then writes, fails at once with "database is locked" when another process
    committed in between: SQLite cannot retry that upgrade, the 30 s busy timeout never applies. Two workers
    finishing the parts of one split build do exactly that (django-celery-results counts a chord's parts in
    such a transaction): the build failed about one run in two of bench/jobs.py. BEGIN IMMEDIATE waits for the
    lock instead. Workers only: the web server's requests are short and mostly read."""
    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "sqlite":
        return
    connection.settings_dict.setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    connection.close()  # a connection opened before this reads the option again when it reconnects


@worker_ready.connect
def _recover_builds(sender=None, **kwargs) -> None:
    """A worker that starts (often: restarted after one died) looks for builds left by a dead one, and looks again
    until the running ones end or are redone: recovery does not wait for beat, which the demo may not run."""
    # Lazy, as below: jumeau/__init__.py imports this module before Django is set up (loading the settings
    # imports the package), and tasks and models may load only once the app registry is ready.
    from tiles.tasks import recover_builds

    recover_builds.apply_async(kwargs={"watch": True})


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **kwargs) -> None:
    """kombu's filesystem transport expects its folders to exist; Redis needs nothing."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@after_task_publish.connect
def _record_queued(sender=None, headers=None, **kwargs) -> None:
    """A queued job shows in the admin's task results (PENDING) before a worker picks it up."""
    if not headers or "id" not in headers:
        return
    from django_celery_results.models import TaskResult  # lazy: see _recover_builds

    TaskResult.objects.get_or_create(
        task_id=headers["id"],
        defaults={
            "status": "PENDING",
            "task_name": headers.get("task") or sender,
            "task_args": headers.get("argsrepr") or "",
            "task_kwargs": headers.get("kwargsrepr") or "",
        },
    )
