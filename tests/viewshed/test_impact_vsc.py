"""The vertical sky component on surfaces with known answers: an open plain, an infinite wall at 25 degrees."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import dblquad

from viewshed.daylight import UNOBSTRUCTED_VSC, vertical_sky_component
from viewshed.facade_horizon import facade_horizons


def vsc_at(dsm: np.ndarray, x: float, y: float, z: float, facing_deg: float, max_distance_m: float = 2000.0) -> float:
    """VSC of one window over a 1 m DSM whose NW corner is (0, rows)."""
    h = facade_horizons(
        dsm,
        (0.0, float(dsm.shape[0])),
        1.0,
        np.array([x]),
        np.array([y]),
        np.array([z]),
        np.radians([facing_deg]),
        max_distance_m=max_distance_m,
    )
    return float(vertical_sky_component(h)[0])


def cie_vsc_of_parallel_wall(angle_deg: float) -> float:
    """Independent numeric integral: an infinite wall parallel to the window, `angle_deg` high seen square on."""
    t = math.tan(math.radians(angle_deg))

    def f(el: float, az: float) -> float:
        return (1 + 2 * math.sin(el)) / 3 * math.cos(el) ** 2 * math.cos(az)

    vertical, _ = dblquad(f, -math.pi / 2, math.pi / 2, lambda az: math.atan(t * math.cos(az)), lambda az: math.pi / 2)
    horizontal, _ = dblquad(
        lambda el, az: (1 + 2 * math.sin(el)) / 3 * math.sin(el) * math.cos(el),
        0,
        2 * math.pi,
        lambda az: 0.0,
        lambda az: math.pi / 2,
    )
    return 100 * vertical / horizontal


@pytest.mark.parametrize("facing", [0.0, 90.0, 180.0, 233.0])
def test_an_unobstructed_window_gets_the_bre_maximum_of_39_6_percent(facing) -> None:
    dsm = np.zeros((401, 401), dtype=np.float32)
    assert vsc_at(dsm, 200.5, 200.5, 1.5, facing) == pytest.approx(39.6, abs=0.5)
    assert UNOBSTRUCTED_VSC == pytest.approx(39.6, abs=0.05)


def test_a_window_facing_an_infinite_wall_at_25_degrees_gets_about_27_percent() -> None:
    # Window on a north facade at y = 10 m, 2 m up; a wall 40 m north, 2000 m long, rising 25 degrees from it.
    rows, cols = 100, 4001
    dsm = np.zeros((rows, cols), dtype=np.float32)
    wall_top = 2.0 + 40.0 * math.tan(math.radians(25.0))
    dsm[rows - 51, :] = wall_top  # cells spanning y in [50, 51): the near edge is 40 m away
    got = vsc_at(dsm, 2000.5, 10.0, 2.0, 0.0)
    expected = cie_vsc_of_parallel_wall(25.0)
    assert expected == pytest.approx(27.3, abs=0.05)  # BR 209: a 25 degree obstruction leaves about 27 %
    assert got == pytest.approx(expected, abs=0.3)
    # Seen from behind (a south facade), the same wall is not in front: the window keeps a full sky.
    assert vsc_at(dsm, 2000.5, 10.0, 2.0, 180.0) == pytest.approx(UNOBSTRUCTED_VSC, abs=0.05)


def test_a_higher_window_sees_more_sky_over_the_same_wall() -> None:
    dsm = np.zeros((100, 2001), dtype=np.float32)
    dsm[49, :] = 20.0
    low, high = (vsc_at(dsm, 1000.5, 10.0, z, 0.0) for z in (2.0, 12.0))
    assert low < high < UNOBSTRUCTED_VSC
