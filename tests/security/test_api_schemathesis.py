"""Every operation of the OpenAPI schema, fuzzed by Schemathesis as a citizen and as a planner: no server error,
and every answer is what the schema says."""

from __future__ import annotations

import pytest
import schemathesis
from django.contrib.gis.geos import Point
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.tiles.conftest import make_buildings, make_network

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]
# A few examples per operation keep both passes (about 15 operations each) well under a minute and a half.
EXAMPLES = 10
RUN = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(autouse=True)
def connection_kept_open():
    """The real WSGI handler closes the database connection after each request; the test database lives in
    that connection (as Django's test client does, the signal is disconnected for the test)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_finished.disconnect(close_old_connections)
    signals.request_started.disconnect(close_old_connections)
    yield
    signals.request_finished.connect(close_old_connections)
    signals.request_started.connect(close_old_connections)


@pytest.fixture
def city(db):
    """A building, a public project, a water pipe and a point of interest: list and detail answers have rows."""
    from django.contrib.gis.geos import LineString

    from twin.models import NetworkSegment, PlanningProject, PointOfInterest

    make_buildings(2)
    PlanningProject.objects.create(
        name="Place Nationale", slug="place-nationale", status="consultation", description="A shaded square"
    )
    PlanningProject.objects.create(name="Secret draft", slug="secret-draft")
    NetworkSegment.objects.create(
        network=make_network("water"),
        source_key="test",
        source_id="CAN-1",
        feature_type="CanalisationEau",
        geom=LineString([(1031300, 6280300), (1031400, 6280310)], srid=2154),
        material="PE",
        diameter_nominal_mm=110,
        precision_xy="A",
        precision_z="B",
    )
    PointOfInterest.objects.create(
        name="Fort Carré", slug="fort-carre", category="monument", geom=Point(1031500, 6280500, 12.0, srid=2154)
    )


# The schema as the app serves it, and the app itself called in-process (WSGI, no server).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@schema.parametrize()
@RUN
def test_a_citizen_gets_no_server_error_and_only_answers_the_schema_describes(case, city):
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@RUN
def test_a_planner_gets_no_server_error_and_only_answers_the_schema_describes(case, city, planner):
    cookies = {"sessionid": planner.cookies["sessionid"].value}
    case.call_and_validate(checks=CHECKS, cookies=cookies)


def test_the_planner_pass_is_signed_in_and_the_citizen_pass_is_not(city, planner):
    """The session cookie given to the planner's cases opens the networks in the same WSGI app."""
    from werkzeug.test import Client

    app = Client(get_wsgi_application())
    assert app.get("/api/network-segments/").status_code == 403
    app.set_cookie("sessionid", planner.cookies["sessionid"].value)
    answer = app.get("/api/network-segments/")
    assert answer.status_code == 200 and answer.json["count"] == 1
