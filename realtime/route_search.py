"""Pedestrian shortest paths by walking time on a slope-aware graph (numba A*)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.spatial import cKDTree

__all__ = [
    "EDGE_KINDS",
    "FLAT_SPEED_M_S",
    "Landmarks",
    "PedestrianGraph",
    "Route",
    "STAIRS_DOWN_M_S",
    "STAIRS_UP_M_S",
    "tobler_speed",
    "walking_times",
]

EDGE_KINDS = ("street", "footpath", "stairs")
STREET, FOOTPATH, STAIRS = 0, 1, 2

# Tobler's hiking function, v = 6 exp(-3.5 |s + 0.05|) km/h, peaks slightly downhill
# (s = -0.05) and gives 5.04 km/h on the flat — a sound urban walking pace.
TOBLER_PEAK_M_S = 6.0 / 3.6
FLAT_SPEED_M_S = TOBLER_PEAK_M_S * math.exp(-3.5 * 0.05)
# Tobler is fitted on trails and collapses on stair-steep slopes (0.15 km/h at 45°),
# so flights of stairs are timed by the climb instead: about 0.3 m/s of height going up
# and 0.4 m/s going down for an adult (Fruin's stair flow speeds, ~0.5-0.7 m/s along the
# pitch of a 30-35° stair), and never faster than walking their plan length on the flat.
STAIRS_UP_M_S = 0.3
STAIRS_DOWN_M_S = 0.4


def tobler_speed(slope: np.ndarray | float) -> np.ndarray | float:
    """Walking speed in m/s for a slope given as rise over run (dimensionless, signed)."""
    return TOBLER_PEAK_M_S * np.exp(-3.5 * np.abs(np.asarray(slope) + 0.05))


def walking_times(z_from: np.ndarray, z_to: np.ndarray, length: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Seconds to walk each edge from ``z_from`` to ``z_to`` (metres) over ``length`` plan metres.

    ``length`` is the horizontal length in metres of the projected CRS; the
    slope is the height difference over it. ``kind`` holds codes 0 street,
    1 footpath, 2 stairs.
    """
    dz = np.asarray(z_to, dtype=np.float64) - np.asarray(z_from, dtype=np.float64)
    length = np.asarray(length, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(length > 0, dz / np.where(length > 0, length, 1.0), 0.0)
    time = np.where(length > 0, length / tobler_speed(slope), 0.0)
    climb = np.where(dz > 0, dz / STAIRS_UP_M_S, -dz / STAIRS_DOWN_M_S)
    stairs = np.maximum(climb, length / FLAT_SPEED_M_S)
    return np.where(np.asarray(kind) == STAIRS, stairs, time)


@dataclass(frozen=True, slots=True)
class Route:
    """A walk: node ids, plan length in metres, duration in seconds, and (distance m, z m) profile."""

    nodes: np.ndarray
    length_m: float
    duration_s: float
    profile: np.ndarray  # shape (k, 2): cumulative plan distance, node elevation
    edges: np.ndarray | None = None  # directed edge ids walked, in order (PedestrianGraph.edge_of maps them)
    arrival_s: np.ndarray | None = None  # seconds from departure at each node


@njit(cache=True)
def _astar(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    rate: float,
    source: int,
    target: int,
) -> tuple[float, np.ndarray]:
    n = indptr.shape[0] - 1
    g = np.full(n, np.inf)
    pred_edge = np.full(n, -1, dtype=np.int64)
    closed = np.zeros(n, dtype=np.bool_)
    cap = indices.shape[0] + 1
    heap_f = np.empty(cap, dtype=np.float64)
    heap_n = np.empty(cap, dtype=np.int64)
    size = 0
    tx = x[target]
    ty = y[target]
    g[source] = 0.0
    heap_f[0] = rate * math.hypot(x[source] - tx, y[source] - ty)
    heap_n[0] = source
    size = 1
    while size > 0:
        node = heap_n[0]
        size -= 1
        # pop: move the last item to the root and sift it down. The heap is written out in each search (here, in
        # _astar_sun and in sun_bounds._dijkstra) on purpose: shared @njit(inline="always") functions measured
        # 15 % slower on the route bench (p50 0.496 against 0.426 ms, same machine, same minute).
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
        if node == target:
            break
        gn = g[node]
        for e in range(indptr[node], indptr[node + 1]):
            m = indices[e]
            if closed[m]:
                continue
            cand = gn + weights[e]
            if cand < g[m]:
                g[m] = cand
                pred_edge[m] = e
                f = cand + rate * math.hypot(x[m] - tx, y[m] - ty)
                # push with sift-up; stale entries are skipped when popped (lazy deletion)
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) // 2
                    if heap_f[p] <= f:
                        break
                    heap_f[i] = heap_f[p]
                    heap_n[i] = heap_n[p]
                    i = p
                heap_f[i] = f
                heap_n[i] = m
    return g[target], pred_edge


