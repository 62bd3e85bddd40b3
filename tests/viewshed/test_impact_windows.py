"""Windows sampled on a known building: how many, where, and which way they face."""

from __future__ import annotations

import numpy as np
import pytest
from django.contrib.gis.geos import Point, Polygon

from viewshed.sunlight import facing_south
from viewshed.windows import BuildingShape, faces_box, sample_windows, window_azimuth_deg

RING = ((0.0, 0.0), (20.0, 0.0), (20.0, 10.0), (0.0, 10.0), (0.0, 0.0))  # counter-clockwise, 20 m x 10 m


def block(ring=RING, storeys=3, use="Résidentiel") -> BuildingShape:
    return BuildingShape(7, (ring,), ground_z=12.0, roof_z=21.0, storeys=storeys, use=use)


@pytest.mark.parametrize("ring", [RING, RING[::-1]], ids=["counter-clockwise", "clockwise"])
def test_a_20_by_10_m_block_of_3_storeys_has_36_windows_every_5_m(ring) -> None:
    w = sample_windows([block(ring)], spacing_m=5.0)
    # 20 m facades: 4 points each; 10 m facades: 2 each; on each of 3 storeys.
    assert len(w) == (4 + 2 + 4 + 2) * 3
    assert sorted(set(w["floor"].tolist())) == [0, 1, 2]
    assert np.allclose(sorted(set(np.round(w["z"], 6))), [13.5, 16.5, 19.5])  # mid-storey, 3 m storeys


@pytest.mark.parametrize("ring", [RING, RING[::-1]], ids=["counter-clockwise", "clockwise"])
def test_every_normal_points_out_of_the_building_and_the_point_stands_outside(ring) -> None:
    w = sample_windows([block(ring)], spacing_m=5.0)
    footprint = Polygon(ring)
    assert np.allclose(np.hypot(w["nx"], w["ny"]), 1.0)
    for row in w:
        assert not footprint.contains(Point(row["x"], row["y"]))
        assert footprint.distance(Point(row["x"], row["y"])) == pytest.approx(1.0)
        # Stepping back along the normal reaches the wall, then the inside.
        assert footprint.contains(Point(row["x"] - 1.5 * row["nx"], row["y"] - 1.5 * row["ny"]))
    azimuths = sorted(set(np.round(window_azimuth_deg(w["nx"], w["ny"]), 6)))
    assert azimuths == [0.0, 90.0, 180.0, 270.0]


def test_the_facades_within_90_degrees_of_true_south_are_tested_for_sunlight() -> None:
    w = sample_windows([block()], spacing_m=5.0)
    grid_az = window_azimuth_deg(w["nx"], w["ny"])
    facing = np.radians(grid_az)
    # Grid north = true north: due east and due west are at 90 degrees exactly, outside "within 90 degrees".
    assert set(np.round(grid_az[facing_south(facing, 0.0)], 6)) == {180.0}
    # Lambert-93 at Antibes: true north is 3 degrees west of grid north, so the grid-east facade faces
    # 93 degrees true, within 90 degrees of south; the grid-west one faces 273 degrees, outside.
    assert set(np.round(grid_az[facing_south(facing, -3.0)], 6)) == {90.0, 180.0}


def test_dwellings_are_flagged_from_the_building_use() -> None:
    assert block(use="Résidentiel").residential
    assert block(use="residential").residential
    assert not block(use="Commercial et services").residential
    assert not block(use="").residential


def test_storeys_are_guessed_from_the_height_when_unknown() -> None:
    w = sample_windows([BuildingShape(1, (RING,), ground_z=0.0, roof_z=9.2, storeys=None)], spacing_m=5.0)
    assert sorted(set(w["floor"].tolist())) == [0, 1, 2]


def test_only_windows_with_the_site_in_front_are_walked_again() -> None:
    w = sample_windows([block()], spacing_m=5.0)
    ahead = faces_box(w, (0.0, -60.0, 20.0, -40.0))  # a site 40 m south
    assert set(np.round(window_azimuth_deg(w["nx"][ahead], w["ny"][ahead]), 6)) == {180.0}
