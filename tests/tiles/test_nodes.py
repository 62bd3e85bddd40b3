"""The network node core: shafts and markers are closed, span the heights asked, and sit on the pipe axes."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from tiles.nodes import axis_heights, chambers, lowest_pipe_ends, markers, node_shape, pipe_azimuths


def _signed_volume(mesh) -> float:
    p = mesh.positions
    tri = mesh.indices.reshape(-1, 3)
    return float(np.einsum("ij,ij->i", p[tri[:, 0]], np.cross(p[tri[:, 1]], p[tri[:, 2]])).sum() / 6.0)


def _is_closed(mesh) -> bool:
    """Every edge (vertices welded by position) bounds exactly two triangles, once in each direction."""
    _, weld = np.unique(np.round(mesh.positions, 6), axis=0, return_inverse=True)
    tri = weld.ravel()[mesh.indices.reshape(-1, 3)]
    edges = Counter()
    for a, b, c in tri.tolist():
        for e in ((a, b), (b, c), (c, a)):
            edges[e] += 1
    return all(n == 1 and edges[(b, a)] == 1 for (a, b), n in edges.items())


def test_a_round_manhole_is_a_closed_cylinder_from_its_floor_to_its_lid():
    mesh = chambers(np.array([[100.0, 200.0, 37.5]]), [2.6], [0.5], [0.5], [True], sides=12)
    assert _is_closed(mesh)
    assert mesh.positions[:, 2].min() == pytest.approx(37.5) and mesh.positions[:, 2].max() == pytest.approx(40.1)
    radial = np.hypot(mesh.positions[:, 0] - 100.0, mesh.positions[:, 1] - 200.0)
    assert radial.max() == pytest.approx(0.5)
    area = 0.5 * 12 * 0.25 * np.sin(2 * np.pi / 12)
    assert _signed_volume(mesh) == pytest.approx(area * 2.6), "outward faces"
    sides = np.abs(mesh.normals[:, 2]) < 1e-6
    assert np.allclose(np.hypot(mesh.normals[sides, 0], mesh.normals[sides, 1]), 1.0, atol=1e-6)


def test_a_rectangular_chamber_is_a_closed_turned_box_with_flat_faces():
    mesh = chambers(np.array([[0.0, 0.0, -2.0]]), [1.8], [1.0], [0.6], [False], azimuth=np.pi / 2)
    assert _is_closed(mesh)
    assert _signed_volume(mesh) == pytest.approx(2.0 * 1.2 * 1.8)
    # Turned a quarter: 2 m along y, 1.2 m along x.
    assert np.ptp(mesh.positions[:, 1]) == pytest.approx(2.0) and np.ptp(mesh.positions[:, 0]) == pytest.approx(1.2)
    assert len(np.unique(np.round(mesh.normals, 6), axis=0)) == 6


def test_shafts_rise_along_the_up_axis_they_are_given():
    up = np.array([0.6, 0.0, 0.8])
    axes = np.column_stack([[0.8, 0.0, -0.6], [0.0, 1.0, 0.0], up])
    mesh = chambers(np.zeros((1, 3)), [3.0], [0.4], [0.4], [True], axes=axes, feature_ids=[7])
    heights = mesh.positions @ up
    assert heights.min() == pytest.approx(0.0, abs=1e-9) and heights.max() == pytest.approx(3.0)
    assert set(mesh.feature_ids.tolist()) == {7}


def test_markers_are_closed_diamonds_around_their_centres():
    centres = np.array([[1.0, 2.0, -1.2], [5.0, 5.0, -0.8]])
    mesh = markers(centres, [0.3, 0.5], feature_ids=[4, 9])
    for fid, centre, r in zip((4, 9), centres, (0.3, 0.5)):
        sel = mesh.feature_ids == fid
        assert np.linalg.norm(mesh.positions[sel] - centre, axis=1).max() == pytest.approx(r)
    assert _is_closed(mesh)
    assert _signed_volume(mesh) == pytest.approx(4 / 3 * (0.3**3 + 0.5**3))


def test_a_valve_takes_the_height_of_the_pipe_axis_under_it_even_beside_a_riser():
    # Pipe 0 falls 1 m over 10 m; pipe 1 rises straight up at (20, 20), then runs east.
    points = np.array([[0, 0, -1.0], [10, 0, -2.0], [20, 20, -3.0], [20, 20, -1.0], [30, 20, -1.0]])
    z, dist, pipe = axis_heights(np.array([[5.0, 0.4], [25.0, 20.0], [100.0, 100.0]]), points, [0, 2, 5], 1.0)
    assert z[0] == pytest.approx(-1.5) and dist[0] == pytest.approx(0.4) and pipe[0] == 0
    assert z[1] == pytest.approx(-1.0) and pipe[1] == 1
    assert np.isnan(z[2]) and pipe[2] == -1


def test_a_manhole_floor_is_the_lowest_pipe_bottom_ending_in_it():
    points = np.array([[0, 0, -2.0], [50, 0, -2.5], [0, 0.5, -1.0], [0, 40, -0.9]])
    floor = lowest_pipe_ends(np.array([[0.0, 0.0], [200.0, 0.0]]), points, [0, 2, 4], np.array([0.2, 0.1]), 1.5)
    assert floor[0] == pytest.approx(-2.2) and np.isnan(floor[1])


def test_a_chamber_turns_along_the_widest_pipe_near_it_past_any_riser():
    # Pipe 0 (r 0.1) runs east; pipe 1 (r 0.3) rises at (0, 0.5), then runs north-east; pipe 2 runs north far away.
    points = np.array(
        [
            [-10, 0, -1.0],
            [10, 0, -1.0],
            [0, 0.5, -3.0],
            [0, 0.5, -1.0],
            [10, 10.5, -1.0],
            [100, 0, -1.0],
            [100, 10, -1.0],
        ]
    )
    azimuth = pipe_azimuths(
        np.array([[0.0, 0.0], [-5.0, 0.2], [100.5, 5.0], [50.0, 50.0]]),
        points,
        [0, 2, 5, 7],
        np.array([0.1, 0.3, 0.1]),
        1.5,
    )
    assert azimuth[0] == pytest.approx(np.pi / 4), "the wider pipe, its riser passed over"
    assert azimuth[1] == pytest.approx(0.0), "only the eastward pipe within reach"
    assert azimuth[2] == pytest.approx(np.pi / 2)
    assert np.isnan(azimuth[3])
    # Either way along a pipe is the same box: within [0, π).
    back = pipe_azimuths(np.array([[0.0, 0.0]]), points[[1, 0]], [0, 2], np.array([0.1]), 1.0)
    assert back[0] == pytest.approx(0.0)


def test_survey_points_are_not_drawn_and_unknown_types_are_markers():
    assert node_shape("survey_point") == "skip"
    assert node_shape("manhole") == node_shape("gully") == "chamber"
    assert node_shape("valve") == node_shape("hydrant") == node_shape("something_new") == "marker"


def test_bad_shafts_are_refused():
    with pytest.raises(ValueError, match="height"):
        chambers(np.zeros((1, 3)), [0.0], [0.5], [0.5], [True])
    with pytest.raises(ValueError, match="NaN"):
        chambers(np.array([[0.0, 0.0, np.nan]]), [1.0], [0.5], [0.5], [True])
    with pytest.raises(ValueError, match="radii"):
        markers(np.zeros((1, 3)), 0.0)
