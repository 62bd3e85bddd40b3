"""The level-of-detail core: parents keep their subtree's heaviest features; their errors bound what they miss."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from tiles.lod import plan_parents, significance, simplify_footprints, size_first, tolerance_for
from tiles.quadtree import build_quadtree


def _city(n: int, seed: int = 3):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 4000, n)
    y = rng.uniform(0, 4000, n)
    height = rng.uniform(3, 60, n)
    area = rng.uniform(40, 900, n)
    return x, y, height, area


def test_each_parent_keeps_the_heaviest_features_of_its_subtree_within_budget():
    x, y, height, area = _city(5000)
    tree = build_quadtree(x, y, 100, bounds=(0, 0, 4096, 4096))
    weight = significance(area, height)
    plans = plan_parents(tree.root, weight, height, 150)
    internal = [n for n in tree.root.walk() if not n.is_leaf]
    assert set(plans) == {n.key for n in internal}
    for node in internal:
        below = np.concatenate([leaf.features for leaf in node.walk() if leaf.is_leaf])
        plan = plans[node.key]
        keep = min(150, -(-len(below) // 4))
        assert len(plan.features) == keep, "a quarter of the subtree, at most the budget"
        assert np.all(np.diff(plan.features) > 0), "ascending, no repeats"
        expected = below[np.lexsort((below, -weight[below]))[:keep]]
        assert set(plan.features.tolist()) == set(expected.tolist())
        left_out = np.setdiff1d(below, plan.features)
        assert plan.omitted_size == (height[left_out].max() if left_out.size else 0.0)


def test_a_parents_error_bounds_what_it_misses_and_exceeds_its_childrens():
    x, y, height, area = _city(5000, seed=5)
    tree = build_quadtree(x, y, 100, bounds=(0, 0, 4096, 4096))
    plans = plan_parents(tree.root, significance(area, height), height, 150, error_factor=1.0, min_error=10.0)
    for key, plan in plans.items():
        node = tree.node(key)
        side = 4096 / 2 ** (len(key) - 1)
        assert plan.tolerance == tolerance_for(node.bounds[2] - node.bounds[0]) == pytest.approx(side / 1024)
        assert plan.geometric_error >= plan.omitted_size + plan.tolerance
        for child in node.children:
            child_error = plans[child.key].geometric_error if child.key in plans else 0.0
            assert child_error < plan.geometric_error


def test_keeping_the_largest_first_gives_each_parent_the_smallest_error_its_budget_allows():
    # Mostly low houses and a few towers, as in a real town: a parent that keeps the towers and the long halls
    # first leaves out only small buildings, so the client can show it from closer in, instead of its children.
    rng = np.random.default_rng(11)
    n = 6000
    x, y = rng.uniform(0, 4000, n), rng.uniform(0, 4000, n)
    height = np.where(rng.uniform(size=n) < 0.85, rng.uniform(5, 9, n), rng.uniform(12, 60, n))
    area = rng.uniform(40, 900, n)
    tree = build_quadtree(x, y, 100, bounds=(0, 0, 4096, 4096))
    by_volume = plan_parents(tree.root, significance(area, height), height, 150)
    by_size = plan_parents(tree.root, size_first(height, significance(area, height)), height, 150)
    for key, plan in by_size.items():
        below = np.concatenate([leaf.features for leaf in tree.node(key).walk() if leaf.is_leaf])
        keep = len(plan.features)
        # The same budget, and the error still bounds everything the parent leaves out.
        assert keep == len(by_volume[key].features)
        left_out = np.setdiff1d(below, plan.features)
        assert plan.omitted_size == (height[left_out].max() if left_out.size else 0.0)
        assert plan.geometric_error <= by_volume[key].geometric_error
    errors = np.array([[by_size[k].geometric_error, by_volume[k].geometric_error] for k in by_size])
    assert np.median(errors[:, 0]) < 0.5 * np.median(errors[:, 1]), "far smaller for a town of low houses"


def test_size_first_orders_by_size_then_by_the_tie_breaker():
    weight = size_first(np.array([5.0, 9.0, 9.0, 1.0]), np.array([0.0, 1.0, 2.0, 50.0]))
    assert list(np.argsort(-weight)) == [2, 1, 0, 3]


def test_the_plan_is_deterministic_and_ties_go_to_the_lower_index():
    x = np.array([10.0, 20.0, 3000.0, 3010.0, 500.0])
    y = np.array([10.0, 20.0, 3000.0, 3010.0, 2500.0])
    weight = np.ones(5)
    tree = build_quadtree(x, y, 2, bounds=(0, 0, 4096, 4096))
    first = plan_parents(tree.root, weight, np.full(5, 9.0), 3, thinning=1)
    again = plan_parents(tree.root, weight, np.full(5, 9.0), 3, thinning=1)
    assert first["r"].features.tolist() == again["r"].features.tolist() == [0, 1, 2]
    assert first["r"].omitted_size == 9.0


def test_a_budget_or_thinning_below_one_is_refused():
    tree = build_quadtree(np.array([0.0, 1.0]), np.array([0.0, 1.0]), 1)
    with pytest.raises(ValueError, match="budget"):
        plan_parents(tree.root, np.ones(2), np.ones(2), 0)
    with pytest.raises(ValueError, match="thinning"):
        plan_parents(tree.root, np.ones(2), np.ones(2), 5, thinning=0)


def test_simplified_footprints_stay_within_the_tolerance_and_are_solid():
    # A 40 m block with a 0.3 m notch and a wavy side, a 0.2 m shed, and a zero-area sliver.
    wavy = (
        [(0, 0), (40, 0)]
        + [(40 + 0.2 * (i % 2), 2 * i) for i in range(1, 20)]
        + [(40, 40), (0, 40), (0, 20.3), (0.3, 20.3), (0.3, 20), (0, 20), (0, 0)]
    )
    block = shapely.Polygon(wavy)
    shed = shapely.MultiPolygon([shapely.box(100, 100, 100.2, 100.2)])
    courtyard = shapely.MultiPolygon([shapely.box(200, 0, 260, 60).difference(shapely.box(220, 20, 240, 40))])
    out = simplify_footprints(np.array([block, shed, courtyard], dtype=object), 1.0)
    assert all(g.geom_type == "MultiPolygon" and g.is_valid and g.area > 0 for g in out)
    assert shapely.get_num_coordinates(out[0]) < shapely.get_num_coordinates(block) / 3
    for before, after in zip([block, shed, courtyard], out):
        assert before.hausdorff_distance(after) <= 1.0 + 1e-9
    assert len(out[2].geoms[0].interiors) == 1, "a courtyard wider than the tolerance stays open"


def test_features_a_parent_may_not_draw_only_count_as_left_out_and_coarse_ones_as_their_loss():
    # Pipes (drawable, their sleeve left out when drawn coarsely) among manholes (never in a parent).
    rng = np.random.default_rng(11)
    n = 600
    x, y = rng.uniform(0, 4000, n), rng.uniform(0, 4000, n)
    drawable = rng.random(n) < 0.7
    weight = np.where(drawable, rng.uniform(1, 100, n), 1e9)  # a heavy manhole still stays out
    size = np.where(drawable, rng.uniform(1, 5, n), rng.uniform(1, 8, n))
    coarse = np.where(drawable, size, 0.0)
    tree = build_quadtree(x, y, 40, bounds=(0, 0, 4096, 4096))
    plans = plan_parents(tree.root, weight, size, 30, drawable=drawable, coarse_size=coarse)
    for key, plan in plans.items():
        below = np.concatenate([leaf.features for leaf in tree.node(key).walk() if leaf.is_leaf])
        pipes = below[drawable[below]]
        assert drawable[plan.features].all() and set(plan.features.tolist()) <= set(pipes.tolist())
        keep = min(30, -(-len(below) // 4), len(pipes))
        assert len(plan.features) == keep
        expected = pipes[np.lexsort((pipes, -weight[pipes]))[:keep]]
        assert set(plan.features.tolist()) == set(expected.tolist())
        left_out = np.setdiff1d(below, plan.features)
        worst = max(size[left_out].max() if left_out.size else 0.0, coarse[plan.features].max(initial=0.0))
        assert plan.omitted_size == worst
        assert plan.geometric_error >= worst + plan.tolerance
