"""The pipe sweeper: round tubes on vertical risers, no twist, closed ends, valid glb."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.tiles.gltf_validator import assert_valid_glb
from tiles.glb import Material, Primitive, read_accessor, read_glb, write_glb
from tiles.pipes import simplify_axes, sweep_pipes


def _signed_volume(mesh) -> float:
    p = mesh.positions
    tri = mesh.indices.reshape(-1, 3)
    return float(np.einsum("ij,ij->i", p[tri[:, 0]], np.cross(p[tri[:, 1]], p[tri[:, 2]])).sum() / 6.0)


def _polygon_area(radius: float, sides: int) -> float:
    return 0.5 * sides * radius * radius * math.sin(2.0 * math.pi / sides)


def _distance_to_segment(q: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip((q - a) @ ab / (ab @ ab), 0.0, 1.0)
    return np.linalg.norm(q - (a + t[:, None] * ab), axis=1)


def test_a_segment_going_straight_down_is_a_proper_tube():
    mesh = sweep_pipes(np.array([[5.0, 5.0, 0.0], [5.0, 5.0, -3.0]]), [0, 2], 0.25, sides=8, caps=False)
    assert np.isfinite(mesh.positions).all() and np.isfinite(mesh.normals).all()
    radial = np.linalg.norm(mesh.positions[:, :2] - 5.0, axis=1)
    assert np.allclose(radial, 0.25)
    # Eight distinct directions per ring: the ring did not collapse onto a line.
    angles = np.round(np.degrees(np.arctan2(mesh.positions[:8, 1] - 5.0, mesh.positions[:8, 0] - 5.0)))
    assert len(set(angles.tolist())) == 8
    assert np.allclose(mesh.normals[:, 2], 0.0, atol=1e-6)


@pytest.mark.parametrize("sides", [8, 10, 12])
def test_a_riser_between_two_runs_keeps_its_radius_and_volume(sides):
    path = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [10.0, 0.0, -4.0], [10.0, 6.0, -4.0]])
    r = 0.3
    mesh = sweep_pipes(path, [0, 4], r, sides=sides)
    # Mitered joints preserve the prism volume: cross-section area times axis length.
    assert _signed_volume(mesh) == pytest.approx(_polygon_area(r, sides) * 20.0, rel=1e-9)
    # Ring points at the ends and joints sit at least r from every neighbouring axis segment.
    ring = mesh.positions[: 4 * sides]
    nearest = np.min([_distance_to_segment(ring, path[i], path[i + 1]) for i in range(3)], axis=0)
    assert nearest.min() == pytest.approx(r, rel=1e-9)


def test_straight_collinear_pipes_do_not_twist():
    path = np.stack([np.linspace(0.0, 50.0, 11), np.linspace(0.0, 20.0, 11), np.linspace(0.0, -5.0, 11)], axis=1)
    mesh = sweep_pipes(path, [0, 11], 0.5, sides=10, caps=False)
    offsets = mesh.positions.reshape(11, 10, 3) - path[:, None, :]
    assert np.allclose(offsets, offsets[0][None], atol=1e-9)


def test_a_helix_keeps_a_constant_radius_at_segment_midpoints():
    t = np.linspace(0.0, 6.0 * np.pi, 200)
    path = np.stack([3.0 * np.cos(t), 3.0 * np.sin(t), -0.2 * t], axis=1)
    mesh = sweep_pipes(path, [0, 200], 0.1, sides=8, caps=False)
    rings = mesh.positions.reshape(200, 8, 3)
    mid_ring = 0.5 * (rings[1:] + rings[:-1])
    mid_axis = 0.5 * (path[1:] + path[:-1])
    assert np.isfinite(rings).all()
    assert np.allclose(np.linalg.norm(mid_ring - mid_axis[:, None, :], axis=2), 0.1, rtol=0.02)


def test_caps_close_the_tube_facing_outward():
    mesh = sweep_pipes(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]), [0, 2], 1.0, sides=12)
    assert _signed_volume(mesh) == pytest.approx(_polygon_area(1.0, 12) * 2.0)
    p = mesh.positions
    tri = mesh.indices.reshape(-1, 3)
    face = np.cross(p[tri[:, 1]] - p[tri[:, 0]], p[tri[:, 2]] - p[tri[:, 0]])
    centroid = p[tri].mean(axis=1) - np.array([0.0, 0.0, 1.0])
    assert (np.einsum("ij,ij->i", face, centroid) > 0).all()
    assert (np.einsum("ij,ij->i", face, mesh.normals[tri[:, 0]]) > 0).all()


def test_a_hairpin_turn_stays_finite():
    path = np.array([[0.0, 0.0, 0.0], [5.0, 0.0, 0.0], [0.0, 0.0, 0.0001]])
    mesh = sweep_pipes(path, [0, 3], 0.2, sides=8)
    assert np.isfinite(mesh.positions).all()
    assert np.abs(mesh.positions).max() < 6.0


def test_duplicate_points_are_dropped_and_degenerate_pipes_skipped():
    points = np.array(
        [
            [0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],  # pipe 0: a duplicate
            [7.0, 7.0, 7.0],
            [7.0, 7.0, 7.0],  # pipe 1: one distinct point
            [0.0, 5.0, 0.0],
            [0.0, 5.0, -2.0],
        ]  # pipe 2: a riser
    )
    mesh = sweep_pipes(points, [0, 3, 5, 7], [0.1, 0.1, 0.2], sides=8, feature_ids=[4, 5, 6])
    assert sorted(np.unique(mesh.feature_ids).tolist()) == [4, 6]
    assert mesh.vertex_count == 2 * (2 * 8 + 2 * 9)


def test_it_rejects_a_non_positive_radius():
    with pytest.raises(ValueError, match="pipe 1 has a radius of 0.0 m"):
        sweep_pipes(np.zeros((4, 3)) + np.arange(4)[:, None], [0, 2, 4], [0.1, 0.0])


def test_pipes_and_their_translucent_sleeves_make_a_valid_glb(tmp_path):
    points = np.array(
        [
            [0.0, 0.0, -1.0],
            [20.0, 0.0, -1.0],
            [20.0, 0.0, -2.5],
            [20.0, 15.0, -2.5],
            [0.0, 5.0, -0.8],
            [0.0, 30.0, -0.8],
        ]
    )
    offsets = [0, 4, 6]
    pipe = sweep_pipes(points, offsets, [0.1, 0.05], sides=10)
    sleeve = sweep_pipes(points, offsets, [0.6, 0.6], sides=10)
    centre = points.mean(axis=0)
    data = write_glb(
        [
            Primitive((pipe.positions - centre).astype(np.float32), pipe.indices, pipe.feature_ids, pipe.normals),
            Primitive(
                (sleeve.positions - centre).astype(np.float32),
                sleeve.indices,
                sleeve.feature_ids,
                sleeve.normals,
                material=Material(base_color=(1.0, 0.5, 0.0, 0.3), alpha_mode="BLEND", double_sided=True),
            ),
        ],
        ["GAZ-001", "GAZ-002"],
        {"diameter_mm": np.array([200, 100], dtype=np.uint16)},
        class_name="pipe",
    )
    assert_valid_glb(data, tmp_path)
    document, binary = read_glb(data)
    ids = read_accessor(document, binary, document["meshes"][0]["primitives"][1]["attributes"]["_FEATURE_ID_0"])
    assert np.array_equal(np.unique(ids), [0, 1])


def _chord_deviation(line: np.ndarray, kept: np.ndarray) -> tuple[float, float]:
    """Largest plan and height distance of line's vertices from the simplified polyline kept, measured at the
    point of kept facing each vertex in plan."""
    worst_xy = worst_z = 0.0
    for p in line:
        best = (np.inf, np.inf)
        for a, b in zip(kept[:-1], kept[1:]):
            ab = b - a
            t = float(np.clip((p[:2] - a[:2]) @ ab[:2] / max(ab[:2] @ ab[:2], 1e-12), 0.0, 1.0))
            on = a + t * ab
            d = (float(np.hypot(*(p[:2] - on[:2]))), abs(float(p[2] - on[2])))
            if max(d[0] / 2.0, d[1] / 0.1) < max(best[0] / 2.0, best[1] / 0.1):
                best = d
        worst_xy, worst_z = max(worst_xy, best[0]), max(worst_z, best[1])
    return worst_xy, worst_z


def test_simplified_axes_keep_their_ends_and_stay_within_the_plan_and_height_tolerances():
    # A 400 m main zigzagging 0.8 m in plan through a 3 m deep valley, a straight 2-point pipe, an empty one.
    s = np.linspace(0.0, 400.0, 201)
    main = np.column_stack([s, 0.8 * (np.arange(201) % 2), 50.0 - 3.0 * np.sin(np.pi * s / 400.0)])
    short = np.array([[0.0, 10.0, 49.0], [20.0, 10.0, 49.0]])
    points = np.concatenate([main, short])
    offsets = np.array([0, 201, 201, 203])
    out, out_offsets = simplify_axes(points, offsets, 2.0, 0.1)
    assert out_offsets.tolist()[:3] == [0, out_offsets[1], out_offsets[1]] and np.diff(out_offsets)[2] == 2
    kept = out[: out_offsets[1]]
    assert 4 < len(kept) < 60, "the zigzag goes, the valley stays"
    assert np.array_equal(kept[0], main[0]) and np.array_equal(kept[-1], main[-1])
    assert np.array_equal(out[out_offsets[2] :], short)
    worst_xy, worst_z = _chord_deviation(main, kept)
    assert worst_xy <= 2.0 + 1e-9 and worst_z <= 0.1 + 1e-9
    with pytest.raises(ValueError, match="positive"):
        simplify_axes(points, offsets, 2.0, 0.0)
