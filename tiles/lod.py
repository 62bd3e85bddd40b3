"""Level of detail of a feature quadtree: which features a parent tile keeps, how coarsely, and what that costs.

A parent tile (REPLACE refinement) stands for its whole subtree until the camera comes close enough for its
children: it draws the most significant features of the subtree, coarsened by a tolerance tied to its cell size,
and its geometric error bounds what is missing (the tallest feature left out) plus that tolerance.
Pure: arrays in, arrays out, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from tiles.quadtree import QuadNode

__all__ = ["ParentPlan", "plan_parents", "significance", "size_first", "simplify_footprints", "tolerance_for"]

# A parent's footprints are simplified to 1/1024 of its cell side: 16 m for a 16 km city root, 0.5 m at 512 m.
TOLERANCE_DIVISOR = 1024.0


def significance(area: np.ndarray, height: np.ndarray) -> np.ndarray:
    """How much a feature shows from afar: footprint area (m²) times height (m), a volume in m³."""
    return np.asarray(area, np.float64) * np.maximum(np.asarray(height, np.float64), 0.0)


def size_first(size: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """Weights for plan_parents that keep the largest features first (size descending, then tie descending).

    A parent's error is the largest size it leaves out, so keeping the largest sizes first lowers it (it picks
    from its children's selections, so not always the subtree's exact minimum): the parent then stands in for
    its children from closer in.
    """
    order = np.lexsort((-np.asarray(tie, np.float64), -np.asarray(size, np.float64)))
    weight = np.empty(order.size, np.float64)
    weight[order] = np.arange(order.size, 0, -1, dtype=np.float64)
    return weight


def tolerance_for(cell_side: float) -> float:
    """Plan simplification tolerance (metres) of a parent tile whose quadtree cell is cell_side metres wide."""
    return float(cell_side) / TOLERANCE_DIVISOR


@dataclass
class ParentPlan:
    """The content of one internal quadtree node.

    features: indices (ascending) of the features it draws, at most the budget.
    tolerance: metres (storage CRS) its footprints may move when simplified.
    omitted_size: metres, the largest size (height) of the subtree's features it leaves out; 0 if none.
    geometric_error: metres; bounds what the tile leaves out or moves, strictly above its children's.
    """

    key: str
    features: np.ndarray
    tolerance: float
    omitted_size: float
    geometric_error: float


def plan_parents(
    root: QuadNode,
    weight: np.ndarray,
    size: np.ndarray,
    budget: int,
    *,
    thinning: int = 4,
    error_factor: float = 1.0,
    min_error: float = 0.0,
    drawable: np.ndarray | None = None,
    coarse_size: np.ndarray | None = None,
) -> dict[str, ParentPlan]:
    """Plan the content of every internal node of a quadtree, bottom-up.

    weight: (n,) significance of each feature (larger is kept first; ties go to the lower index).
    size: (n,) metres, what a feature costs when it is not drawn (a building's height).
    budget: the most features a parent draws.
    thinning: a parent draws at most 1/thinning of its subtree's features. With the quadtree's 4, a parent
        weighs about one of its children, so the ancestors a client loads on its way down to the leaves
        cost little, and a parent never merely repeats its children.
    A parent keeps the top min(budget, ⌈count / thinning⌉) features of its subtree by weight, taken from
    its children's own selections (the top of a subtree is always within the tops of its parts), so each
    level costs O(4 × budget).
    drawable: (n,) bool, the features a parent may draw (default all); the others (a network's manholes) only
        ever count as left out.
    coarse_size: (n,) metres, what a parent still leaves out of a feature it draws coarsely (a pipe's
        uncertainty sleeve); default 0. It counts in omitted_size like a feature left out.
    Error: max(min_error, error_factor × omitted_size) + tolerance; since a parent omits
    everything its children omit and its tolerance is twice theirs, it always exceeds its children's.
    """
    if budget < 1 or thinning < 1:
        raise ValueError("budget and thinning must be at least 1")
    weight = np.asarray(weight, np.float64)
    size = np.asarray(size, np.float64)
    drawable = np.ones(size.shape, bool) if drawable is None else np.asarray(drawable, bool)
    coarse_size = np.zeros(size.shape) if coarse_size is None else np.asarray(coarse_size, np.float64)
    plans: dict[str, ParentPlan] = {}

    def visit(node: QuadNode) -> tuple[np.ndarray, float, float]:
        """(features drawn at this node, omitted size, geometric error); a leaf offers its parent the
        features it may draw and, as omitted, the largest of those it may not."""
        if node.is_leaf:
            features = np.asarray(node.features if node.features is not None else np.zeros(0), np.int64)
            never = features[~drawable[features]]
            return features[drawable[features]], float(size[never].max()) if never.size else 0.0, 0.0
        parts = [visit(child) for child in node.children if child.count]
        candidates = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        omitted = max((p[1] for p in parts), default=0.0)
        keep = min(budget, -(-node.count // thinning))
        if candidates.size > keep:
            order = np.lexsort((candidates, -weight[candidates]))
            dropped = candidates[order[keep:]]
            candidates = candidates[order[:keep]]
            omitted = max(omitted, float(size[dropped].max()))
        selected = np.sort(candidates)
        if selected.size:
            omitted = max(omitted, float(coarse_size[selected].max()))
        tolerance = tolerance_for(node.bounds[2] - node.bounds[0])
        error = max(min_error, error_factor * omitted) + tolerance
        child_error = max((p[2] for p in parts), default=0.0)
        if error <= child_error:  # only reachable with a non-monotone error_factor or cell sizes
            error = float(np.nextafter(child_error, np.inf))
        plans[node.key] = ParentPlan(node.key, selected, tolerance, omitted, error)
        return selected, omitted, error

    visit(root)
    return plans


def simplify_footprints(footprints: np.ndarray, tolerance: float) -> np.ndarray:
    """Coarser MultiPolygons for a parent tile, every one still a valid, non-empty solid base.

    footprints: (n,) shapely (Multi)Polygons, metres in a projected CRS; tolerance in the same metres.
    Douglas-Peucker keeps topology and moves no point further than the tolerance; a footprint it would
    empty or break (one smaller than the tolerance) keeps its oriented bounding rectangle instead, which
    moves no point further than the footprint's own width.
    """
    footprints = np.asarray(footprints, dtype=object)
    if not footprints.size:
        return footprints
    simple = shapely.simplify(footprints, tolerance, preserve_topology=True)
    rectangle = shapely.oriented_envelope(footprints)
    bad = shapely.is_empty(simple) | ~shapely.is_valid(simple) | (shapely.area(simple) <= 0)
    bad &= shapely.get_type_id(rectangle) == 3  # a degenerate footprint's envelope is a line: keep the simplified one
    simple = np.where(bad, rectangle, simple)
    single = shapely.get_type_id(simple) == 3
    out = np.empty(len(simple), dtype=object)
    out[:] = [shapely.MultiPolygon([g]) if s else g for g, s in zip(simple, single)]
    return out
