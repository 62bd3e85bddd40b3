"""The shade search against plain references: networkx for the fastest walk, a heapq Dijkstra for the sun's.

The numba search is an A* with a straight-line heuristic, written for speed; the reference below is the
rule it implements, written for reading: label-setting by cost (walking seconds plus the penalty times the
seconds in direct sun, the sun read at each node's clock), a node never entered when its walk so far plus
its straight distance to the target exceeds the detour limit in metres, or when its clock plus the least
time to walk that straight distance passes the limit in minutes. With a consistent heuristic A* closes every
node with the same label as Dijkstra, so both must give the same walk on any graph without exact ties
(random coordinates make ties vanishingly unlikely).
"""

from __future__ import annotations

import heapq
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime.route_search import PedestrianGraph
from realtime.shade import ShadeTable, graph_key
from realtime.shade_route import PREFERENCES, RETRIES, shade_walk
from realtime.sun_bounds import SunBounds

SLOT_S = 900.0


def reference_sun_route(
    graph: PedestrianGraph, source, target, sun, t0, penalty, max_len, plan_lm=None, max_duration=math.inf
):
    """Dijkstra by sun cost, returning the directed edges walked, or None.

    max_duration: the longest the walk may take (seconds); graph.rate is the fewest seconds a straight metre
    can take.

    plan_lm: plan metres from each node to a few landmarks; the length left from a node is then at least the
    largest gap between its distance and the target's to one landmark, when that beats the straight line.
    """
    src, dst, weights = graph.directed_edges()
    out: dict[int, list[int]] = {}
    for e, a in enumerate(src.tolist()):
        out.setdefault(a, []).append(e)
    tx, ty = graph.x[target], graph.y[target]
    marks = [] if plan_lm is None else [k for k in range(plan_lm.shape[1]) if math.isfinite(plan_lm[target, k])]

    def length_left(m):
        straight = math.hypot(graph.x[m] - tx, graph.y[m] - ty)
        return max([straight] + [abs(plan_lm[m, k] - plan_lm[target, k]) for k in marks])

    g = {source: 0.0}
    clock = {source: t0}
    plen = {source: 0.0}
    pred: dict[int, int] = {}
    closed = set()
    heap = [(0.0, source)]
    while heap:
        cost, node = heapq.heappop(heap)
        if node in closed:
            continue
        closed.add(node)
        if node == target:
            break
        slot = min(max(int(clock[node] // SLOT_S), 0), sun.shape[0] - 1)
        for e in out.get(node, []):
            m = int(dst[e])
            if m in closed:
                continue
            nl = plen[node] + graph.lengths[e]
            if nl + length_left(m) > max_len:
                continue
            w = weights[e]
            if clock[node] + w + graph.rate * math.hypot(graph.x[m] - tx, graph.y[m] - ty) > t0 + max_duration:
                continue
            cand = cost + w * (1.0 + penalty * float(sun[slot, graph.edge_of[e]]))
            if cand < g.get(m, math.inf):
                g[m], plen[m], clock[m], pred[m] = cand, nl, clock[node] + w, e
                heapq.heappush(heap, (cand, m))
    if target not in closed:
        return None
    edges = []
    node = target
    while node != source:
        edges.append(pred[node])
        node = int(src[pred[node]])
    return edges[::-1]


def reference_shade_walk(graph, source, target, table, sun, t0, preference, max_detour):
    """(nodes of the fastest walk, nodes of the chosen walk, penalty used) by the rule shade_walk documents."""
    src, dst, weights = graph.directed_edges()
    nxg = nx.DiGraph()
    nxg.add_nodes_from(range(graph.n_nodes))
    nxg.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), weights.tolist()), weight="time")
    try:
        fastest = nx.dijkstra_path(nxg, source, target, weight="time")
    except nx.NetworkXNoPath:
        return None
    edge_id = {(int(a), int(b)): e for e, (a, b) in enumerate(zip(src, dst))}
    fastest_edges = [edge_id[p] for p in zip(fastest, fastest[1:])]
    length = float(sum(graph.lengths[e] for e in fastest_edges))
    arrival = np.concatenate([[0.0], np.cumsum([weights[e] for e in fastest_edges])])
    shade = table.shade_at(graph.edge_of[fastest_edges], t0 + arrival[:-1])
    penalty = PREFERENCES[preference]
    if (shade >= 1.0).all() or penalty == 0:
        return fastest, fastest, 0.0
    limit = length * (1.0 + max_detour) + 1e-6
    time_limit = float(arrival[-1]) * (1.0 + max_detour) + 1e-6
    plan_lm = SunBounds(graph, graph.slot_shade(table.shade)).plan_metres
    for _ in range(RETRIES + 1):
        edges = reference_sun_route(graph, source, target, sun, t0, penalty, limit, plan_lm, time_limit)
        walked = sum(weights[e] for e in edges) if edges is not None else math.inf
        if edges is not None and sum(graph.lengths[e] for e in edges) <= limit and walked <= time_limit:
            return fastest, [source] + [int(dst[e]) for e in edges], penalty
        penalty /= 2.0
    return fastest, fastest, 0.0