@njit(cache=True)
def _walk_back(pred_edge: np.ndarray, src: np.ndarray, origin: int, destination: int) -> np.ndarray:
    """The directed edges from origin to destination, following each node's predecessor edge back."""
    # Written in numba: the same loop in Python read numpy scalars at about 1 us an edge (0.5 ms for a
    # 493-edge walk across the demo city, a fifth of the search itself).
    count = 0
    node = destination
    while node != origin:
        node = src[pred_edge[node]]
        count += 1
    edges = np.empty(count, dtype=np.int64)
    node = destination
    for i in range(count - 1, -1, -1):
        e = pred_edge[node]
        edges[i] = e
        node = src[e]
    return edges


# The sun share of each stored shade byte, computed in float32 exactly as ShadeTable.sun_shares does, so a
# search reading bytes through this table weighs every edge as one reading the float table would.
SUN_OF_SHADE = (1.0 - np.arange(256, dtype=np.float32) / 255).astype(np.float32)


@njit(cache=True)
def _astar_sun(
    indptr,
    indices,
    weights,
    lengths,
    shade,
    sun_of_shade,
    t0,
    slot_s,
    penalty,
    max_len,
    max_clock,
    x,
    y,
    rate,
    source,
    target,
    lm_to,
    lm_from,
    scale,
    slot_hi,
    plan_lm,
):
    """A* on walking time plus `penalty` times the time spent in direct sun, the sun read at the walker's clock.

    shade[slot, e]: shade byte (255 = all in shade) of directed edge e, in the search's edge order, so a node's
    edges are read side by side in one slot's row, which stays in cache while the search reads it;
    sun_of_shade maps a byte to its sun share. The walker reaches a node at t0 plus the walking time of the
    best path so far (seconds from slot 0), and the edge's slot is taken then. A node whose path length so
    far plus its straight distance to the target exceeds `max_len` metres is never entered, nor one whose clock
    plus the least time to walk that straight distance (`rate` seconds a metre) passes `max_clock`: the detour
    limit, in metres and in minutes, bounds the search to an ellipse around the fastest walk and the walker's
    clock to the slots up to `max_clock`'s.

    Landmarks (ALT) sharpen the straight-line heuristic: lm_to[n, k] / lm_from[n, k] are the cheapest costs from
    node n to landmark k and back on lower bounds of the sun cost valid for slots up to `slot_hi`, the landmarks
    used those with finite costs both ways at the target (no columns: the straight line alone). Scaled by `scale`
    (<= 1, for a smaller penalty than the bounds were built with) they stay a consistent heuristic as long as
    every edge the search weighs, and every one Dijkstra would weigh before reaching the target, is walked at a
    slot up to `slot_hi`. No clock passes `max_clock`, and clocks run no faster than costs, so that holds when
    the earlier of `max_clock` and the departure plus the target's cost falls in those slots; the search gives
    up (third value True) when it does not, or when it expands a node past them, and the caller runs it again
    without landmarks.

    plan_lm[n, k]: shortest plan metres between node n and landmark k (no columns: none). By the triangle
    inequality |plan_lm[m, k] - plan_lm[target, k]| is at most the plan length left from m, often far more than
    the straight line where streets wind round a hill or a harbour: the detour test then takes the larger.
    """
    # The heap's pop and push are written out again here, as in _astar, on purpose: moved into two shared
    # numba functions (even inline="always") the distance-only search ran 10 % slower (0.76 -> 0.85 ms p50, same
    # costs, 300 pairs on bench/routes.py's grid).
    # Per relaxed edge this reads one byte next to the previous edge's; the straight distance (the detour test
    # and the heuristic share it), clock, plan length and predecessor only when a label improves, so the last
    # three need no fill. Against reading float sun shares through edge_of and computing the
    # distance twice: 1.36 -> 0.75 ms p50 on the demo city at 13:00 (same costs on all 200 pairs).
    n = indptr.shape[0] - 1
    n_slots = shade.shape[0]
    g = np.full(n, np.inf)
    clock = np.empty(n)
    plen = np.empty(n)
    pred_edge = np.empty(n, dtype=np.int64)
    closed = np.zeros(n, dtype=np.bool_)
    cap = indices.shape[0] + 1
    heap_f = np.empty(cap, dtype=np.float64)
    heap_n = np.empty(cap, dtype=np.int64)
    # The landmarks that reach the target both ways, and the target's costs to and from them: picked here
    # rather than by five numpy calls per search in sun_route.
    cols = np.empty(lm_to.shape[1], dtype=np.int64)
    t_to = np.empty(lm_to.shape[1])
    t_from = np.empty(lm_to.shape[1])
    n_lm = 0
    for k in range(lm_to.shape[1]):
        a = lm_to[target, k]
        b = lm_from[target, k]
        if np.isfinite(a) and np.isfinite(b):
            cols[n_lm] = k
            t_to[n_lm] = a
            t_from[n_lm] = b
            n_lm += 1
    # The plan-length landmarks that reach the target, and its distances to them.
    pcols = np.empty(plan_lm.shape[1], dtype=np.int64)
    p_t = np.empty(plan_lm.shape[1])
    n_plm = 0
    for k in range(plan_lm.shape[1]):
        a = plan_lm[target, k]
        if np.isfinite(a):
            pcols[n_plm] = k
            p_t[n_plm] = a
            n_plm += 1
    tx = x[target]
    ty = y[target]
    g[source] = 0.0
    clock[source] = t0
    plen[source] = 0.0
    pred_edge[source] = -1
    heap_f[0] = rate * math.hypot(x[source] - tx, y[source] - ty)
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
        if node == target:
            break
        gn = g[node]
        cn = clock[node]
        pn = plen[node]
        slot = int(cn // slot_s)
        if slot < 0:
            slot = 0
        elif slot >= n_slots:
            slot = n_slots - 1
        if slot > slot_hi:
            return np.inf, pred_edge, True
        row = shade[slot]
        for e in range(indptr[node], indptr[node + 1]):
            m = indices[e]
            if closed[m]:
                continue
            w = weights[e]
            cand = gn + w * (1.0 + penalty * sun_of_shade[row[e]])
            # The detour tests only where the label would improve: a relaxation that does not is dropped either
            # way, and most do not (the same walks, a straight distance saved on each).
            if cand < g[m]:
                nl = pn + lengths[e]
                eu = math.hypot(x[m] - tx, y[m] - ty)
                if nl + eu > max_len or cn + w + rate * eu > max_clock:
                    continue
                if n_plm > 0:
                    left = eu
                    for j in range(n_plm):
                        d = abs(plan_lm[m, pcols[j]] - p_t[j])
                        if d > left:
                            left = d
                    if nl + left > max_len:
                        continue
                g[m] = cand
                plen[m] = nl
                clock[m] = cn + w
                pred_edge[m] = e
                h = rate * eu
                if n_lm > 0:
                    # ALT: the triangle inequality through each landmark, both ways round.
                    best = 0.0
                    for j in range(n_lm):
                        k = cols[j]
                        a = lm_to[m, k] - t_to[j]
                        if a > best:
                            best = a
                        b = t_from[j] - lm_from[m, k]
                        if b > best:
                            best = b
                    best *= scale
                    if best > h:
                        h = best
                f = cand + h
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) // 2
                    if heap_f[p] <= f:
                        break
                    heap_f[i] = heap_f[p]
                    heap_n[i] = heap_n[p]
                    i = p
                heap_f[i] = f
                heap_n[i] = m
    # Every node expanded or labelled so far was reached by t0 plus at most the target's cost (a second costs
    # at least a second), and by max_clock: when the earlier still falls in the bounds' slots, they held for
    # every edge that counted.
    if n_lm > 0 and g[target] < np.inf and int(min(t0 + g[target], max_clock) // slot_s) > slot_hi:
        return g[target], pred_edge, True
    return g[target], pred_edge, False


@njit(cache=True)
def _walk_shade(edges, arrival_s, shade, t0, slot_s):
    """Shade share (0..1) of each edge of a walk leaving at t0, read from a slot_shade layout at the walker's
    clock.

    One compiled pass for what ShadeTable.shade_at gave in a few numpy calls (about 25 us of the shade walk's
    0.1 ms of Python): the same byte, clamped slot and division for each share.
    """
    n_slots = shade.shape[0]
    out = np.empty(edges.shape[0])
    for i in range(edges.shape[0]):
        slot = int((t0 + arrival_s[i]) // slot_s)
        if slot < 0:
            slot = 0
        elif slot >= n_slots:
            slot = n_slots - 1
        out[i] = np.float64(shade[slot, edges[i]]) / 255.0
    return out


@dataclass(frozen=True)
class Landmarks:
    """Landmark costs bounding the sun cost from below, for a sun search's ALT heuristic (realtime.sun_bounds).

    to[n, k] / back[n, k]: cheapest cost from node n to landmark k and from landmark k to n, each edge costed
    at the least sun it gets over the slots up to `slot_hi` with `penalty`; inf where there is no way.
    """

    to: np.ndarray
    back: np.ndarray
    penalty: float
    slot_hi: int


_NO_LANDMARKS = (np.zeros((1, 0)), np.zeros((1, 0)))
_NO_PLAN_LANDMARKS = np.zeros((1, 0))
_NO_SLOT_LIMIT = 2**62


class PedestrianGraph:
    """A walkable network in a projected CRS (metres), searched by walking time.

    Edges are walkable both ways; the two directions get different times
    because uphill is slower than downhill.
    """

    def __init__(
        self,
        x: Sequence[float] | np.ndarray,
        y: Sequence[float] | np.ndarray,
        z: Sequence[float] | np.ndarray,
        u: Sequence[int] | np.ndarray,
        v: Sequence[int] | np.ndarray,
        length: Sequence[float] | np.ndarray | None = None,
        kind: Sequence[str] | Sequence[int] | np.ndarray | None = None,
    ) -> None:
        """Build from node arrays x/y/z (metres, projected CRS; z above the datum) and edge arrays.

        ``length`` is each edge's plan length in metres (defaults to the
        straight distance between its nodes); ``kind`` is "street",
        "footpath" or "stairs" (or codes 0/1/2), street by default.
        """
        self.x = np.ascontiguousarray(x, dtype=np.float64)
        self.y = np.ascontiguousarray(y, dtype=np.float64)
        self.z = np.ascontiguousarray(z, dtype=np.float64)
        n = len(self.x)
        if not (len(self.y) == len(self.z) == n):
            raise ValueError("x, y and z must have one value per node")
        u_a = np.asarray(u, dtype=np.int64)
        v_a = np.asarray(v, dtype=np.int64)
        if len(u_a) != len(v_a):
            raise ValueError("u and v must have one value per edge")
        if len(u_a) and (min(u_a.min(), v_a.min()) < 0 or max(u_a.max(), v_a.max()) >= n):
            raise ValueError("an edge refers to a node id outside 0..n-1")
        straight = np.hypot(self.x[v_a] - self.x[u_a], self.y[v_a] - self.y[u_a])
        length_a = straight if length is None else np.asarray(length, dtype=np.float64)
        if len(length_a) != len(u_a) or np.any(length_a < 0) or not np.all(np.isfinite(length_a)):
            raise ValueError("length must be one finite, non-negative value per edge")
        kind_a = _kind_codes(kind, len(u_a))
        self.n_nodes = n
        self.edge_u, self.edge_v = u_a, v_a
        src = np.concatenate([u_a, v_a])
        dst = np.concatenate([v_a, u_a])
        lengths = np.concatenate([length_a, length_a])
        kinds = np.concatenate([kind_a, kind_a])
        times = walking_times(self.z[src], self.z[dst], lengths, kinds)
        order = np.argsort(src, kind="stable")
        self.src = src[order]
        self.indices = dst[order]
        self.weights = np.ascontiguousarray(times[order])
        self.lengths = lengths[order]
        self.kinds = kinds[order]
        # The undirected edge (index into the input u, v) each directed edge walks: shade is per street piece.
        self.edge_of = np.ascontiguousarray(order % max(len(u_a), 1), dtype=np.int64)
        self.indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.src, minlength=n), out=self.indptr[1:])
        # A* needs a lower bound on time per metre of straight-line distance that no edge beats;
        # taking it from the edges themselves keeps the heuristic consistent whatever the data.
        euclid = np.hypot(self.x[self.indices] - self.x[self.src], self.y[self.indices] - self.y[self.src])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.where(euclid > 0, self.weights / euclid, np.inf)
        self.rate = float(min(ratios.min(initial=np.inf), 1.0 / TOBLER_PEAK_M_S)) if len(ratios) else 0.0
        self._tree: cKDTree | None = None

    def directed_edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(from, to, seconds) of every directed edge, as searched."""
        return self.src, self.indices, self.weights

    def route(self, origin: int, destination: int) -> Route | None:
        """Fastest walk between two node ids, or None when they are not connected."""
        for node in (origin, destination):
            if not 0 <= node < self.n_nodes:
                raise ValueError(f"node {node} is not in the graph (0..{self.n_nodes - 1})")
        cost, pred_edge = _astar(
            self.indptr, self.indices, self.weights, self.x, self.y, self.rate, origin, destination
        )
        if not math.isfinite(cost):
            return None
        return self._unwind(origin, destination, pred_edge)

    def slot_shade(self, shade: np.ndarray) -> np.ndarray:
        """A shade table laid out for `sun_route`: uint8 (n slots, n directed edges) in the search's edge order.

        shade: uint8 (n undirected edges, n slots), the edges in the order of the u, v arrays the graph was
        built from (ShadeTable.shade). Two days of 15-minute slots on the demo city: 14 MB.
        """
        shade = np.asarray(shade)
        if shade.dtype != np.uint8 or shade.ndim != 2 or shade.shape[0] != len(self.edge_u):
            raise ValueError(f"shade must be uint8 (edges, slots) with one row per edge ({len(self.edge_u)})")
        return np.ascontiguousarray(shade[self.edge_of].T)

    def walk_shade(self, route: Route, shade: np.ndarray, t0_s: float, slot_s: float) -> np.ndarray:
        """Shade share of each edge of `route` at the walker's clock leaving at t0_s; shade:
        `slot_shade(table.shade)` with `slot_s`-second slots."""
        return _walk_shade(route.edges, route.arrival_s, shade, float(t0_s), float(slot_s))

    def sun_route(
        self,
        origin: int,
        destination: int,
        shade: np.ndarray,
        t0_s: float,
        slot_s: float,
        penalty: float,
        max_length_m: float = math.inf,
        landmarks: Landmarks | None = None,
        plan_landmarks: np.ndarray | None = None,
        max_duration_s: float = math.inf,
    ) -> Route | None:
        """The walk minimising time plus `penalty` x the time in direct sun, or None when none is found.

        shade: `slot_shade(...)` of a shade table, each directed edge's shade byte (255 = all in shade) per
        slot of `slot_s` seconds; t0_s: departure, seconds from slot 0. Penalty 0 gives the fastest walk.
        Only walks no longer than `max_length_m` plan metres, and taking no more than `max_duration_s` seconds,
        are searched; the bounds prune by each node's best walk so far, so a longer but sunnier way to a node
        can hide a feasible one: None then.
        landmarks: lower bounds guiding the search (same walk, fewer nodes expanded); built for this shade
        layout, departure slot and a penalty up to `penalty`'s preference (realtime.sun_bounds); a time limit
        lets them hold for its slots only, the sharper for it.
        plan_landmarks: shortest plan metres from each node to a few landmarks (n nodes, k), sharpening the detour
        test past the straight line (realtime.sun_bounds.SunBounds.plan_metres).
        """
        for node in (origin, destination):
            if not 0 <= node < self.n_nodes:
                raise ValueError(f"node {node} is not in the graph (0..{self.n_nodes - 1})")
        if shade.dtype != np.uint8 or shade.ndim != 2 or shade.shape[1] != len(self.indices):
            raise ValueError("shade must be slot_shade(...) of a table of this graph: uint8 (slots, directed edges)")
        guide, scale, slot_hi = _NO_LANDMARKS, 1.0, _NO_SLOT_LIMIT
        plan = _NO_PLAN_LANDMARKS
        if plan_landmarks is not None and math.isfinite(max_length_m):
            if plan_landmarks.ndim != 2 or plan_landmarks.shape[0] != self.n_nodes:
                raise ValueError(f"plan_landmarks must hold one row per node ({self.n_nodes})")
            plan = plan_landmarks
        if landmarks is not None and penalty > 0:
            guide = (landmarks.to, landmarks.back)
            # Each edge's cost w (1 + p s) is at least (1 + p) / (1 + P) times its cost with the bounds' P >= p.
            scale = min(1.0, (1.0 + penalty) / (1.0 + landmarks.penalty))
            slot_hi = landmarks.slot_hi
        max_clock = float(t0_s) + float(max_duration_s)
        cost, pred_edge, gave_up = self._sun_search(
            origin, destination, shade, t0_s, slot_s, penalty, max_length_m, max_clock, guide, scale, slot_hi, plan
        )
        if gave_up:  # the walk outlasted the slots the landmarks hold for: without them then
            cost, pred_edge, _ = self._sun_search(
                origin,
                destination,
                shade,
                t0_s,
                slot_s,
                penalty,
                max_length_m,
                max_clock,
                _NO_LANDMARKS,
                1.0,
                _NO_SLOT_LIMIT,
                plan,
            )
        if not math.isfinite(cost):
            return None
        return self._unwind(origin, destination, pred_edge)

    def _sun_search(
        self, origin, destination, shade, t0_s, slot_s, penalty, max_length_m, max_clock, guide, scale, slot_hi, plan
    ):
        return _astar_sun(
            self.indptr,
            self.indices,
            self.weights,
            self.lengths,
            shade,
            SUN_OF_SHADE,
            float(t0_s),
            float(slot_s),
            float(penalty),
            float(max_length_m),
            max_clock,
            self.x,
            self.y,
            self.rate,
            origin,
            destination,
            *guide,
            float(scale),
            int(slot_hi),
            plan,
        )

    def _unwind(self, origin: int, destination: int, pred_edge: np.ndarray) -> Route:
        edge_idx = _walk_back(pred_edge, self.src, origin, destination)
        nodes = np.concatenate([[origin], self.indices[edge_idx]]).astype(np.int64)
        dist = np.concatenate([[0.0], np.cumsum(self.lengths[edge_idx])])
        arrival = np.concatenate([[0.0], np.cumsum(self.weights[edge_idx])])
        profile = np.column_stack([dist, self.z[nodes]])
        return Route(nodes, float(dist[-1]), float(arrival[-1]), profile, edge_idx, arrival)

    def snap(self, x: float, y: float) -> tuple[int, float]:
        """Nearest node to a point (metres, the graph's projected CRS) and its distance in metres."""
        if self._tree is None:
            self._tree = cKDTree(np.column_stack([self.x, self.y]))
        distance, node = self._tree.query([x, y])
        return int(node), float(distance)

    def route_between(self, start: tuple[float, float], end: tuple[float, float]) -> Route | None:
        """Fastest walk between the nodes nearest two (x, y) points in the graph's CRS (metres)."""
        return self.route(self.snap(*start)[0], self.snap(*end)[0])


def _kind_codes(kind: Sequence[str] | Sequence[int] | np.ndarray | None, count: int) -> np.ndarray:
    if kind is None:
        return np.zeros(count, dtype=np.int8)
    arr = np.asarray(kind)
    if len(arr) != count:
        raise ValueError("kind must have one value per edge")
    if arr.dtype.kind in "iu":
        if count and (arr.min() < 0 or arr.max() >= len(EDGE_KINDS)):
            raise ValueError(f"kind codes must be 0..{len(EDGE_KINDS) - 1} ({', '.join(EDGE_KINDS)})")
        return arr.astype(np.int8)
    codes = {name: i for i, name in enumerate(EDGE_KINDS)}
    try:
        return np.array([codes[str(k)] for k in arr], dtype=np.int8)
    except KeyError as exc:
        raise ValueError(f"edge kind {exc.args[0]!r} is not one of {', '.join(EDGE_KINDS)}") from None
