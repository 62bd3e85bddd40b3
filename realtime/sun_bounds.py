"""Landmark lower bounds (ALT) for the sun search: the cheapest sun cost to and from a few landmarks.

Pure: a PedestrianGraph and its shade layout in, realtime.route_search.Landmarks out. The sun search's
straight-line heuristic ignores the sun, so with a heavy penalty it expands most of the detour's ellipse.
Costing every edge at the least sun it gets over the slots the walk may last (a lower bound of what the
walker pays at any of them) and running one Dijkstra to and one from each landmark gives, by the triangle
inequality, a consistent heuristic that knows which quarters are sunny: the same walk, fewer nodes.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict

import numpy as np
from numba import njit, prange
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from realtime.route_search import SUN_OF_SHADE, Landmarks, PedestrianGraph

N_LANDMARKS = 8  # 16 gave no faster search on the demo city, and cost twice the building time
# How many slots the bounds hold for from the departure's, the fewest that cover the longest the walk may
# last (its time limit: the search's clock never passes it, route_search._astar_sun): the fewer, the less the
# shade moves in them and the sharper the bounds. A few sizes only, so the kept bounds serve many walks.
# Sized by the walk's cost instead (all the search could trust before the time limit, up to four times its
# minutes in full sun for "most"), the demo city's walks needed 3 to 4 hours of bounds or none: blurred by
# the moving shade, they were not worth their lookups towards sunset (17:00 walks went without), and the
# sun search took 1.07x, 1.16x and 1.19x the distance-only route's time at 09:00, 13:00 and 17:00 (summed over
# 200 walks); sized by minutes, 0.59x to 0.69x (p50 0.42x to 0.55x), with bounds worth it at every hour.
HORIZONS = (1, 2, 3, 4, 6, 8, 12, 16)
CACHED = 12  # (departure slot, horizon, penalty) bounds kept: 4.5 MB each on the demo city (35,000 nodes)


@njit(cache=True)
def _dijkstra(indptr, indices, cost, source, out):
    """Cheapest cost from `source` to every node along out-edges costed `cost` (inf: no way), into `out`."""
    n = indptr.shape[0] - 1
    out[:] = np.inf
    closed = np.zeros(n, dtype=np.bool_)
    cap = indices.shape[0] + 1
    heap_f = np.empty(cap, dtype=np.float64)
    heap_n = np.empty(cap, dtype=np.int64)
    out[source] = 0.0
    heap_f[0] = 0.0
    heap_n[0] = source
    size = 1
    while size > 0:
        node = heap_n[0]
        size -= 1
        if size > 0:
            lf = heap_f[size]
            ln = heap_n[size]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= size:
                    break
                if c + 1 < size and heap_f[c + 1] < heap_f[c]:
                    c += 1
                if heap_f[c] >= lf:
                    break
                heap_f[i] = heap_f[c]
                heap_n[i] = heap_n[c]
                i = c
            heap_f[i] = lf
            heap_n[i] = ln
        if closed[node]:
            continue
        closed[node] = True
        d = out[node]
        for e in range(indptr[node], indptr[node + 1]):
            m = indices[e]
            cand = d + cost[e]
            if cand < out[m]:
                out[m] = cand
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) // 2
                    if heap_f[p] <= cand:
                        break
                    heap_f[i] = heap_f[p]
                    heap_n[i] = heap_n[p]
                    i = p
                heap_f[i] = cand
                heap_n[i] = m


@njit(cache=True, parallel=True)
def _landmark_costs(indptr, indices, cost, twin, landmarks, to, back):
    """back[:, k]: cheapest cost from landmark k to each node; to[:, k]: from each node to landmark k.

    Costs to a landmark are a search from it on the reversed graph: the reverse of edge e is twin[e].
    """
    k_count = landmarks.shape[0]
    reverse = cost[twin]
    for job in prange(2 * k_count):
        k = job % k_count
        out = np.empty(indptr.shape[0] - 1)
        if job < k_count:
            _dijkstra(indptr, indices, cost, landmarks[k], out)
            back[:, k] = out
        else:
            _dijkstra(indptr, indices, reverse, landmarks[k], out)
            to[:, k] = out


@njit(cache=True, parallel=True)
def _plan_costs(indptr, indices, lengths, landmarks, out):
    """out[:, k]: shortest plan metres between landmark k and each node (inf: no way)."""
    for k in prange(landmarks.shape[0]):
        column = np.empty(indptr.shape[0] - 1)
        _dijkstra(indptr, indices, lengths, landmarks[k], column)
        out[:, k] = column


def twin_edges(graph: PedestrianGraph) -> np.ndarray:
    """For each directed edge of `graph`, the directed edge walking the same street piece the other way."""
    order = np.argsort(graph.edge_of, kind="stable")  # the two directions of each street piece side by side
    twin = np.empty(len(order), np.int64)
    twin[order[0::2]] = order[1::2]
    twin[order[1::2]] = order[0::2]
    return twin


def pick_landmarks(graph: PedestrianGraph, count: int = N_LANDMARKS) -> np.ndarray:
    """Nodes on the rim of the graph's largest connected part, one per equal angle around its centre.

    Landmarks behind the target as seen from the origin bound best; on a city's street net the rim, spread
    all round, puts one behind almost every target.
    """
    n = graph.n_nodes
    if n == 0:
        return np.zeros(0, np.int64)
    adjacency = coo_matrix((np.ones(len(graph.src)), (graph.src, graph.indices)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=False)
    part = np.flatnonzero(labels == np.bincount(labels).argmax())
    dx = graph.x[part] - graph.x[part].mean()
    dy = graph.y[part] - graph.y[part].mean()
    sector = np.floor((np.arctan2(dy, dx) + math.pi) / (2 * math.pi) * count).astype(np.int64) % count
    radius = np.hypot(dx, dy)
    chosen = []
    for k in range(count):
        inside = np.flatnonzero(sector == k)
        if len(inside):
            chosen.append(int(part[inside[np.argmax(radius[inside])]]))
    return np.unique(np.array(chosen, np.int64))


class SunBounds:
    """Landmark bounds for one graph and shade layout, built per (departure slot, horizon, penalty), kept a while.

    Thread-safe: the route service answers from several threads.
    """

    def __init__(self, graph: PedestrianGraph, slot_shade: np.ndarray) -> None:
        self.graph = graph
        self.slot_shade = slot_shade
        self.landmarks = pick_landmarks(graph)
        self.twin = twin_edges(graph)
        # Shortest plan metres to each landmark (a street piece is as long both ways: one search each). Fixed
        # for the graph, a few milliseconds: the sun search's detour test reads them (route_search._astar_sun).
        self.plan_metres = np.empty((graph.n_nodes, len(self.landmarks)))
        _plan_costs(graph.indptr, graph.indices, np.ascontiguousarray(graph.lengths), self.landmarks, self.plan_metres)
        self._cache: OrderedDict[tuple[int, int, float], Landmarks] = OrderedDict()
        self._lock = threading.Lock()

    def window(self, depart_s: float, duration_s: float, slot_s: float) -> tuple[int, int] | None:
        """First and last slot of the bounds for a departure at `depart_s` (seconds from slot 0) and a walk
        lasting at most `duration_s` seconds (the sun search's time limit); None when no horizon covers it."""
        if not math.isfinite(duration_s):
            return None
        n_slots = self.slot_shade.shape[0]
        lo = min(max(int(depart_s // slot_s), 0), n_slots - 1)  # the slot the search reads at departure
        needed = int((depart_s + duration_s) // slot_s) - lo + 1
        horizon = next((h for h in HORIZONS if h >= needed), None)
        if horizon is None:
            return None
        return lo, min(lo + horizon - 1, n_slots - 1)

    def for_walk(self, depart_s: float, duration_s: float, slot_s: float, penalty: float) -> Landmarks | None:
        """The bounds for a search leaving at `depart_s` (seconds from slot 0) whose walk lasts at most
        `duration_s` seconds (its time limit), with a penalty up to `penalty`; None without landmarks."""
        if not len(self.landmarks) or penalty <= 0:
            return None
        window = self.window(depart_s, duration_s, slot_s)
        if window is None:
            return None
        lo, hi = window
        key = (lo, hi, float(penalty))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        built = self._build(lo, hi, float(penalty))
        with self._lock:
            self._cache[key] = built
            while len(self._cache) > CACHED:
                self._cache.popitem(last=False)
        return built

    def _build(self, lo: int, hi: int, penalty: float) -> Landmarks:
        g = self.graph
        # The most shade each edge gets over the window, as the sun share the search reads for it: the
        # same float32 table and the same operations, so each bound is at most the cost the search adds.
        most_shade = self.slot_shade[lo : hi + 1].max(axis=0)
        least_sun = SUN_OF_SHADE[most_shade].astype(np.float64)
        cost = g.weights * (1.0 + penalty * least_sun)
        k = len(self.landmarks)
        to = np.empty((g.n_nodes, k))
        back = np.empty((g.n_nodes, k))
        _landmark_costs(g.indptr, g.indices, cost, self.twin, self.landmarks, to, back)
        return Landmarks(to, back, penalty, hi)


_bounds: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_bounds_lock = threading.Lock()


def sun_bounds(graph: PedestrianGraph, slot_shade: np.ndarray) -> SunBounds:
    """The SunBounds of `graph` for this very shade layout, made once and kept while the graph lives."""
    with _bounds_lock:
        held = _bounds.get(graph)
        if held is None or held.slot_shade is not slot_shade:
            held = _bounds[graph] = SunBounds(graph, slot_shade)
        return held
