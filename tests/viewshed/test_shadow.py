"""Shadows on the DSM: the sweep against a plain ray cast, cell for cell; sun hours with and without a variant."""

import math

import numpy as np
import pytest

from viewshed.shadow import (
    grid_azimuth,
    shadow_height_at,
    shadow_heights,
    shadow_heights_at_cells,
    shadow_mask,
    sun_hours,
)
from viewshed.surface import Patch


def brute_force_shadow(dsm, cell, azimuth, elevation):
    """Shadow heights by casting one ray per cell, step by step, as the module docstring defines the sun line."""
    rows, cols = dsm.shape
    a = math.radians(azimuth)
    d_col, d_row = math.sin(a), -math.cos(a)
    transposed = abs(d_row) > abs(d_col)
    along, across = (d_row, d_col) if transposed else (d_col, d_row)
    t = across / abs(along)
    sign = 1 if along > 0 else -1
    drop = cell * math.sqrt(1 + t * t) * math.tan(math.radians(elevation))
    n_along, n_across = (rows, cols) if transposed else (cols, rows)
    out = np.full(dsm.shape, -np.inf)
    for i in range(n_across):
        for a0 in range(n_along):
            k0 = n_along - 1 - a0 if sign > 0 else a0  # steps from the sun-side edge
            line = i - math.floor(-k0 * t + 0.5)
            best = -np.inf
            for k in range(k0 - 1, -1, -1):
                across_k = line + math.floor(-k * t + 0.5)
                if not 0 <= across_k < n_across:
                    break
                along_k = n_along - 1 - k if sign > 0 else k
                h = dsm[along_k, across_k] if transposed else dsm[across_k, along_k]
                best = max(best, float(h) + k * drop)
            out[(a0, i) if transposed else (i, a0)] = best - k0 * drop + 0.5 * drop
    return out


@pytest.fixture
def town():
    rng = np.random.default_rng(3)
    dsm = (rng.random((31, 43)) * 2).astype(np.float32)
    for _ in range(12):
        r, c = rng.integers(0, 28), rng.integers(0, 40)
        dsm[r : r + rng.integers(2, 6), c : c + rng.integers(2, 6)] = rng.uniform(6, 25)
    return dsm


@pytest.mark.parametrize(
    "azimuth,elevation",
    [(135, 30), (200, 10), (290, 45), (10, 5), (90, 20), (180, 60), (45, 45), (250.5, 3), (333, 25)],
)
def test_the_sweep_agrees_with_a_ray_cast_from_every_cell(town, azimuth, elevation):
    expected = brute_force_shadow(town, 1.0, azimuth, elevation)
    heights, transposed = shadow_heights(town, 1.0, azimuth, elevation)
    assert np.array_equal(heights.T if transposed else heights, expected)
    r, c = np.indices(town.shape)
    one_by_one = shadow_height_at(town, 1.0, r.ravel(), c.ravel(), azimuth, elevation).reshape(town.shape)
    assert np.array_equal(one_by_one, expected)
    assert shadow_mask(town, 1.0, azimuth, elevation).any()


def test_a_tower_casts_a_shadow_as_long_as_its_height_over_the_tangent_of_the_sun():
    dsm = np.zeros((60, 60), np.float32)
    dsm[28:32, 28:32] = 10.0  # a 10 m tower; sun due south at 45°: 10 m of shadow to its north
    mask = shadow_mask(dsm, 1.0, 180.0, 45.0)
    column = mask[:28, 30]
    assert column[18:28].all() and not column[:17].any()
    assert not mask[33:, :].any()


def test_a_sun_under_the_horizon_leaves_everything_in_shadow():
    dsm = np.zeros((5, 5), np.float32)
    assert shadow_mask(dsm, 1.0, 90.0, -2.0).all()


def test_a_variant_south_of_a_terrace_takes_its_afternoon_sun_away():
    dsm = np.zeros((80, 80), np.float32)
    wall = np.full((6, 40), 30.0, np.float32)  # a 30 m block 10 to 16 m south of the terrace
    variant = Patch(50, 20, wall)
    times = np.arange(6 * 6, 20 * 6)  # every 10 minutes from 06:00 to 20:00 solar time
    hour_angle = (times / 6 - 12) * 15
    azimuth = (180 + hour_angle) % 360
    elevation = 60 * np.cos(np.radians(hour_angle))
    before = sun_hours(dsm, 1.0, 40, 40, azimuth, elevation, 10)
    after = sun_hours(dsm, 1.0, 40, 40, azimuth, elevation, 10, patch=variant)
    assert before == pytest.approx(elevation[elevation > 0].size * 10 / 60)
    # The block stands south: it hides the sun around noon, when it is highest and due south.
    assert 0 < after < before - 2
    burnt = dsm.copy()
    burnt[50:56, 20:60] = 30.0
    assert after == sun_hours(burnt, 1.0, 40, 40, azimuth, elevation, 10)


def test_grid_north_turns_the_true_azimuth():
    assert grid_azimuth(180.0, -3.0) == pytest.approx(177.0)
    assert grid_azimuth(1.0, -3.0) == pytest.approx(358.0)


@pytest.mark.parametrize("azimuth,elevation", [(135, 30), (200, 10), (290, 45), (10, 5), (250.5, 3)])
def test_a_sweep_for_a_few_cells_gives_them_the_full_sweeps_heights(town, azimuth, elevation):
    rng = np.random.default_rng(9)
    rows, cols = rng.integers(0, town.shape[0], 40), rng.integers(0, town.shape[1], 40)
    full, transposed = shadow_heights(town, 1.0, azimuth, elevation)
    some, _ = shadow_heights(town, 1.0, azimuth, elevation, only=(rows, cols))
    pick = (cols, rows) if transposed else (rows, cols)
    assert np.array_equal(some[pick], full[pick])


@pytest.mark.parametrize("azimuth,elevation", [(135, 30), (200, 10), (290, 45), (10, 5), (250.5, 3), (90, 60)])
def test_the_heights_of_chosen_cells_alone_are_the_full_sweeps_to_the_last_bit(town, azimuth, elevation):
    rng = np.random.default_rng(11)
    # Repeated cells and whole runs of one sun line too: a street's samples share cells and lines.
    rows = np.concatenate([rng.integers(0, town.shape[0], 60), [5, 5, 5, 6]])
    cols = np.concatenate([rng.integers(0, town.shape[1], 60), [7, 7, 8, 8]])
    full, transposed = shadow_heights(town, 1.0, azimuth, elevation)
    pick = (cols, rows) if transposed else (rows, cols)
    got = shadow_heights_at_cells(town, 1.0, azimuth, elevation, rows, cols)
    assert np.array_equal(got, full[pick])
    assert np.isinf(shadow_heights_at_cells(town, 1.0, azimuth, -1.0, rows, cols)).all()
