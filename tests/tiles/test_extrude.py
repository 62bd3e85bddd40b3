"""LOD1 extrusion: outward walls, upward roofs, holes, closed solids, feature ids."""

from __future__ import annotations

import numpy as np
import pytest

from tiles.extrude import extrude_footprints

SQUARE = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])
HOLE = np.array([[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0]])  # counter-clockwise: must be flipped


def _face_normals(mesh) -> np.ndarray:
    p = mesh.positions
    tri = mesh.indices.reshape(-1, 3)
    return np.cross(p[tri[:, 1]] - p[tri[:, 0]], p[tri[:, 2]] - p[tri[:, 0]])


def _signed_volume(mesh) -> float:
    """Divergence theorem: positive and equal to the solid's volume only if every face points out."""
    p = mesh.positions
    tri = mesh.indices.reshape(-1, 3)
    return float(np.einsum("ij,ij->i", p[tri[:, 0]], np.cross(p[tri[:, 1]], p[tri[:, 2]])).sum() / 6.0)


def _assert_flat_normals_agree_with_winding(mesh) -> None:
    face = _face_normals(mesh)
    vertex = mesh.normals[mesh.indices.reshape(-1, 3)[:, 0]]
    cos = np.einsum("ij,ij->i", face, vertex) / np.linalg.norm(face, axis=1)
    assert cos.min() > 0.999


def test_a_square_becomes_four_walls_and_a_roof():
    mesh = extrude_footprints(SQUARE, [0, 4], [0, 1], [2.0], [12.0])
    assert mesh.vertex_count == 4 * 4 + 4
    assert mesh.triangle_count == 4 * 2 + 2
    assert mesh.positions[:, 2].min() == 2.0 and mesh.positions[:, 2].max() == 12.0
    roof = mesh.normals[16:]
    assert np.array_equal(roof, np.tile([0.0, 0.0, 1.0], (4, 1)).astype(np.float32))
    walls = mesh.normals[:16]
    assert np.all(walls[:, 2] == 0.0)
    _assert_flat_normals_agree_with_winding(mesh)


def test_wall_normals_point_away_from_the_footprint():
    mesh = extrude_footprints(SQUARE, [0, 4], [0, 1], [0.0], [5.0])
    centre = np.array([5.0, 5.0])
    outward = mesh.positions[:16, :2] - centre
    assert (np.einsum("ij,ij->i", outward, mesh.normals[:16, :2]) > 0).all()


def test_a_clockwise_footprint_gives_the_same_solid():
    ccw = extrude_footprints(SQUARE, [0, 4], [0, 1], [0.0], [5.0], floor=True)
    cw = extrude_footprints(SQUARE[::-1], [0, 4], [0, 1], [0.0], [5.0], floor=True)
    assert _signed_volume(ccw) == pytest.approx(500.0)
    assert _signed_volume(cw) == pytest.approx(500.0)
    _assert_flat_normals_agree_with_winding(cw)


def test_a_courtyard_hole_is_cut_out_of_the_roof_and_walled_inward():
    coords = np.vstack([SQUARE, HOLE])
    mesh = extrude_footprints(coords, [0, 4, 8], [0, 2], [0.0], [10.0], floor=True)
    assert _signed_volume(mesh) == pytest.approx((100.0 - 4.0) * 10.0)
    _assert_flat_normals_agree_with_winding(mesh)
    # The courtyard walls face the courtyard centre, i.e. out of the solid.
    courtyard = mesh.positions[16:32, :2] - np.array([5.0, 5.0])
    assert (np.einsum("ij,ij->i", courtyard, mesh.normals[16:32, :2]) < 0).all()
    roof_area = 0.5 * np.linalg.norm(_face_normals(mesh)[_face_normals(mesh)[:, 2] > 0], axis=1).sum()
    assert roof_area == pytest.approx(96.0)


def test_a_closing_vertex_is_ignored():
    closed = np.vstack([SQUARE, SQUARE[:1]])
    a = extrude_footprints(SQUARE, [0, 4], [0, 1], [0.0], [5.0])
    b = extrude_footprints(closed, [0, 5], [0, 1], [0.0], [5.0])
    assert np.array_equal(a.positions, b.positions)
    assert np.array_equal(a.indices, b.indices)


def test_duplicate_vertices_make_no_degenerate_wall():
    doubled = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])
    mesh = extrude_footprints(doubled, [0, 5], [0, 1], [0.0], [5.0])
    assert np.isfinite(mesh.normals).all()
    assert (np.linalg.norm(_face_normals(mesh), axis=1) > 0).all()


def test_every_vertex_carries_its_polygons_feature_id():
    coords = np.vstack([SQUARE, SQUARE + 20.0, SQUARE + 40.0])
    mesh = extrude_footprints(coords, [0, 4, 8, 12], [0, 1, 2, 3], [0.0, 0.0, 0.0], [3.0, 6.0, 9.0], [0, 1, 1])
    assert set(np.unique(mesh.feature_ids).tolist()) == {0, 1}
    for fid, xmin in ((0, 0.0), (1, 20.0)):
        xs = mesh.positions[mesh.feature_ids == fid, 0]
        assert xs.min() == xmin
    # Each vertex's height belongs to its own polygon.
    third = mesh.positions[:, 0] >= 40.0
    assert mesh.positions[third, 2].max() == 9.0


def test_many_buildings_are_extruded_in_one_vectorised_call():
    n = 2000
    angles = np.linspace(0.0, 2.0 * np.pi, 9)[:-1]
    centres = np.stack([np.arange(n) % 50 * 20.0, np.arange(n) // 50 * 20.0], axis=1)
    coords = (centres[:, None, :] + 5.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)).reshape(-1, 2)
    mesh = extrude_footprints(coords, np.arange(n + 1) * 8, np.arange(n + 1), np.zeros(n), np.full(n, 10.0))
    assert mesh.vertex_count == n * (8 * 4 + 8)
    assert mesh.triangle_count == n * (8 * 2 + 6)
    assert np.array_equal(np.unique(mesh.feature_ids), np.arange(n))
    _assert_flat_normals_agree_with_winding(mesh)


def test_it_rejects_a_ring_of_two_points():
    with pytest.raises(ValueError, match="ring 0 has 2 vertices"):
        extrude_footprints(SQUARE[:2], [0, 2], [0, 1], [0.0], [5.0])


def test_it_rejects_offsets_that_do_not_cover_the_coordinates():
    with pytest.raises(ValueError, match="ring_offsets"):
        extrude_footprints(SQUARE, [0, 3], [0, 1], [0.0], [5.0])
