"""GET /api/search/: the twin's streets, places, stops and projects found by name, with typos, placed in WGS84; a
draft only for planners, a network node only for network roles; the index follows the data."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon
from django.test import Client

from jumeau.demo_city.extent import to_l93
from realtime.models import Feed, Stop
from twin.models import (
    Building,
    Network,
    NetworkNode,
    NetworkOperator,
    PlanningProject,
    PointOfInterest,
    ProjectStatus,
    ProjectVariant,
    StreetSegment,
)

pytestmark = pytest.mark.django_db

# Real places of Antibes (WGS84), as the demo city has them.
REPUBLIQUE = [(7.1235, 43.5808), (7.1250, 43.5810), (7.1266, 43.5811)]
POLE = (7.1196, 43.5860)
FORT_CARRE = (7.1270, 43.5900)
PORT = (7.1262, 43.5868)
# The geoid near Antibes is about 49 m above the ellipsoid (EGM96): ellipsoidal = orthometric + N.
UNDULATION_M = (45.0, 55.0)


def _segment(source_id: str, name: str, lonlats: list[tuple[float, float]], z: float = 10.0) -> StreetSegment:
    xyz = [(*to_l93(lon, lat), z) for lon, lat in lonlats]
    return StreetSegment.objects.create(
        source_key="test", source_id=source_id, name=name, geom=LineString(xyz, srid=2154)
    )


def _square(lon: float, lat: float, side: float) -> MultiPolygon:
    x, y = to_l93(lon, lat)
    return MultiPolygon(Polygon.from_bbox((x, y, x + side, y + side)), srid=2154)


@pytest.fixture
def city():
    # Rue de la République in two blocks, one result.
    _segment("rep-1", "Rue de la République", REPUBLIQUE[:2])
    _segment("rep-2", "Rue de la République", REPUBLIQUE[1:])
    _segment("sade-1", "Rue Sade", [(7.1262, 43.5824), (7.1265, 43.5816)])
    PointOfInterest.objects.create(
        name="Fort Carré", slug="fort-carre", category="Monument", geom=Point(*to_l93(*FORT_CARRE), 25.0, srid=2154)
    )
    feed = Feed.objects.create(name="Envibus", source="test", checksum="0", timezone="Europe/Paris", active=True)
    # One stop per side of the road under one name: one result.
    Stop.objects.create(feed=feed, stop_id="POLE_A", name="Antibes Pôle d'Échanges SNCF", geom=Point(*POLE, srid=4326))
    Stop.objects.create(
        feed=feed,
        stop_id="POLE_B",
        name="Antibes Pôle d'Échanges SNCF",
        geom=Point(POLE[0] + 0.0002, POLE[1], srid=4326),
    )
    Building.objects.create(
        source_key="test",
        source_id="b-1",
        name="Musée Picasso",
        footprint=_square(7.1283, 43.5807, 30.0),
        ground_z=12.0,
        roof_z=28.0,
    )
    Building.objects.create(
        source_key="test",
        source_id="b-2",
        attributes={"adresse": "12 Rue Sade"},
        footprint=_square(7.1263, 43.5820, 12.0),
        ground_z=10.0,
        roof_z=22.0,
    )
    Building.objects.create(  # neither name nor address: nothing to find it by
        source_key="test", source_id="b-3", footprint=_square(7.1266, 43.5822, 10.0), ground_z=10.0, roof_z=19.0
    )
    public = PlanningProject.objects.create(name="Tour du Port", slug="tour-du-port", status=ProjectStatus.CONSULTATION)
    draft = PlanningProject.objects.create(
        name="Projet Zeta confidentiel", slug="zeta-confidentiel", status=ProjectStatus.DRAFT
    )
    for project in (public, draft):
        ProjectVariant.objects.create(
            project=project,
            name="A",
            slug="a",
            model_file="a.glb",
            model_format="glb",
            footprint=_square(*PORT, 20.0),
            min_z=2.0,
            max_z=40.0,
        )
    operator = NetworkOperator.objects.create(name="Régie des Eaux")
    network = Network.objects.create(operator=operator, network_type="sewer", name="Eaux usées")
    NetworkNode.objects.create(
        network=network,
        source_key="test",
        source_id="EU-4411",
        node_type="manhole",
        geom=Point(*to_l93(7.1250, 43.5810), 8.0, srid=2154),
        cover_z=8.0,
    )


def search(client: Client, q: str, **params) -> list[dict]:
    response = client.get("/api/search/", {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_street_is_found_with_a_typo_once_for_all_its_segments(city, citizen):
    results = search(citizen, "répubique")
    streets = [r for r in results if r["kind"] == "street"]
    assert [r["label"] for r in streets] == ["Rue de la République"]
    street = streets[0]
    # On the street: between its two ends, in WGS84 degrees, with an ellipsoidal height (10 m + the geoid).
    assert REPUBLIQUE[0][0] <= street["lon"] <= REPUBLIQUE[-1][0]
    assert 43.5807 <= street["lat"] <= 43.5812
    assert 10 + UNDULATION_M[0] < street["height"] < 10 + UNDULATION_M[1]
    assert street["range"] >= 120


def test_a_stop_is_found_without_accents_or_apostrophe_and_listed_once(city, citizen):
    results = search(citizen, "pole echange")
    assert [(r["kind"], r["label"]) for r in results] == [("stop", "Antibes Pôle d'Échanges SNCF")]
    assert results[0]["lon"] == pytest.approx(POLE[0] + 0.0001, abs=1e-6)
    assert results[0]["lat"] == pytest.approx(POLE[1], abs=1e-6)


def test_a_place_and_a_named_building_are_found(city, citizen):
    [place] = search(citizen, "fort carre")
    assert (place["kind"], place["id"], place["detail"]) == ("place", "fort-carre", "Monument")
    assert place["lon"] == pytest.approx(FORT_CARRE[0], abs=1e-6)
    assert 25 + UNDULATION_M[0] < place["height"] < 25 + UNDULATION_M[1]
    [building] = search(citizen, "musee picaso")
    assert building["kind"] == "building"
    assert 28 + UNDULATION_M[0] < building["height"] < 28 + UNDULATION_M[1]


def test_a_building_is_found_by_the_address_its_source_gave(city, citizen):
    results = search(citizen, "12 rue sade")
    assert [(r["kind"], r["label"]) for r in results][0] == ("building", "12 Rue Sade")
    assert 22 + UNDULATION_M[0] < results[0]["height"] < 22 + UNDULATION_M[1]


def test_an_anonymous_or_signed_in_citizen_never_gets_a_draft_nor_a_network_node(city, citizen, charlie):
    signed_in = Client()
    signed_in.force_login(charlie)
    for client in (citizen, signed_in):
        for q in ("zeta confidentiel", "confidentiel", "projet", "regard", "EU-4411", "4411", "eaux usees"):
            body = client.get("/api/search/", {"q": q, "limit": 25}).content.decode()
            assert "zeta" not in body.lower() and "4411" not in body, (q, body)
    assert [r["label"] for r in search(citizen, "tour port")] == ["Tour du Port"]


def test_a_planner_gets_the_draft_and_the_network_node(city, planner):
    [draft] = search(planner, "zeta confidentiel")
    assert (draft["kind"], draft["id"], draft["detail"]) == ("project", "zeta-confidentiel", "Brouillon")
    [node] = search(planner, "regard 4411")
    assert (node["kind"], node["label"], node["detail"]) == ("network", "Regard EU-4411", "Eaux usées")


def test_a_field_agent_gets_the_network_node_but_not_the_draft(city, field_agent):
    assert [r["label"] for r in search(field_agent, "regard 4411")] == ["Regard EU-4411"]
    assert search(field_agent, "zeta confidentiel") == []


def test_a_project_put_back_to_draft_disappears_for_citizens_at_once(city, citizen):
    assert [r["id"] for r in search(citizen, "tour port")] == ["tour-du-port"]
    PlanningProject.objects.filter(slug="tour-du-port").update(status=ProjectStatus.DRAFT)  # no signal, no updated_at
    assert search(citizen, "tour port") == []


def test_the_index_follows_a_sync_an_admin_edit_and_a_new_bus_feed(city, citizen):
    assert search(citizen, "rue thuret") == []
    _segment("thuret-1", "Rue Thuret", [(7.1260, 43.5840), (7.1262, 43.5824)])
    assert [r["label"] for r in search(citizen, "rue thuret")] == ["Rue Thuret"]

    fort = PointOfInterest.objects.get(slug="fort-carre")
    fort.name = "Fort Carré d'Antibes"
    fort.save()
    assert [r["label"] for r in search(citizen, "fort carre")] == ["Fort Carré d'Antibes"]

    new = Feed.objects.create(name="Envibus", source="test", checksum="1", timezone="Europe/Paris")
    Stop.objects.create(feed=new, stop_id="PORT", name="Port Vauban", geom=Point(*PORT, srid=4326))
    new.activate()
    assert search(citizen, "pole echange") == []
    assert [r["label"] for r in search(citizen, "port vauban")] == ["Port Vauban"]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({}, "q"),
        ({"q": "a"}, "at least 2"),
        ({"q": "rue", "limit": "0"}, "limit"),
        ({"q": "rue", "limit": "99"}, "limit"),
    ],
)
def test_bad_input_gets_a_message_naming_the_parameter(city, citizen, params, says):
    response = citizen.get("/api/search/", params)
    assert response.status_code == 400
    assert says in response.content.decode()


def test_the_limit_caps_the_results(city, citizen):
    assert len(search(citizen, "rue", limit=1)) == 1
    # République, Sade and the building at "12 Rue Sade"; not the stop, the place nor the museum.
    assert [r["kind"] for r in search(citizen, "rue")] == ["street", "street", "building"]


def test_search_is_throttled_per_client(city, citizen, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"search": "3/min"}}
    from django.core.cache import cache

    cache.clear()
    codes = [citizen.get("/api/search/", {"q": "sade"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
