"""Shade-aware walks: the shaded parallel street within the detour, the walker's own clock on each edge."""

import numpy as np
import pytest

from realtime.route_search import PedestrianGraph
from realtime.shade import ShadeTable, graph_key
from realtime.shade_route import ShadePreferenceError, check_preference, shade_walk

SLOTS = 8


def parallel_streets(offset_m: float, climb_m: float = 0.0):
    """A sunny street from A (0, 0) to B (0, 100) and a shaded parallel one `offset_m` to the east.

    The shaded way is 100 + 2 * offset_m long; edges 0-1 are the sunny street, 2-4 the shaded way. With
    `climb_m`, the shaded street climbs that high and a flight of stairs comes down to B.
    """
    x = [0.0, 0.0, offset_m, offset_m]
    y = [0.0, 100.0, 0.0, 100.0]
    u, v = [0, 0, 2, 3], [1, 2, 3, 1]
    graph = PedestrianGraph(x, y, [0.0, 0.0, 0.0, climb_m], u, v, kind=[0, 0, 0, 2])
    shares = np.zeros((4, SLOTS))
    shares[1:, :] = 1.0  # the east street and its two links are in shade all day
    table = ShadeTable.from_shares(shares, np.datetime64("2026-07-14T12:00:00"), 15, graph_key(x, y, u, v), "t")
    return graph, table


@pytest.mark.parametrize("preference", ["some", "most"])
def test_it_takes_the_shaded_parallel_street_when_it_is_at_most_20_percent_longer(preference):
    graph, table = parallel_streets(9.0)  # 118 m against 100 m
    walk = shade_walk(graph, 0, 1, table, graph.slot_shade(table.shade), 0.0, preference)
    assert list(walk.route.nodes) == [0, 2, 3, 1]
    assert walk.detour == pytest.approx(0.18)
    assert walk.shade_share(graph.lengths[walk.route.edges]) == pytest.approx(1.0)


def test_it_keeps_the_sunny_street_when_the_shaded_one_is_40_percent_longer():
    graph, table = parallel_streets(20.0)  # 140 m against 100 m
    walk = shade_walk(graph, 0, 1, table, graph.slot_shade(table.shade), 0.0, "most")
    assert list(walk.route.nodes) == [0, 1]
    assert walk.detour == 0.0
    assert walk.shade_share(graph.lengths[walk.route.edges]) == 0.0
    wider = shade_walk(graph, 0, 1, table, graph.slot_shade(table.shade), 0.0, "most", max_detour=0.5)
    assert list(wider.route.nodes) == [0, 2, 3, 1]


def test_the_detour_holds_for_the_minutes_too():
    # 18 % longer in metres, but climbing 12 m and coming down a flight of stairs: about twice the minutes.
    graph, table = parallel_streets(9.0, climb_m=12.0)
    walk = shade_walk(graph, 0, 1, table, graph.slot_shade(table.shade), 0.0, "most")
    assert list(walk.route.nodes) == [0, 1]
    slower = shade_walk(graph, 0, 1, table, graph.slot_shade(table.shade), 0.0, "most", max_detour=1.2)
    assert list(slower.route.nodes) == [0, 2, 3, 1]
    assert 1.9 < slower.route.duration_s / slower.fastest.duration_s < 2.2


def test_without_a_preference_it_walks_the_shortest_way():
    graph, table = parallel_streets(9.0)
    walk = shade_walk(graph, 0, 1, table, graph.slot_shade(table.shade), 0.0, "none")
    assert list(walk.route.nodes) == [0, 1]


def test_the_shade_of_each_edge_is_read_when_the_walker_gets_there():
    # One long street of 10 edges of 100 m: shaded from the second slot (15 min) on.
    n = 11
    x, y = [0.0] * n, [100.0 * i for i in range(n)]
    u, v = list(range(n - 1)), list(range(1, n))
    graph = PedestrianGraph(x, y, [0.0] * n, u, v)
    shares = np.zeros((n - 1, SLOTS))
    shares[:, 1:] = 1.0
    table = ShadeTable.from_shares(shares, np.datetime64("2026-07-14T12:00:00"), 15, graph_key(x, y, u, v), "t")
    walk = shade_walk(graph, 0, n - 1, table, graph.slot_shade(table.shade), 10 * 60.0, "none")
    # Leaving 10 min into the first slot at ~1.4 m/s: the first ~420 m are walked in sun, the rest in shade.
    sunny = np.flatnonzero(walk.edge_shade == 0.0)
    assert list(sunny) == list(range(len(sunny))) and 3 <= len(sunny) <= 5
    assert walk.edge_shade[-1] == 1.0


def test_it_refuses_an_unknown_preference_or_detour():
    assert check_preference(None, None) == ("none", 0.2)
    assert check_preference("Most", "0.3") == ("most", 0.3)
    with pytest.raises(ShadePreferenceError, match="none, some, most"):
        check_preference("lots", None)
    with pytest.raises(ShadePreferenceError, match="between 0 and 2"):
        check_preference("some", 5)
