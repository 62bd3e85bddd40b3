"""Pedestrian route search: Tobler walking times, stairs, A* against networkx, snapping."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from realtime.route_search import FLAT_SPEED_M_S, STAIRS_UP_M_S, PedestrianGraph, tobler_speed, walking_times

ROOT = Path(__file__).resolve().parent.parent.parent


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_routes", ROOT / "bench" / "routes.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def hill_square() -> PedestrianGraph:
    """0 -- 1 -- 2 along the flat; 0 -- 3 -- 2 over a 30 m hill (all 100 m edges, metres)."""
    x = [0.0, 100.0, 200.0, 100.0, 500.0]
    y = [0.0, -60.0, 0.0, 60.0, 500.0]
    z = [0.0, 0.0, 0.0, 30.0, 0.0]
    return PedestrianGraph(
        x, y, z, [0, 1, 0, 3], [1, 2, 3, 2], [120.0, 120.0, 100.0, 100.0], ["street", "footpath", "street", "street"]
    )


def test_tobler_gives_five_kilometres_an_hour_on_the_flat() -> None:
    assert float(tobler_speed(0.0)) * 3.6 == pytest.approx(5.04, abs=0.01)
    assert FLAT_SPEED_M_S == pytest.approx(1.4, abs=0.01)


def test_uphill_is_slower_than_downhill() -> None:
    up, down = walking_times(np.array([0.0, 10.0]), np.array([10.0, 0.0]), np.array([100.0, 100.0]), np.array([0, 0]))
    assert up > down > 100 / float(tobler_speed(-0.05)) - 1e-9


def test_stairs_are_timed_by_the_climb() -> None:
    [t] = walking_times(np.array([0.0]), np.array([6.0]), np.array([10.0]), np.array([2]))
    assert t == pytest.approx(6.0 / STAIRS_UP_M_S)


def test_it_takes_the_longer_flat_way_round_a_hill() -> None:
    route = hill_square().route(0, 2)
    assert route is not None
    assert list(route.nodes) == [0, 1, 2]
    assert route.length_m == pytest.approx(240.0)
    assert route.duration_s == pytest.approx(240.0 / FLAT_SPEED_M_S)
    assert route.profile.tolist() == [[0.0, 0.0], [120.0, 0.0], [240.0, 0.0]]


def test_the_elevation_profile_follows_the_hill() -> None:
    g = hill_square()
    route = g.route(3, 0)
    assert route is not None and route.profile.tolist() == [[0.0, 30.0], [100.0, 0.0]]


def test_an_unconnected_node_has_no_route() -> None:
    assert hill_square().route(0, 4) is None


def test_a_route_to_itself_is_empty() -> None:
    route = hill_square().route(2, 2)
    assert route is not None and list(route.nodes) == [2] and route.duration_s == 0.0


def test_it_snaps_a_point_to_the_nearest_node() -> None:
    node, distance = hill_square().snap(95.0, 55.0)
    assert node == 3 and distance == pytest.approx(math.hypot(5, 5))


def test_it_routes_between_two_arbitrary_points() -> None:
    route = hill_square().route_between((-3.0, 2.0), (198.0, 1.0))
    assert route is not None and route.nodes[0] == 0 and route.nodes[-1] == 2


def test_it_rejects_an_unknown_edge_kind() -> None:
    with pytest.raises(ValueError, match="escalator"):
        PedestrianGraph([0, 1], [0, 0], [0, 0], [0], [1], None, ["escalator"])


def test_it_rejects_an_edge_to_a_missing_node() -> None:
    with pytest.raises(ValueError, match="outside"):
        PedestrianGraph([0, 1], [0, 0], [0, 0], [0], [5])


def test_it_rejects_an_unknown_origin() -> None:
    with pytest.raises(ValueError, match="not in the graph"):
        hill_square().route(0, 99)


def test_it_finds_the_same_cost_as_networkx_on_the_demo_grid() -> None:
    bench = load_bench()
    graph = bench.build_demo_graph(side=40)
    nxg = bench.to_networkx(graph)
    rng = np.random.default_rng(1)
    for a, b in rng.integers(0, graph.n_nodes, size=(25, 2)).tolist():
        route = graph.route(a, b)
        try:
            expected = nx.dijkstra_path_length(nxg, a, b, weight="time")
        except nx.NetworkXNoPath:
            assert route is None
            continue
        assert route is not None
        assert route.duration_s == pytest.approx(expected, rel=1e-9)
        assert nx.path_weight(nxg, route.nodes.tolist(), weight="time") == pytest.approx(expected, rel=1e-9)


def test_the_demo_grid_has_stairs_and_footpaths() -> None:
    graph = load_bench().build_demo_graph(side=60)
    assert graph.n_nodes == 3600
    src, dst, seconds = graph.directed_edges()
    assert len(src) == len(dst) == len(seconds) and np.all(seconds > 0)
    assert (graph.kinds == 2).any() and (graph.kinds == 1).any() and (graph.kinds == 0).any()
