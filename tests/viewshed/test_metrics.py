"""Horizon, sky view factor, sea view, visible area and landmarks against closed-form geometry."""

from __future__ import annotations

import math

import numpy as np

from viewshed.kernel import viewshed
from viewshed.metrics import (
    azimuths_crossing,
    exact_viewshed,
    horizon_profile,
    landmarks_visible,
    sea_view,
    sky_view_factor,
    visible_area_m2,
)


def street_canyon(height: float, width: int, length: int = 2001) -> np.ndarray:
    """A north-south street `width` cells wide between two endless-looking walls."""
    side = 40
    dsm = np.zeros((length, width + 2 * side), dtype=np.float32)
    dsm[:, :side] = height
    dsm[:, side + width :] = height
    return dsm


def test_a_street_canyon_has_the_textbook_sky_view_factor() -> None:
    height, width = 15.0, 21
    dsm = street_canyon(height, width)
    centre_row, centre_col = dsm.shape[0] // 2, 40 + width // 2
    horizon = horizon_profile(dsm, centre_row, centre_col, 0.0, n_azimuths=720)
    expected = math.cos(math.atan(2 * height / width))
    assert abs(sky_view_factor(horizon) - expected) < 0.01


def test_a_flat_plane_has_a_flat_horizon_and_full_sky() -> None:
    dsm = np.zeros((101, 101), dtype=np.float32)
    horizon = horizon_profile(dsm, 50, 50, 1.7)
    assert (horizon < 0).all()
    assert sky_view_factor(horizon) == 1.0


def test_a_wall_at_the_observer_blocks_half_the_sky() -> None:
    dsm = np.zeros((401, 401), dtype=np.float32)
    dsm[:, 201:] = 1000.0  # a sheer cliff right east of the observer
    horizon = horizon_profile(dsm, 200, 200, 0.0, n_azimuths=360)
    # The two azimuths grazing the wall face see sky down to the horizon.
    assert 0.5 <= sky_view_factor(horizon) <= 0.5 + 2 / 360 + 1e-9


def test_horizon_angles_follow_the_geometry() -> None:
    dsm = np.zeros((201, 201), dtype=np.float32)
    dsm[:, 150:] = 30.0  # wall face 49.5 m east of the observer centre
    horizon = horizon_profile(dsm, 100, 100, 0.0, n_azimuths=4, cell_size=1.0)
    assert math.isclose(horizon[1], math.atan2(30.0, 49.5), rel_tol=1e-9)
    horizon2 = horizon_profile(dsm, 100, 100, 0.0, n_azimuths=4, cell_size=2.0)
    assert math.isclose(horizon2[1], math.atan2(30.0, 99.0), rel_tol=1e-9)


def test_visible_area_counts_square_metres() -> None:
    dsm = np.zeros((11, 11), dtype=np.float32)
    vis = viewshed(dsm, 5, 5, 1.7)
    assert visible_area_m2(vis, cell_size=0.5) == 121 * 0.25


def rectangle_solid_angle(x1: float, x2: float, y1: float, y2: float, h: float) -> float:
    """Solid angle of the flat rectangle [x1, x2] x [y1, y2] seen from height h above the origin."""

    def f(x: float, y: float) -> float:
        return math.atan(x * y / (h * math.sqrt(h * h + x * x + y * y)))

    return f(x2, y2) - f(x1, y2) - f(x2, y1) + f(x1, y1)


def test_sea_view_from_a_mast_sees_the_southern_half() -> None:
    # Eye 51.7 m above a flat coast, sea on the southern half of the raster.
    dsm = np.zeros((201, 201), dtype=np.float32)
    sea = np.zeros(dsm.shape, dtype=bool)
    sea[101:, :] = True
    share, omega = sea_view(dsm, sea, 100, 100, 51.7, n_azimuths=360)
    assert 0.49 < share <= 0.5
    expected = rectangle_solid_angle(-100.5, 100.5, 0.5, 100.5, 51.7)
    assert abs(omega - expected) / expected < 0.01


def test_sea_hidden_behind_a_ridge_counts_nothing() -> None:
    dsm = np.zeros((101, 101), dtype=np.float32)
    dsm[60, :] = 100.0
    sea = np.zeros(dsm.shape, dtype=bool)
    sea[70:, :] = True
    assert sea_view(dsm, sea, 50, 50, 1.7) == (0.0, 0.0)


def test_a_landmark_behind_a_building_is_hidden() -> None:
    dsm = np.zeros((101, 101), dtype=np.float32)
    dsm[40:60, 70:75] = 20.0  # a building east of the observer
    # CRS: origin (x_min, y_max) = (1000, 5000), 1 m cells; observer cell (50, 50).
    origin = (1000.0, 5000.0)
    landmarks = np.array(
        [
            [1000 + 90.5, 5000 - 50.5, 15.0],  # behind the building, lower than it
            [1000 + 90.5, 5000 - 50.5, 60.0],  # behind it, tall enough to clear it
            [1000 + 20.5, 5000 - 50.5, 5.0],  # west, open ground
        ]
    )
    seen = landmarks_visible(dsm, 50, 50, 1.7, landmarks, origin=origin)
    assert seen.tolist() == [False, True, True]


def test_the_exact_line_of_sight_sees_a_flat_plane() -> None:
    dsm = np.full((31, 31), 3.0, dtype=np.float32)
    assert exact_viewshed(dsm, 15, 15, 1.7).all()


def test_the_horizon_after_a_project_walks_only_the_rays_over_it() -> None:
    rng = np.random.default_rng(12)
    dsm = (rng.random((301, 301)) * 20.0).astype(np.float32)
    before = horizon_profile(dsm, 150, 150, 1.7, 360, max_distance=140.0, max_height=20.0)
    for r0, c0, h, w in [(60, 170, 12, 30), (200, 90, 40, 8), (148, 152, 3, 3), (140, 140, 3, 25)]:
        after_dsm = dsm.copy()
        after_dsm[r0 : r0 + h, c0 : c0 + w] = 60.0
        rr, cc = np.nonzero(after_dsm != dsm)
        todo = azimuths_crossing(rr, cc, 150, 150, 360)
        full = horizon_profile(after_dsm, 150, 150, 1.7, 360, max_distance=140.0, max_height=60.0)
        reused = horizon_profile(
            after_dsm, 150, 150, 1.7, 360, max_distance=140.0, max_height=60.0, known=before, todo=todo
        )
        assert np.array_equal(full, reused)
        assert (full != before).any() and todo[full != before].all()
    # A block far to the north-east is a narrow sector; a ring around the eye is every ray.
    assert azimuths_crossing(*np.nonzero(np.pad(np.ones((5, 5)), ((20, 276), (250, 46)))), 150, 150, 360).sum() < 10
    ring = np.zeros((301, 301), dtype=bool)
    ring[140:161, 140:161] = True
    ring[145:156, 145:156] = False
    assert azimuths_crossing(*np.nonzero(ring), 150, 150, 360).all()
