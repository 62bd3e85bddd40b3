"""The quadtree: bounded leaves, deterministic stable keys, feature-to-tile lookups."""

from __future__ import annotations

import numpy as np
import pytest

from tiles.quadtree import aligned_root_bounds, build_quadtree


def _city(n: int = 20000, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Centroids in Lambert-93 metres around Antibes: a dense core and a sparse outskirt."""
    rng = np.random.default_rng(seed)
    core = rng.normal([1_040_000.0, 6_280_000.0], 400.0, size=(n // 2, 2))
    outskirts = rng.uniform([1_035_000.0, 6_275_000.0], [1_045_000.0, 6_285_000.0], size=(n - n // 2, 2))
    pts = np.vstack([core, outskirts])
    return pts[:, 0], pts[:, 1]


def test_every_feature_lands_in_exactly_one_leaf_of_bounded_size():
    x, y = _city()
    tree = build_quadtree(x, y, max_features=1000)
    leaves = tree.leaves()
    members = np.concatenate([leaf.features for leaf in leaves])
    assert np.array_equal(np.sort(members), np.arange(x.size))
    assert max(leaf.count for leaf in leaves) <= 1000
    for leaf in leaves:
        xmin, ymin, xmax, ymax = leaf.bounds
        fx, fy = x[leaf.features], y[leaf.features]
        assert ((fx >= xmin) & (fx <= xmax) & (fy >= ymin) & (fy <= ymax)).all()
        assert leaf.content_bounds == (fx.min(), fy.min(), fx.max(), fy.max())


def test_children_lie_inside_their_parents_and_keys_extend_the_parent_key():
    x, y = _city(5000)
    tree = build_quadtree(x, y, max_features=300)
    for node in tree.root.walk():
        for child in node.children:
            assert child.key[:-1] == node.key and child.key[-1] in "0123"
            assert node.bounds[0] <= child.bounds[0] and child.bounds[2] <= node.bounds[2]
            assert node.bounds[1] <= child.bounds[1] and child.bounds[3] <= node.bounds[3]
        if node.children:
            assert node.count == sum(c.count for c in node.children)


def test_the_same_input_gives_the_same_tiles():
    x, y = _city(8000)
    a = build_quadtree(x, y, max_features=500)
    b = build_quadtree(x.copy(), y.copy(), max_features=500)
    assert a.leaf_keys == b.leaf_keys
    assert all(np.array_equal(la.features, lb.features) for la, lb in zip(a.leaves(), b.leaves()))


def test_feature_indices_map_to_the_keys_of_their_tiles():
    x, y = _city(6000)
    tree = build_quadtree(x, y, max_features=400)
    keys = tree.keys_of(np.array([0, 17, 5999]))
    for index, key in zip([0, 17, 5999], keys):
        assert index in tree.node(key).features
    assert tree.locate(x[[0, 17, 5999]], y[[0, 17, 5999]]) == keys


def test_a_new_feature_is_located_in_the_tile_to_rebuild():
    x, y = _city(6000)
    tree = build_quadtree(x, y, max_features=400)
    leaf = tree.leaves()[3]
    cx = 0.5 * (leaf.content_bounds[0] + leaf.content_bounds[2])
    cy = 0.5 * (leaf.content_bounds[1] + leaf.content_bounds[3])
    assert tree.locate(cx, cy) == [leaf.key]
    assert tree.locate(0.0, 0.0) == ["r"]


def test_the_root_cell_is_snapped_so_a_small_addition_keeps_the_keys():
    x, y = _city(3000)
    bounds = aligned_root_bounds(x, y)
    side = bounds[2] - bounds[0]
    assert side == bounds[3] - bounds[1] and np.log2(side) == int(np.log2(side))
    assert bounds[0] % (side / 16) == 0 and bounds[1] % (side / 16) == 0
    inside = (bounds[0] + 1.0, bounds[1] + 1.0)
    assert aligned_root_bounds(np.append(x, inside[0]), np.append(y, inside[1])) == bounds
    before = build_quadtree(x, y, max_features=10_000, bounds=bounds)
    assert before.leaf_keys == ["r"]


def test_crowded_identical_centroids_stop_at_max_depth():
    x = np.full(50, 100.0)
    y = np.full(50, 200.0)
    tree = build_quadtree(x, y, max_features=10, max_depth=6)
    (leaf,) = tree.leaves()
    assert leaf.count == 50 and leaf.depth == 6


def test_it_rejects_centroids_outside_the_given_root():
    with pytest.raises(ValueError, match="outside the given root bounds"):
        build_quadtree(np.array([5.0]), np.array([5.0]), bounds=(0.0, 0.0, 1.0, 1.0))


def test_data_straddling_a_power_of_two_grid_line_still_gets_a_root():
    # Lambert-93 x = 2**20 m runs right through the Antibes area.
    x = np.array([1_048_000.0, 1_049_500.0, -10.0 + 2**20])
    y = np.array([-300.0, 400.0, 0.0])
    xmin, ymin, xmax, ymax = aligned_root_bounds(x, y)
    assert xmin <= x.min() and x.max() < xmax and ymin <= y.min() and y.max() < ymax
    assert xmax - xmin == ymax - ymin <= 4096.0
