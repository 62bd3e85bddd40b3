"""Job control on a real worker: one build of a layer at a time across processes, downloads retried with backoff,
the admin's 'sync now' answering at once with the sync queued."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.gis_sync.conftest import DATA
from tests.jobs.conftest import result_of, wait_for
from tests.jobs.feed_server import Portal

pytestmark = pytest.mark.django_db(transaction=True)


def _status(task_id: str) -> str | None:
    from django_celery_results.models import TaskResult

    return TaskResult.objects.filter(task_id=task_id).values_list("status", flat=True).first()


def test_a_build_waits_while_another_process_holds_the_layer(jobs_env):
    from gis_sync.importer import import_path
    from tiles.models import TileBuild
    from tiles.tasks import build_layer
    from twin import job_lock
    from twin.models import JobLock

    import_path(DATA / "batiment.geojson", options={"source_key": "bati"})
    assert job_lock.acquire("tiles:buildings", "another-machine:42", ttl_s=600)
    job = build_layer.delay("buildings")
    deadline = time.monotonic() + 20
    while _status(job.id) != "RETRY":
        assert time.monotonic() < deadline, f"the build never waited: {_status(job.id)}\n{jobs_env.log()}"
        time.sleep(0.2)
    time.sleep(2.5)  # two more tries (JUMEAU_JOB_LOCK_WAIT_S=1), all refused
    assert _status(job.id) == "RETRY" and not TileBuild.objects.exists()

    job_lock.release("tiles:buildings", "another-machine:42")
    row = wait_for([job.id], jobs_env)[job.id]
    assert row.status == "SUCCESS", row.traceback
    assert result_of(row)["status"] == "published" and TileBuild.objects.get().status == "published"
    assert not JobLock.objects.exists()  # the worker let go of the layer


def test_a_failed_download_is_retried_with_growing_waits(jobs_env):
    from gis_sync.models import Source, SyncRun
    from gis_sync.tasks import sync_source

    portal = Portal(DATA / "batiment.geojson", failures=2)
    try:
        Source.objects.create(key="portal", name="portal", location=portal.url)
        job = sync_source.delay("portal")
        row = wait_for([job.id], jobs_env)[job.id]
        wait_for(result_of(row)["queued"].values(), jobs_env)
    finally:
        portal.close()
    assert row.status == "SUCCESS" and result_of(row)["created"] == 3
    first, second, third = portal.requests
    # JUMEAU_JOB_RETRY_BACKOFF_S=1: one second, then two.
    assert 0.9 <= second - first < 1.9 <= third - second < 4.0
    runs = list(SyncRun.objects.order_by("started_at").values_list("status", flat=True))
    assert runs == ["failed", "failed", "success"]
    assert "503" in SyncRun.objects.filter(status="failed").first().errors[0]["message"]


def test_sync_now_in_the_admin_answers_at_once_and_a_worker_syncs(jobs_env, admin_client):
    from gis_sync.models import Source, SyncRun

    portal = Portal(DATA / "batiment.geojson", delay_s=4.0)  # a slow portal: the download alone takes 4 s
    try:
        source = Source.objects.create(key="slow", name="slow", location=portal.url)
        started = time.monotonic()
        response = admin_client.post(
            "/admin/gis_sync/source/", {"action": "sync_now", "_selected_action": [source.pk]}, follow=True
        )
        answered = time.monotonic()
        assert answered - started < portal.delay_s  # a sync inside the request could not answer before
        message = " ".join(str(m) for m in response.context["messages"])
        job_id = re.search(r"sync queued as job ([0-9a-f-]{36})", message)[1]
        assert _status(job_id) in {"PENDING", "STARTED"}  # listed in the admin as queued or running
        assert not SyncRun.objects.filter(status="success").exists()
        deadline = time.monotonic() + 3.0  # while the portal is still answering
        jobs_page = "/admin/django_celery_results/taskresult/"
        while f"Downloading {portal.url}" not in admin_client.get(jobs_page).content.decode():
            assert time.monotonic() < deadline, "the running sync shows no progress in the admin"
            time.sleep(0.2)
        row = wait_for([job_id], jobs_env)[job_id]
        wait_for(result_of(row)["queued"].values(), jobs_env)
    finally:
        portal.close()
    assert row.status == "SUCCESS" and row.worker.startswith("test-")
    assert len(portal.requests) == 1 and SyncRun.objects.get().status == "success"
    jobs = admin_client.get("/admin/django_celery_results/taskresult/").content.decode()
    # The buildings' build ran split: its parts, and its publish under the build job's id.
    assert "gis_sync.sync_source" in jobs and "tiles.scan_part" in jobs and "tiles.publish_build" in jobs
    assert "done" in jobs


def test_the_transit_schedule_import_runs_as_a_job_and_a_broken_feed_keeps_the_active_one(jobs_env, tmp_path):
    from realtime.models import Feed
    from realtime.tasks import import_gtfs

    sample = Path(__file__).resolve().parents[1] / "data" / "gtfs" / "envibus_sample"
    good = import_gtfs.delay(str(sample))
    row = wait_for([good.id], jobs_env)[good.id]
    assert row.status == "SUCCESS", row.traceback
    counts = result_of(row)["counts"]
    assert counts["stops"] > 0 and counts["trips"] > 0 and Feed.objects.current().pk == result_of(row)["feed"]

    broken = tmp_path / "broken_gtfs"
    broken.mkdir()
    (broken / "agency.txt").write_text("agency_name\nEnvibus\n", encoding="utf-8")
    bad = import_gtfs.delay(str(broken))
    failed = wait_for([bad.id], jobs_env)[bad.id]
    assert failed.status == "FAILURE" and "GTFSError" in failed.traceback
    assert Feed.objects.current().pk == result_of(row)["feed"]
