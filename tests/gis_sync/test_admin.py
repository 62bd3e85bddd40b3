"""The admin shows a run's errors readably and syncs a source on request."""
import pytest
from django.contrib.auth.models import User
from django.test import Client

from gis_sync.importer import import_path
from gis_sync.models import Source, SyncRun


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


def test_sync_now_runs_the_selected_sources(admin_client, shared, twin_data, strasbourg):
    source = Source.objects.create(key="grt", name="GRT", format="stardt",
                                   location=str(shared / "star-dt" / "GRT.gml"))
    response = admin_client.post("/admin/gis_sync/source/", {"action": "sync_now", "_selected_action": [source.pk]},
                                 follow=True)
    assert any(str(m).startswith("grt: 3 created") for m in response.context["messages"])
    assert source.last_run().status == "success"
