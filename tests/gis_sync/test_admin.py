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
