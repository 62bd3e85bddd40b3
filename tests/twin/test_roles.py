"""Network data and draft projects reach no citizen, anywhere in the API."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString

from twin.models import Network, NetworkOperator, NetworkSegment, PlanningProject, ProjectStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def water_main(db) -> NetworkSegment:
    operator = NetworkOperator.objects.create(name="Régie des Eaux d'Antibes")
    network = Network.objects.create(operator=operator, network_type="water", name="AEP Antibes")
    return NetworkSegment.objects.create(
        network=network,
        source_key="raepa",
        source_id="AEP-1",
        feature_type="Canalisation",
        geom=LineString((1033400, 6284460), (1033450, 6284470), srid=2154),
    )


@pytest.fixture
def projects(db) -> dict[str, PlanningProject]:
    return {
        "draft": PlanningProject.objects.create(name="Îlot Pasteur", slug="ilot-pasteur"),
        "public": PlanningProject.objects.create(
            name="Tour du Port", slug="tour-du-port", status=ProjectStatus.CONSULTATION
        ),
    }


def test_a_citizen_gets_403_on_network_segments(citizen, water_main):
    response = citizen.get("/api/network-segments/")
    assert response.status_code == 403
    assert "planners and field agents" in response.json()["detail"]


def test_a_signed_in_user_without_a_role_is_still_a_citizen(charlie, water_main):
    from django.test import Client

    c = Client()
    c.force_login(charlie)
    assert c.get("/api/network-segments/").status_code == 403


def test_a_field_agent_sees_the_water_main(field_agent, water_main):
    response = field_agent.get("/api/network-segments/")
    assert response.status_code == 200
    assert [f["properties"]["source_id"] for f in response.json()["results"]["features"]] == ["AEP-1"]


def test_a_citizen_sees_projects_in_consultation_but_not_drafts(citizen, projects):
    slugs = [p["slug"] for p in citizen.get("/api/projects/").json()["results"]]
    assert slugs == ["tour-du-port"]
    assert citizen.get("/api/projects/ilot-pasteur/").status_code == 404


def test_a_planner_sees_drafts(planner, projects):
    slugs = sorted(p["slug"] for p in planner.get("/api/projects/").json()["results"])
    assert slugs == ["ilot-pasteur", "tour-du-port"]


def test_a_field_agent_does_not_see_drafts(field_agent, projects):
    slugs = [p["slug"] for p in field_agent.get("/api/projects/").json()["results"]]
    assert slugs == ["tour-du-port"]


def test_the_session_tells_the_frontend_who_is_there(citizen, planner):
    assert citizen.get("/api/session/").json()["role"] == "citizen"
    body = planner.get("/api/session/").json()
    assert body["role"] == "planner"
    west, south, east, north = body["extent_degrees"]
    assert 7.0 < west < east < 7.3 and 43.4 < south < north < 43.7


def test_the_session_names_the_citys_time_zone_for_the_sun_tool(citizen, settings):
    assert settings.TIME_ZONE == "Europe/Paris"  # the default: Antibes' clock
    assert citizen.get("/api/session/").json()["time_zone"] == "Europe/Paris"


def test_a_project_moves_through_its_statuses_in_order(projects):
    project = projects["draft"]
    assert [project.advance() for _ in range(3)] == ["consultation", "approved", "built"]
    with pytest.raises(ValueError, match="already built"):
        project.advance()


def test_the_openapi_schema_documents_the_api(citizen):
    response = citizen.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/network-segments/" in response.content
