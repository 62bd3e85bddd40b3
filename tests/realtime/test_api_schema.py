"""The realtime HTTP endpoints are in the OpenAPI schema, with the shapes they answer."""

from __future__ import annotations

import pytest

REALTIME_PATHS = ["/api/routes/", "/api/circuits/", "/api/transit/stops/", "/api/transit/stops/{stop_id}/departures/"]


@pytest.fixture
def schema(citizen) -> dict:
    response = citizen.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_lists_every_realtime_endpoint_as_a_get(schema):
    for path in REALTIME_PATHS:
        assert set(schema["paths"][path]) == {"get"}, path


def test_the_departure_board_is_described_field_by_field(schema):
    operation = schema["paths"]["/api/transit/stops/{stop_id}/departures/"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["stop_id"]
    board = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = schema["components"]["schemas"][board]["properties"]
    assert {"stop", "departures", "source", "status", "feed_timestamp", "updated"} <= set(fields)
    row = schema["components"]["schemas"]["Departure"]["properties"]
    assert "POSIX seconds" in row["expected"]["description"]
    assert "404" in operation["responses"]


def test_a_walk_takes_either_a_place_or_coordinates_at_each_end(schema):
    names = {p["name"] for p in schema["paths"]["/api/routes/"]["get"]["parameters"]}
    assert names == {"from", "from_lon", "from_lat", "to", "to_lon", "to_lat", "shade", "max_detour", "depart"}


def test_the_realtime_views_add_no_schema_warning(capsys):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    emitted = capsys.readouterr().err
    assert not [line for line in emitted.splitlines() if "realtime" in line]