@st.composite
def shaded_graphs(draw):
    """A random street graph (metres) with hills, a random shade table of 8 slots, and a question."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(4, 60))
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 600, n), rng.uniform(0, 600, n)
    z = rng.uniform(0, 25, n)
    # Each node joins a few of its nearest neighbours: a street-like planar-ish mesh, sometimes split in two.
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    pairs = {tuple(sorted((i, int(j)))) for i in range(n) for j in np.argsort(d[i])[1 : 1 + rng.integers(1, 4)]}
    u, v = (list(t) for t in zip(*sorted(pairs)))
    # Streets wind: a plan length up to 40 % over the straight line, and a few stairs.
    length = np.hypot(x[v] - x[u], y[v] - y[u]) * rng.uniform(1.0, 1.4, len(u))
    kind = rng.choice([0, 0, 0, 1, 2], len(u))
    graph = PedestrianGraph(x, y, z, u, v, length, kind)
    shares = rng.choice([0.0, 0.3, 1.0], size=(len(u), 8)) * rng.uniform(0.5, 1.0, size=(len(u), 8))
    table = ShadeTable.from_shares(shares, np.datetime64("2026-07-14T10:00:00"), 15, graph_key(x, y, u, v), "t")
    a, b = (int(k) for k in rng.integers(0, n, 2))
    t0 = float(rng.uniform(0, 8 * SLOT_S))
    preference = draw(st.sampled_from(["none", "some", "most"]))
    detour = draw(st.sampled_from([0.0, 0.1, 0.2, 0.5]))
    return graph, table, a, b, t0, preference, detour


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shaded_graphs())
def test_the_shade_walk_is_the_one_the_reference_finds(case):
    graph, table, a, b, t0, preference, detour = case
    sun = table.sun_shares()
    walk = shade_walk(graph, a, b, table, graph.slot_shade(table.shade), t0, preference, detour)
    expected = reference_shade_walk(graph, a, b, table, sun, t0, preference, detour)
    if expected is None:
        assert walk is None
        return
    fastest, chosen, penalty = expected
    assert list(walk.fastest.nodes) == fastest
    assert list(walk.route.nodes) == chosen
    assert walk.penalty == penalty
    assert walk.edge_shade is not None and len(walk.edge_shade) == len(chosen) - 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shaded_graphs())
def test_without_sun_the_sun_search_is_the_fastest_walk(case):
    graph, table, a, b, t0, _, _ = case
    all_shade = np.full_like(table.shade, 255)
    found = graph.sun_route(a, b, graph.slot_shade(all_shade), t0, SLOT_S, 3.0)
    fastest = graph.route(a, b)
    assert (found is None) == (fastest is None)
    if fastest is not None:
        assert list(found.nodes) == list(fastest.nodes)
        assert math.isclose(found.duration_s, fastest.duration_s, rel_tol=1e-12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shaded_graphs(), st.sampled_from([3.0, 1.5, 0.75, 6.0]), st.sampled_from([0, 1, 8]), st.booleans(), st.booleans()
)
def test_landmarks_guide_the_sun_search_to_the_walk_the_reference_finds(case, penalty, horizon, plan, timed):
    # Bounds built for "most" (3) also guide the lighter retries, scaled; 6 exceeds what they were built
    # for and needs no scaling. A horizon of 0 or 1 slot makes most walks outlast it: the search gives up
    # on the landmarks and runs again without them. The answer must not change either way. With the plan
    # length landmarks or without, the detour test the reference makes with the same lengths. With a time
    # limit or without: within the bounds' slots it is what lets them hold for a walk costing more.
    graph, table, a, b, t0, _, detour = case
    sun = table.sun_shares()
    layout = graph.slot_shade(table.shade)
    bounds = SunBounds(graph, layout)
    lo = min(int(t0 // SLOT_S), layout.shape[0] - 1)
    landmarks = bounds._build(lo, min(lo + horizon, layout.shape[0] - 1), 3.0)
    fastest = graph.route(a, b)
    limit = math.inf if fastest is None else fastest.length_m * (1.0 + detour) + 1e-6
    plan_lm = bounds.plan_metres if plan else None
    duration = math.inf if fastest is None or not timed else fastest.duration_s * (1.0 + detour) + 1e-6
    found = graph.sun_route(a, b, layout, t0, SLOT_S, penalty, limit, landmarks, plan_lm, duration)
    expected = reference_sun_route(graph, a, b, sun, t0, penalty, limit, plan_lm, duration)
    assert (found is None) == (expected is None)
    if expected is not None:
        assert list(found.edges) == expected


def test_bounds_for_fewer_slots_than_the_walk_lasts_never_change_the_walk():
    # S (0) to T (3): the fastest way by b (1) walks in some sun; the way by a (2), 17 % longer, is shaded
    # but for a -> T, sunny in the first slot and shaded from the second, when the walker gets there. Bounds
    # built for the first slot alone see a -> T sunny: past them, the search must not trust them.
    x, y = [0.0, 10.0, 100.0, 200.0], [0.0, 0.0, 60.0, 0.0]
    u, v = [0, 1, 0, 2], [1, 3, 2, 3]
    graph = PedestrianGraph(x, y, [0.0] * 4, u, v)
    shares = np.ones((4, 8))  # all in shade...
    shares[[0, 1], :] = 0.6  # ...but the way by b, in sun for 40 % all day,
    shares[3, 0] = 0.0  # and a -> T in the first slot
    table = ShadeTable.from_shares(shares, np.datetime64("2026-07-14T10:00:00"), 15, graph_key(x, y, u, v), "t")
    layout = graph.slot_shade(table.shade)
    bounds = SunBounds(graph, layout)
    assert 3 in bounds.landmarks.tolist()
    landmarks = bounds._build(0, 0, 3.0)
    fastest = graph.route(0, 3)
    assert list(fastest.nodes) == [0, 1, 3]
    limit, duration = fastest.length_m * 1.2, fastest.duration_s * 1.2
    t0 = 850.0  # leaving 50 s before the second slot: b in the first, a in the second
    expected = reference_sun_route(graph, 0, 3, table.sun_shares(), t0, 3.0, limit, None, duration)
    assert [int(graph.indices[e]) for e in expected] == [2, 3]
    for time_limit in (duration, math.inf):
        found = graph.sun_route(0, 3, layout, t0, SLOT_S, 3.0, limit, landmarks, None, time_limit)
        assert list(found.nodes) == [0, 2, 3]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shaded_graphs())
def test_plan_metres_are_the_shortest_plan_lengths_to_each_landmark(case):
    graph, table, _, _, _, _, _ = case
    bounds = SunBounds(graph, graph.slot_shade(table.shade))
    src, dst, _ = graph.directed_edges()
    nxg = nx.Graph()
    nxg.add_nodes_from(range(graph.n_nodes))
    nxg.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), graph.lengths.tolist()), weight="m")
    for k, mark in enumerate(bounds.landmarks.tolist()):
        truth = nx.single_source_dijkstra_path_length(nxg, mark, weight="m")
        for node in range(graph.n_nodes):
            assert bounds.plan_metres[node, k] == pytest.approx(truth.get(node, math.inf), rel=1e-12)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shaded_graphs())
def test_landmark_costs_never_exceed_the_cheapest_sun_cost_at_any_slot_of_their_window(case):
    graph, table, _, _, _, _, _ = case
    layout = graph.slot_shade(table.shade)
    bounds = SunBounds(graph, layout)
    landmarks = bounds._build(2, 5, 3.0)
    src, dst, weights = graph.directed_edges()
    sun = table.sun_shares()
    for slot in range(2, 6):
        nxg = nx.DiGraph()
        nxg.add_nodes_from(range(graph.n_nodes))
        cost = weights * (1.0 + 3.0 * sun[slot, graph.edge_of].astype(np.float64))
        nxg.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), cost.tolist()), weight="c")
        for k, mark in enumerate(bounds.landmarks.tolist()):
            back = nx.single_source_dijkstra_path_length(nxg, mark, weight="c")
            to = nx.single_source_dijkstra_path_length(nxg.reverse(), mark, weight="c")
            for node in range(graph.n_nodes):
                assert landmarks.back[node, k] <= back.get(node, math.inf) + 1e-9
                assert landmarks.to[node, k] <= to.get(node, math.inf) + 1e-9
                assert math.isfinite(landmarks.back[node, k]) == (node in back)
