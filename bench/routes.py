"""Benchmark pedestrian route search (numba A*) against networkx Dijkstra on a hilly 40,000-node grid."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from realtime.route_search import PedestrianGraph  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "routes.json"


def build_demo_graph(side: int = 200, spacing_m: float = 25.0, seed: int = 7) -> PedestrianGraph:
    """A deterministic side x side street grid (metres, local projected CRS) on two hills.

    Some cells get a diagonal footpath, 6 % of edges are removed (blocks,
    dead ends), and edges steeper than 15 % become stairs — a rough stand-in
    for Antibes' old town climbing to the ramparts.
    """
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = (jj * spacing_m).ravel().astype(np.float64)
    y = (ii * spacing_m).ravel().astype(np.float64)
    extent = side * spacing_m
    hill = 60.0 * np.exp(-(((x - 0.35 * extent) ** 2 + (y - 0.4 * extent) ** 2) / (2 * (0.12 * extent) ** 2)))
    hill += 35.0 * np.exp(-(((x - 0.75 * extent) ** 2 + (y - 0.7 * extent) ** 2) / (2 * (0.08 * extent) ** 2)))
    z = hill + rng.normal(0.0, 0.3, size=x.shape)
    node = np.arange(side * side).reshape(side, side)
    u = [node[:, :-1].ravel(), node[:-1, :].ravel()]
    v = [node[:, 1:].ravel(), node[1:, :].ravel()]
    diagonal = rng.random((side - 1, side - 1)) < 0.15
    u.append(node[:-1, :-1][diagonal])
    v.append(node[1:, 1:][diagonal])
    u_a, v_a = np.concatenate(u), np.concatenate(v)
    keep = rng.random(len(u_a)) >= 0.06
    u_a, v_a = u_a[keep], v_a[keep]
    length = np.hypot(x[v_a] - x[u_a], y[v_a] - y[u_a])
    slope = np.abs(z[v_a] - z[u_a]) / length
    kind = np.where(slope > 0.15, 2, np.where(length > spacing_m * 1.01, 1, 0))
    return PedestrianGraph(x, y, z, u_a, v_a, length, kind)


def to_networkx(graph: PedestrianGraph) -> nx.DiGraph:
    src, dst, seconds = graph.directed_edges()
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), seconds.tolist()), weight="time")
    return g


def main(pairs: int = 200, seed: int = 11) -> dict[str, float]:
    graph = build_demo_graph()
    nxg = to_networkx(graph)
    rng = np.random.default_rng(seed)
    od = rng.integers(0, graph.n_nodes, size=(pairs, 2))
    graph.route(0, 1)  # compile (or load the numba cache) outside the timing
    ours, theirs, mismatches, unreachable = [], [], 0, 0
    for a, b in od.tolist():
        t0 = time.perf_counter()
        route = graph.route(a, b)
        ours.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        try:
            path = nx.dijkstra_path(nxg, a, b, weight="time")
            cost = nx.path_weight(nxg, path, weight="time")
        except nx.NetworkXNoPath:
            cost = None
        theirs.append((time.perf_counter() - t0) * 1000)
        if cost is None or route is None:
            unreachable += 1
            mismatches += (cost is None) != (route is None)
        elif abs(cost - route.duration_s) > 1e-6 * max(1.0, cost):
            mismatches += 1
    result = {
        "nodes": graph.n_nodes,
        "directed_edges": int(len(graph.indices)),
        "pairs": pairs,
        "p50_ms": round(float(np.percentile(ours, 50)), 3),
        "p95_ms": round(float(np.percentile(ours, 95)), 3),
        "networkx_p50_ms": round(float(np.percentile(theirs, 50)), 3),
        "networkx_p95_ms": round(float(np.percentile(theirs, 95)), 3),
        "cost_mismatches": mismatches,
        "unreachable_pairs": unreachable,
    }
    print(f"graph: {result['nodes']} nodes, {result['directed_edges']} directed edges, {pairs} O/D pairs")
    print(f"{'search':<28}{'p50 ms':>10}{'p95 ms':>10}")
    print(f"{'numba A* (ours)':<28}{result['p50_ms']:>10.3f}{result['p95_ms']:>10.3f}")
    print(f"{'networkx dijkstra_path':<28}{result['networkx_p50_ms']:>10.3f}{result['networkx_p95_ms']:>10.3f}")
    print(f"same cost on all pairs: {mismatches == 0} (mismatches {mismatches}, unreachable {unreachable})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
