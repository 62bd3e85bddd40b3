"""Shade on street edges: a street canyon checked by hand, and a small street against brute-force sampling."""

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from realtime.shade import ShadeTable, edge_samples, graph_key, shade_shares
from viewshed.dsm import Grid
from viewshed.sun import sun_positions

ANTIBES = (43.58, 7.12)
WALL_H = 20.0
WEST_WALL_X, EAST_WALL_X = 20.0, 50.0  # a north-south street 30 m wide between 20 m buildings


@pytest.fixture
def canyon():
    grid = Grid(0.0, 100.0, 1.0, 100, 70)
    dsm = np.zeros((grid.rows, grid.cols), np.float32)
    dsm[:, :20] = WALL_H
    dsm[:, 50:] = WALL_H
    # Edge 0: the street's centre line, north to south. Edge 1: a crossing from wall to wall.
    x, y, z = [35.0, 35.0, 20.5, 49.5], [90.0, 10.0, 50.0, 50.0], [0.0] * 4
    return grid, dsm, edge_samples(x, y, z, [0, 2], [1, 3])


def _sun(when):
    sun = sun_positions([when], *ANTIBES)
    return float(sun.azimuth[0]), float(sun.elevation[0])


def _shadow_reach(azimuth, elevation):
    """How far across the street (m) the shadow of a 20 m wall reaches: height / tan(elevation), across part."""
    return WALL_H * abs(math.sin(math.radians(azimuth))) / math.tan(math.radians(elevation))


def test_a_north_south_canyon_is_in_sun_at_solar_noon(canyon):
    grid, dsm, samples = canyon
    minutes = [datetime(2026, 6, 21, 11, tzinfo=UTC) + timedelta(minutes=m) for m in range(61)]
    sun = sun_positions(minutes, *ANTIBES)
    noon = int(np.argmax(sun.elevation))
    az, el = float(sun.azimuth[noon]), float(sun.elevation[noon])
    assert _shadow_reach(az, el) < 0.2  # by hand: the sun looks straight down the street
    shares = shade_shares(dsm, grid, samples, [az], [el])
    assert shares[0, 0] == 0.0
    assert shares[1, 0] == 0.0


def test_at_five_in_the_afternoon_the_west_wall_shades_most_of_the_street(canyon):
    grid, dsm, samples = canyon
    az, el = _sun(datetime(2026, 6, 21, 15, tzinfo=UTC))  # 17:00 summer time
    reach = _shadow_reach(az, el)
    # By hand: sun in the west-south-west about 40° high; the shadow crosses ~24 m of the 30 m street.
    assert 250 < az < 280 and 30 < el < 45
    assert 20 < reach < 28
    shares = shade_shares(dsm, grid, samples, [az], [el])
    assert shares[0, 0] == 1.0  # the centre line, 15 m from the west wall, is in the shadow
    crossing = (reach - 0.5) / 29.0  # the crossing starts 0.5 m from the west wall and spans 29 m
    assert shares[1, 0] == pytest.approx(crossing, abs=2.5 / 29)


def test_at_night_every_edge_is_out_of_the_sun(canyon):
    grid, dsm, samples = canyon
    assert (shade_shares(dsm, grid, samples, [0.0], [-10.0]) == 1.0).all()


