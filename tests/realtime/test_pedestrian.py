"""Pedestrian graph from StreetSegment rows, walks draped on the terrain, circuits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from django.contrib.gis.geos import LineString

from realtime import pedestrian
from realtime.pedestrian import (
    RouteError,
    circuit_feature,
    current_graph,
    graph_from_lines,
    kind_of_nature,
    route_feature,
)
from tests.realtime.conftest import STEP, X0, Y0

pytestmark = pytest.mark.django_db


def test_segments_that_meet_within_a_centimetre_share_a_node():
    walk = graph_from_lines(
        [
            ([(0, 0, 1), (10, 0, 1), (20, 0, 2)], "street"),
            ([(20.004, 0.003, 2), (20, 30, 5)], "stairs"),
        ]
    )
    assert walk.n_nodes == 4
    route = walk.graph.route(0, 3)
    assert route is not None and route.length_m == pytest.approx(50, abs=0.01)


def test_an_empty_network_is_a_clear_error():
    with pytest.raises(RouteError, match="pedestrian network is empty"):
        graph_from_lines([])


@pytest.mark.parametrize(
    "nature, kind",
    [("Escalier", "stairs"), ("Sentier", "footpath"), ("Chemin", "footpath"), ("Route à 1 chaussée", "street")],
)
def test_bd_topo_natures_map_to_edge_kinds(nature, kind):
    assert kind_of_nature(nature) == kind


def test_a_walk_between_two_places_is_a_draped_3d_line_with_a_profile(street_grid):
    feature = route_feature({"poi": "port-vauban"}, {"poi": "chateau"})
    props = feature["properties"]
    # Ten blocks on the grid, plus the few metres from each place to its street.
    assert 500 < props["length_m"] < 512
    # Climbing 20 m is slower than walking 500 m on the flat at 1.4 m/s.
    assert props["duration_s"] > props["length_m"] / 1.4
    coords = np.array(feature["geometry"]["coordinates"])
    assert coords.shape[1] == 3
    assert 7.0 < coords[:, 0].mean() < 7.2 and 43.5 < coords[:, 1].mean() < 43.7
    # Heights are ellipsoidal for the 3D scene: orthometric plus the geoid (~50 m at Antibes).
    assert coords[-1, 2] - props["profile"][-1][1] == pytest.approx(50, abs=5)
    profile = np.array(props["profile"])
    assert profile[0, 0] == 0 and profile[-1, 0] == pytest.approx(props["length_m"], abs=0.5)
    assert profile[0, 1] == pytest.approx(2, abs=0.01) and profile[-1, 1] == pytest.approx(22, abs=0.01)
    assert props["ascent_m"] == pytest.approx(20, abs=0.1)
    assert props["from"] == "Port Vauban" and props["to"] == "Chateau"


def test_the_line_is_densified_every_few_metres(street_grid):
    feature = route_feature({"poi": "port-vauban"}, {"poi": "marche"})
    from twin.geoid import city_frame

    lon, lat, _ = np.array(feature["geometry"]["coordinates"]).T
    x, y = city_frame().from_lonlat(lon, lat)
    assert np.hypot(np.diff(x), np.diff(y)).max() <= pedestrian.DRAPE_STEP_M + 0.01


def test_a_walk_from_the_visitors_position(street_grid):
    from twin.geoid import city_frame

    lon, lat = city_frame().to_lonlat(X0 + STEP * 2 + 10, Y0 + 5)
    feature = route_feature({"lon": float(lon), "lat": float(lat)}, {"poi": "marche"})
    assert feature["properties"]["from"] == "Votre position"
    assert 140 < feature["properties"]["length_m"] < 170


def test_a_place_far_from_any_street_is_refused(street_grid):
    with pytest.raises(RouteError, match="from the nearest street or path"):
        route_feature({"poi": "port-vauban"}, {"poi": "ile-sainte-marguerite"})


def test_an_unknown_place_is_refused(street_grid):
    with pytest.raises(pedestrian.PlaceNotFound):
        route_feature({"poi": "nowhere"}, {"poi": "chateau"})


def test_the_graph_is_rebuilt_when_the_streets_change(street_grid):
    from twin.models import StreetSegment

    before = current_graph()
    assert current_graph() is before  # cached
    StreetSegment.objects.create(
        source_key="test-streets",
        source_id="new",
        kind="footpath",
        geom=LineString([(X0, Y0, 2), (X0 - 40, Y0 - 40, 1)], srid=2154),
    )
    after = current_graph()
    assert after is not before and after.n_nodes == before.n_nodes + 1


@pytest.mark.django_db(transaction=True)
def test_a_server_start_builds_the_walk_graph_so_the_first_walk_does_not(street_grid):
    pedestrian._cache.clear()
    pedestrian.warm_up_in_background().join(timeout=120)
    warmed = pedestrian._cache.get("graph")
    assert warmed is not None and warmed.n_nodes > 0
    assert current_graph() is warmed  # the first walk finds it built: nothing is read again
    route = route_feature({"poi": "port-vauban"}, {"poi": "chateau"})
    assert route["properties"]["length_m"] > 0


@pytest.mark.django_db(transaction=True)
def test_a_server_with_no_streets_yet_still_starts_and_says_the_first_walk_will_build_the_graph(caplog):
    pedestrian._cache.clear()
    with caplog.at_level("WARNING", logger="realtime.pedestrian"):
        pedestrian.warm_up_in_background().join(timeout=120)
    assert "graph" not in pedestrian._cache
    assert "pedestrian network is empty" in caplog.text and "the first walk will build it" in caplog.text


def test_walks_are_draped_on_the_active_terrain(street_grid, tmp_path):
    from django.contrib.gis.gdal import GDALRaster
    from django.contrib.gis.geos import Polygon

    from twin.models import Terrain

    path = tmp_path / "dem.tif"
    GDALRaster(
        {
            "driver": "GTiff",
            "name": str(path),
            "srid": 2154,
            "width": 100,
            "height": 100,
            "origin": (X0 - 500, Y0 + 1000),
            "scale": (15.0, -15.0),
            "bands": [{"data": np.full(100 * 100, 30.0, dtype=np.float32), "nodata_value": -9999}],
        }
    )
    Terrain.objects.create(
        name="test",
        file=str(path),
        extent=Polygon.from_bbox((X0 - 500, Y0 - 500, X0 + 1000, Y0 + 1000)),
        pixel_size=15,
        width=100,
        height=100,
        checksum="t1",
    )
    feature = route_feature({"poi": "port-vauban"}, {"poi": "chateau"})
    heights = [z for _, z in feature["properties"]["profile"]]
    assert heights == pytest.approx([30.0] * len(heights))


def test_a_circuit_walks_its_stops_in_order_with_their_texts(circuit):
    feature = circuit_feature(circuit)
    props = feature["properties"]
    assert [s["poi"] for s in props["stops"]] == ["port-vauban", "marche", "chateau"]
    assert props["stops"][0]["text"] == "Texte port-vauban" and props["complete"]
    direct = route_feature({"poi": "port-vauban"}, {"poi": "chateau"})["properties"]["length_m"]
    assert props["length_m"] >= direct - 1
    first, last = feature["geometry"]["coordinates"][0], feature["geometry"]["coordinates"][-1]
    assert math.isclose(first[0], props["stops"][0]["lon"], abs_tol=1e-6)
    assert math.isclose(last[1], props["stops"][-1]["lat"], abs_tol=1e-6)
