"""Tree crowns cast shade: the exact ray-ellipsoid test against marching along the sun's ray, and by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from realtime.crowns import Crowns, crown_shade


def marched(crowns: Crowns, x, y, z, azimuth_deg, elevation_deg, step=0.05, far=150.0) -> np.ndarray:
    """Brute force: walk each point's ray to the sun in `step` metres and look for a sample inside a crown."""
    a, e = math.radians(azimuth_deg), math.radians(elevation_deg)
    d = np.array([math.sin(a) * math.cos(e), math.cos(a) * math.cos(e), math.sin(e)])
    t = np.arange(0.0, far, step)
    out = np.zeros(len(x), bool)
    for i in range(len(x)):
        px, py, pz = x[i] + t * d[0], y[i] + t * d[1], z[i] + t * d[2]
        mz = (crowns.base_z + crowns.top_z) / 2
        semi = (crowns.top_z - crowns.base_z) / 2
        inside = (
            ((px[:, None] - crowns.x) / crowns.radius) ** 2
            + ((py[:, None] - crowns.y) / crowns.radius) ** 2
            + ((pz[:, None] - mz) / semi) ** 2
        ) <= 1.0
        out[i] = inside.any()
    return out


def test_it_agrees_with_marching_along_the_ray_on_random_trees_and_suns():
    rng = np.random.default_rng(5)
    n_trees = 25
    ground = rng.uniform(0, 8, n_trees)
    base = ground + rng.uniform(1.5, 5, n_trees)
    crowns = Crowns(
        rng.uniform(0, 80, n_trees),
        rng.uniform(0, 80, n_trees),
        base,
        base + rng.uniform(3, 12, n_trees),
        rng.uniform(1.5, 6, n_trees),
    )
    x, y, z = rng.uniform(-20, 100, 200), rng.uniform(-20, 100, 200), rng.uniform(0, 10, 200)
    disagreements = 0
    for az, el in ((180.0, 65.0), (95.0, 20.0), (250.0, 35.0), (300.0, 8.0)):
        exact = crown_shade(crowns, x, y, z, az, el)
        brute = marched(crowns, x, y, z, az, el)
        assert exact.any() and not exact.all()
        # Marching in 5 cm steps can only miss a ray grazing a crown by less than a step.
        disagreements += int((exact != brute).sum())
        assert not (brute & ~exact).any()
    assert disagreements <= 4


def test_the_sun_reaches_the_foot_of_a_tree_under_a_high_crown():
    # A crown 4 to 10 m above flat ground, 3 m across the middle; the sun due south, 45 degrees up.
    crowns = Crowns([0.0], [0.0], [4.0], [10.0], [3.0])
    x = np.array([0.0, 0.0, 0.0, 0.0, 3.5])
    y = np.array([0.0, 7.0, 4.5, 9.5, 7.0])
    shaded = crown_shade(crowns, x, y, np.zeros(5), 180.0, 45.0)
    # By hand, the ray from (0, y0, 0) passes (0, y0 - d, d) and is inside the crown when
    # (y0 - d)^2 + (d - 7)^2 <= 9. Foot (y0 = 0): 2d^2 - 14d + 40 <= 0 has no root, in sun under the crown.
    # y0 = 7 at d = 7: 0, shaded (the shadow of the crown's centre falls 7 m north). y0 = 4.5 at d = 5.75 and
    # y0 = 9.5 at d = 8.25: 3.125, shaded. (3.5, 7) lies 3.5 m across the sun's line, past the 3 m radius: sun.
    assert shaded.tolist() == [False, True, True, True, False]


def test_no_crown_or_no_sun_shades_nothing():
    crowns = Crowns([0.0], [0.0], [4.0], [10.0], [3.0])
    assert not crown_shade(Crowns.none(), [0.0], [7.0], [0.0], 180.0, 45.0).any()
    assert not crown_shade(crowns, [0.0], [7.0], [0.0], 180.0, -2.0).any()


def test_a_crown_needs_a_radius_and_a_top_above_its_base():
    with pytest.raises(ValueError, match="positive radius"):
        Crowns([0.0], [0.0], [10.0], [4.0], [3.0])
    with pytest.raises(ValueError, match="one value per crown"):
        Crowns([0.0, 1.0], [0.0], [4.0], [10.0], [3.0])