def brute_force_shaded(dsm, grid, px, py, pz, azimuth, elevation, step=0.05):
    """Shaded or not, by marching a continuous ray from the point towards the sun in small steps."""
    a = math.radians(azimuth)
    dx, dy, tan_e = math.sin(a), math.cos(a), math.tan(math.radians(elevation))
    r0, c0 = int((grid.ymax - py) // grid.cell), int((px - grid.xmin) // grid.cell)
    z = float(dsm[r0, c0]) if dsm[r0, c0] <= pz + 2.5 else pz
    if dsm[r0, c0] > z + 2.5:
        return True
    s = step
    while True:
        x, y = px + s * dx, py + s * dy
        r, c = int((grid.ymax - y) // grid.cell), int((x - grid.xmin) // grid.cell)
        if not (0 <= r < grid.rows and 0 <= c < grid.cols):
            return False
        if (r, c) != (r0, c0) and dsm[r, c] > z + s * tan_e:
            return True
        s += step


def test_a_small_street_agrees_with_brute_force_sampling():
    rng = np.random.default_rng(5)
    grid = Grid(0.0, 60.0, 1.0, 60, 80)
    dsm = np.zeros((60, 80), np.float32)
    for _ in range(14):
        r, c = rng.integers(0, 54), rng.integers(0, 74)
        dsm[r : r + rng.integers(3, 8), c : c + rng.integers(3, 8)] = rng.uniform(5, 18)
    street = dsm < 1.0
    # A winding street: edges between points on open ground.
    open_cells = np.argwhere(street[5:55, 5:75]) + 5
    picks = open_cells[rng.choice(len(open_cells), 13, replace=False)]
    x, y = grid.centre(picks[:, 0], picks[:, 1])
    z = np.zeros(len(x))
    samples = edge_samples(x, y, z, np.arange(12), np.arange(1, 13))
    positions = [(110, 25), (160, 55), (230, 35), (275, 12), (300, 8)]
    shares = shade_shares(dsm, grid, samples, [p[0] for p in positions], [p[1] for p in positions])
    worst, mean = [], []
    for j, (az, el) in enumerate(positions):
        brute = np.array(
            [brute_force_shaded(dsm, grid, sx, sy, sz, az, el) for sx, sy, sz in zip(samples.x, samples.y, samples.z)],
            float,
        )
        expected = np.bincount(samples.edge, brute, 12) / np.bincount(samples.edge, minlength=12)
        # The sweep reads one cell per step of its sun line and judges a sample at its cell's centre: a ray
        # that only grazes a building's corner, or a sample near a cell edge, can go the other way.
        worst.append(np.abs(shares[:, j] - expected).max())
        mean.append(np.abs(shares[:, j] - expected).mean())
    assert max(worst) <= 0.25
    assert np.mean(mean) <= 0.05


def test_a_table_round_trips_through_its_file(tmp_path):
    shares = np.array([[0.0, 0.5, 1.0], [1.0, 1.0, 0.25]])
    start = np.datetime64("2026-07-14T00:00:00")
    table = ShadeTable.from_shares(shares, start, 15, graph_key([0, 1], [0, 1], [0], [1]), "abc")
    table.save(tmp_path / "shade.npz")
    again = ShadeTable.load(tmp_path / "shade.npz")
    assert again.graph_key == table.graph_key and again.surface == "abc" and again.start == start
    assert np.allclose(again.shade_at([0, 1, 1], [0, 16 * 60, 45 * 60 + 1]), [0.0, 1.0, 0.25], atol=1 / 255)
    assert again.covers(datetime(2026, 7, 14, 0, 40, tzinfo=UTC))
    assert not again.covers(datetime(2026, 7, 14, 0, 45, tzinfo=UTC))


def test_a_tree_shades_the_street_beyond_its_foot_and_not_its_foot():
    # A street 20 m long, north-south through the foot of a tree whose crown spans 4-10 m up, 3 m across
    # the middle; flat ground, the sun due south 45 degrees up (grid frame).
    from realtime.crowns import Crowns

    grid = Grid(-30.0, 30.0, 1.0, 60, 60)
    dsm = np.zeros((grid.rows, grid.cols), np.float32)
    samples = edge_samples([0.0, 0.0], [-10.0, 10.0], [0.0, 0.0], [0], [1])
    crowns = Crowns([0.0], [0.0], [4.0], [10.0], [3.0])
    # By hand: the ray from (0, y0) meets the crown when (y0 - 7)^2 / 2 <= 9, y0 in [2.76, 11.24]; the 2 m
    # samples at y = -9, -7, ..., 9 are shaded at 3, 5, 7, 9: four in ten.
    assert shade_shares(dsm, grid, samples, [180.0], [45.0], crowns)[0, 0] == pytest.approx(0.4)
    assert shade_shares(dsm, grid, samples, [180.0], [45.0])[0, 0] == 0.0
