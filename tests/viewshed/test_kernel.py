"""The viewshed kernel against GDAL itself, the exact line of sight, and geometry."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from viewshed.gdal_reference import gdal_version, gdal_viewshed
from viewshed.kernel import STANDARD_REFRACTION, viewshed, viewshed_with_heights
from viewshed.metrics import exact_viewshed


def city(rows: int, cols: int, seed: int) -> np.ndarray:
    """Rolling hills with box buildings, metres, 1 m cells."""
    rng = np.random.default_rng(seed)
    dsm = gaussian_filter(rng.random((rows, cols)), 8) * 400.0
    for _ in range(rows * cols // 300):
        r, c = rng.integers(0, rows), rng.integers(0, cols)
        h, w = rng.integers(3, 18, 2)
        dsm[r : r + h, c : c + w] += rng.uniform(3.0, 40.0)
    return dsm.astype(np.float32)


def test_the_reference_is_gdal_3_6() -> None:
    assert gdal_version().startswith("3.6")


CASES = [
    # (rows, cols, seed, observer row, observer col, observer height, target height)
    (151, 173, 1, 75, 86, 1.7, 0.0),  # centre
    (151, 173, 2, 2, 170, 1.7, 0.0),  # near a corner
    (120, 90, 3, 119, 40, 10.0, 1.5),  # on the southern edge
    (200, 200, 4, 0, 0, 1.7, 0.0),  # in a corner
    (64, 257, 5, 30, 3, 1.7, 2.0),  # near the western edge, wide window
]


@pytest.mark.parametrize(("rows", "cols", "seed", "orow", "ocol", "oh", "th"), CASES)
def test_it_matches_gdal_on_every_cell(
    rows: int, cols: int, seed: int, orow: int, ocol: int, oh: float, th: float
) -> None:
    dsm = city(rows, cols, seed)
    ours = viewshed(dsm, orow, ocol, oh, th)
    assert np.array_equal(ours, gdal_viewshed(dsm, orow, ocol, oh, th))


def test_it_matches_gdal_from_a_rooftop() -> None:
    dsm = city(180, 180, 6)
    dsm[80:100, 80:100] += 25.0
    ours = viewshed(dsm, 90, 90, 1.7)
    assert np.array_equal(ours, gdal_viewshed(dsm, 90, 90, 1.7))
    assert ours.mean() < 0.9  # the roof edge hides the street below


@pytest.mark.parametrize("cell_size", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("max_distance", [None, 60.0, 0.5])
def test_it_matches_gdal_with_range_and_curvature(cell_size: float, max_distance: float | None) -> None:
    dsm = city(161, 149, 7)
    args = (dsm, 70, 80, 1.7, 0.5, max_distance, cell_size, STANDARD_REFRACTION)
    assert np.array_equal(viewshed(*args), gdal_viewshed(*args))


@pytest.mark.parametrize(
    ("orow", "ocol", "max_distance", "curvature"),
    [
        (300, 420, None, 0.0),  # row wedges longer than one block of transposed rings, both ways
        (620, 35, 380.0, 0.0),  # the range ends inside blocks: cells past it stay 0
        (40, 600, 250.0, STANDARD_REFRACTION),
    ],
)
def test_it_matches_gdal_on_a_window_wider_than_a_block(
    orow: int, ocol: int, max_distance: float | None, curvature: float
) -> None:
    dsm = city(650, 700, 11)
    args = (dsm, orow, ocol, 1.7, 0.0, max_distance, 1.0, curvature)
    assert np.array_equal(viewshed(*args), gdal_viewshed(*args))


def test_it_matches_gdal_over_many_random_observers() -> None:
    rng = np.random.default_rng(8)
    for _ in range(40):
        rows, cols = rng.integers(2, 90, 2)
        dsm = (rng.random((rows, cols)) * 30).astype(np.float32)
        orow, ocol = int(rng.integers(0, rows)), int(rng.integers(0, cols))
        th = float(rng.choice([0.0, 1.5]))
        md = [None, 20.0][int(rng.integers(0, 2))]
        cc = float(rng.choice([0.0, STANDARD_REFRACTION]))
        args = (dsm, orow, ocol, 1.7, th, md, 1.0, cc)
        assert np.array_equal(viewshed(*args), gdal_viewshed(*args)), args[1:]


def test_it_is_close_to_the_exact_line_of_sight() -> None:
    dsm = city(81, 81, 9)
    exact = exact_viewshed(dsm, 40, 40, 1.7)
    ours = viewshed(dsm, 40, 40, 1.7)
    gdal = gdal_viewshed(dsm, 40, 40, 1.7)
    # Both are approximations of the exact sight line: GDAL interpolates
    # between neighbours, R3 walks prisms. Same numbers for both by design.
    assert (ours == exact).mean() == (gdal == exact).mean()
    assert (ours == exact).mean() > 0.85


def test_a_flat_plane_is_seen_everywhere_within_range() -> None:
    dsm = np.full((101, 101), 12.0, dtype=np.float32)
    vis = viewshed(dsm, 50, 50, 1.7, max_distance=40.0)
    rr, cc = np.mgrid[:101, :101]
    inside = (rr - 50) ** 2 + (cc - 50) ** 2 <= 40**2
    assert vis[inside].all()
    assert not vis[~inside].any()


def test_a_wall_hides_the_ground_behind_it() -> None:
    # Eye 2 m above flat ground, a 6 m wall 10 cells east: on the line of the
    # observer row, ground beyond the wall is hidden until the sight line over
    # the wall top (slope 4 m over 10 cells) would reach the ground, never.
    dsm = np.zeros((41, 81), dtype=np.float32)
    dsm[:, 30] = 6.0
    vis = viewshed(dsm, 20, 20, 2.0)
    assert vis[20, 21:31].all()
    assert not vis[20, 31:].any()
    # A 10 m mast behind the wall shows where its top clears the wall: the
    # sight line over the wall rises 0.4 m per cell beyond 10 cells.
    dsm[20, 60] = 10.0  # 40 cells out: line height 2 + 4 * 40 / 10 = 18 m > 10
    dsm[20, 70] = 20.0  # 50 cells out: line height 22 m > 20
    dsm[20, 40] = 7.0  # 20 cells out: line height 10 m > 7
    vis = viewshed(dsm, 20, 20, 2.0)
    assert not vis[20, [40, 60, 70]].any()
    dsm[20, 40] = 10.5  # above 10 m: seen
    vis = viewshed(dsm, 20, 20, 2.0)
    assert vis[20, 40]


def test_a_wall_shadow_matches_the_geometry_off_axis() -> None:
    dsm = np.zeros((121, 121), dtype=np.float32)
    dsm[:, 70] = 5.0
    vis = viewshed(dsm, 60, 60, 1.0)
    exact = exact_viewshed(dsm, 60, 60, 1.0)
    # Behind the wall the ground is hidden for both; on the near side both see all.
    assert not vis[:, 71:].any() and not exact[:, 71:].any()
    assert vis[:, :70].all() and exact[:, :70].all()


def test_the_visible_height_surface_is_the_raised_dsm() -> None:
    dsm = city(90, 90, 10)
    vis, z = viewshed_with_heights(dsm, 45, 45, 1.7)
    assert np.array_equal(vis, viewshed(dsm, 45, 45, 1.7))
    assert (z >= dsm - 1e-9).all()
    assert np.allclose(z[vis == 1], dsm[vis == 1])


def test_it_rejects_an_observer_outside_the_dsm() -> None:
    with pytest.raises(ValueError, match="outside"):
        viewshed(np.zeros((10, 10), dtype=np.float32), 10, 3, 1.7)
