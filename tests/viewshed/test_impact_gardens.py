"""Sun on the ground on 21 March, and the BR 209 garden test, on surfaces with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from viewshed.br209 import garden_fails
from viewshed.gardens import equinox_sun, sun_hours_grid, sunlit_shares

ANTIBES = (43.58, 7.12)


def test_open_ground_gets_the_whole_equinox_day_of_sun() -> None:
    az, el = equinox_sun(*ANTIBES, grid_north_deg=0.0)
    dsm = np.zeros((60, 60), np.float32)
    cells = np.zeros(dsm.shape, bool)
    cells[30, 30] = True
    hours = sun_hours_grid(dsm, 1.0, az, el, 15, cells)
    # Sunrise to sunset on 21 March, refraction included: a little over 12 hours.
    assert hours[30, 30] == pytest.approx(12.1, abs=0.3)
    assert hours[~cells].max() == 0.0


def test_ground_just_north_of_a_long_high_wall_gets_almost_no_sun() -> None:
    az, el = equinox_sun(*ANTIBES, grid_north_deg=0.0)
    dsm = np.zeros((200, 1001), np.float32)
    dsm[100:110, :] = 80.0  # an east-west wall 1 km long; rows grow southwards
    cells = np.zeros(dsm.shape, bool)
    cells[95, 500] = True  # 5 m north of it
    cells[150, 500] = True  # 40 m south of it
    hours = sun_hours_grid(dsm, 1.0, az, el, 15, cells)
    assert hours[95, 500] <= 0.5  # the sun rises and sets a little north of east and west: a few minutes
    assert hours[150, 500] == pytest.approx(12.1, abs=0.3)


def test_a_gardens_share_and_the_br209_verdict() -> None:
    labels = np.array([[0, 0, 0, 0], [1, 1, -1, -1]])
    hours = np.array([[3.0, 1.0, 2.0, 0.0], [5.0, 5.0, 9.0, 9.0]])
    share, count = sunlit_shares(hours, labels, 2, 2.0)
    assert share.tolist() == [0.5, 1.0] and count.tolist() == [4, 2]
    assert garden_fails(0.9, 0.4)  # under half, and under 0.8 x before
    assert not garden_fails(0.45, 0.4)  # under half, but it was nearly so: not a noticeable loss
    assert not garden_fails(0.9, 0.6)  # still more than half sunlit
