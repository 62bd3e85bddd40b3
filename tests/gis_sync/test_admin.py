"""The admin shows a run's errors readably (its "sync now" queues a job: tests/jobs/test_job_control.py)."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from gis_sync.importer import import_path
from gis_sync.models import SyncRun


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@antibes.example", "pw"))
    return client


def test_a_failed_run_shows_its_errors_with_feature_and_field(admin_client, data, twin_data):
    with pytest.raises(ValueError):
        import_path(data / "batiment_bad_values.geojson", options={"kind": "buildings"})
    run = SyncRun.objects.get()
    page = admin_client.get(f"/admin/gis_sync/syncrun/{run.pk}/change/").content.decode()
    assert "batiment_bad_values.B1" in page and "HAUTEUR" in page and "is not a number" in page


def test_the_sources_list_shows_each_source_s_schedule(admin_client, data):
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    from gis_sync.models import Source

    Source.objects.create(key="bati", name="Bâtiments", location=str(data / "batiment.geojson"))
    Source.objects.create(key="raepa", name="RAEPA", location=str(data / "raepa.gpkg"))
    Source.objects.create(key="manual", name="By hand", location=str(data / "stareau.gpkg"))
    nightly = CrontabSchedule.objects.create(minute="30", hour="2", timezone="Europe/Paris")
    hourly = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.create(name="bati nightly", task="gis_sync.sync_source", args='["bati"]', crontab=nightly)
    PeriodicTask.objects.create(name="raepa hourly", task="gis_sync.sync_source", args='["raepa"]', interval=hourly)
    page = admin_client.get("/admin/gis_sync/source/").content.decode()
    rows = {key: page[page.index(f">{key}<") :].split("</tr>")[0] for key in ("bati", "raepa", "manual")}
    assert "30 2 * * *" in rows["bati"] and "chaque heure" in rows["raepa"]  # the admin speaks French
    assert "none (add a periodic task)" in rows["manual"]
