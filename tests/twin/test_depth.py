"""3D axis of pipes from top, invert, cover, survey points, vertex z or standard depth."""

import pytest

from twin.depth import DepthObservation as Obs
from twin.depth import compute_axis, project_point

LINE = [(0.0, 0.0), (100.0, 0.0)]


def flat(level):
    return lambda xs, ys: [level for _ in xs]


def test_top_of_pipe_minus_half_the_outer_diameter():
    axis = compute_axis(LINE, [Obs("top", 139.0)], outer_diameter_mm=400)
    assert axis.method == "top" and [p[2] for p in axis.coords] == pytest.approx([138.8, 138.8])


def test_invert_plus_half_the_inner_diameter_interpolated_along_the_line():
    axis = compute_axis(
        LINE,
        [Obs("invert", 137.0, position=0.0), Obs("invert", 136.0, position=100.0)],
        inner_diameter_mm=300,
        outer_diameter_mm=360,
    )
    assert axis.method == "invert"
    assert [p[2] for p in axis.coords] == pytest.approx([137.15, 136.15])


def test_cover_depth_needs_the_terrain():
    assert compute_axis(LINE, [Obs("cover", 1.0)], outer_diameter_mm=200) is None
    axis = compute_axis(LINE, [Obs("cover", 1.0)], outer_diameter_mm=200, terrain_z=flat(140.0))
    assert axis.method == "cover" and axis.coords[0][2] == pytest.approx(140.0 - 1.0 - 0.1)


def test_survey_points_win_and_are_interpolated_by_distance():
    line = [(0.0, 0.0), (50.0, 0.0), (100.0, 0.0)]
    obs = [
        Obs("top", 139.0, point=(0.0, 0.05), source="survey", precision_z="A"),
        Obs("top", 138.0, point=(100.0, -0.05), source="survey", precision_z="A"),
        Obs("invert", 120.0, position=0.0),
    ]
    axis = compute_axis(line, obs)
    assert axis.method == "survey"
    assert [p[2] for p in axis.coords] == pytest.approx([139.0, 138.5, 138.0])
    assert axis.uncertainty_m == pytest.approx(0.4)


def test_vertex_z_is_used_when_nothing_else_is_known():
    axis = compute_axis([(0, 0, 139.0), (10, 0, 138.0)], [], precision_z="B")
    assert axis.method == "vertex_z" and axis.uncertainty_m == pytest.approx(1.5)


def test_standard_depth_is_a_flagged_estimate():
    axis = compute_axis(LINE, [], network_type="gas", outer_diameter_mm=100, terrain_z=flat(140.0))
    assert axis.method == "standard_depth" and axis.estimated
    assert axis.coords[0][2] == pytest.approx(140.0 - 0.8 - 0.05)
    assert compute_axis(LINE, [], network_type="gas") is None


def test_an_implausible_depth_is_noted():
    axis = compute_axis(LINE, [Obs("top", 0.75)], terrain_z=flat(140.0))
    assert any("implausible" in n for n in axis.notes)


def test_project_point_gives_distance_along_and_offset():
    assert project_point([(0, 0), (10, 0), (10, 10)], 12.0, 5.0) == pytest.approx((15.0, 2.0))
