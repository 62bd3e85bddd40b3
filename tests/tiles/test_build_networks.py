"""The networks layer: tubes around each 3D axis, risers included, coloured by type, in a translucent sleeve."""
from __future__ import annotations

import numpy as np
import pytest

from tests.tiles.tile_reading import contents, decode
from tiles.build import build_layers
from tiles.builders.networks import NETWORK_COLOURS, _linear, uncertainty_m
from twin.geoid import city_frame

pytestmark = pytest.mark.django_db

TOLERANCE_M = 0.05


def _distance_to_polyline(p: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance of points p (n, 3) to a 3D polyline (k, 3), metres."""
    best = np.full(len(p), np.inf)
    for a, b in zip(line[:-1], line[1:]):
        ab = b - a
        t = np.clip(((p - a) @ ab) / max(ab @ ab, 1e-12), 0.0, 1.0)
        best = np.minimum(best, np.linalg.norm(p - (a + t[:, None] * ab), axis=1))
    return best


def _by_feature(tiles_root):
    frame = city_frame()
    out = {}
    for content in contents(tiles_root, "networks"):
        prims, table, document = decode(content)
        for kind, prim in zip(("pipe", "sleeve"), prims):
            x, y, h = frame.from_ecef(prim.ecef)
            local = np.column_stack([x, y, h])
            for fid in np.unique(prim.feature_ids):
                sel = prim.feature_ids == fid
                out.setdefault(table["source_id"][fid], {})[kind] = (local[sel], prim)
                out[table["source_id"][fid]]["row"] = {k: v[fid] for k, v in table.items()}
    return out


def test_tube_vertices_lie_at_the_pipe_radius_around_the_axis(pipes, tiles_root):
    [record] = build_layers(["networks"], progress=lambda m: None)
    assert record.status == "published" and record.features == len(pipes)
    features = _by_feature(tiles_root)
    assert set(features) == {p.source_id for p in pipes}
    for seg in pipes:
        axis = np.asarray(seg.axis.coords)
        radius = max(0.05, seg.diameter_m / 2)
        ring, _ = features[seg.source_id]["pipe"]
        d = _distance_to_polyline(ring, axis)
        # Side vertices sit at the radius; cap centres on the axis; mitred joints a little further out.
        assert d.max() < radius / np.cos(np.radians(45)) + TOLERANCE_M, seg.source_id
        sides = d > 1e-3
        assert np.abs(d[sides] - radius).min() < TOLERANCE_M
        sleeve, _ = features[seg.source_id]["sleeve"]
        ds = _distance_to_polyline(sleeve, axis)
        expected = radius + uncertainty_m(seg.precision_xy, seg.network.network_type)
        assert ds.max() < expected / np.cos(np.radians(45)) + TOLERANCE_M
        assert np.median(ds[ds > 1e-3]) == pytest.approx(expected, abs=TOLERANCE_M)


def test_a_vertical_riser_keeps_its_full_radius(pipes, tiles_root):
    build_layers(["networks"], progress=lambda m: None)
    riser = next(p for p in pipes if p.source_id == "CAN-EU-RISER")
    ring, _ = _by_feature(tiles_root)[riser.source_id]["pipe"]
    axis = np.asarray(riser.axis.coords)
    # Vertices around the vertical part: no collapse to a line, all at the radius.
    bottom = ring[ring[:, 2] < axis[0, 2] + 0.01]
    spread = np.hypot(bottom[:, 0] - axis[0, 0], bottom[:, 1] - axis[0, 1])
    assert spread.max() == pytest.approx(0.15, abs=TOLERANCE_M)
    assert np.ptp(bottom[:, 0]) > 0.25 and np.ptp(bottom[:, 1]) > 0.25


def test_the_sleeve_is_translucent_and_pipes_wear_the_network_colour(pipes, tiles_root):
    build_layers(["networks"], progress=lambda m: None)
    features = _by_feature(tiles_root)
    for seg in pipes:
        f = features[seg.source_id]
        _, sleeve_prim = f["sleeve"]
        assert sleeve_prim.material["alphaMode"] == "BLEND"
        assert sleeve_prim.material["pbrMetallicRoughness"]["baseColorFactor"][3] < 0.5
        assert f["row"]["network_type"] == seg.network.network_type
        assert f["row"]["precision_xy"] == seg.precision_xy and f["row"]["precision_z"] == seg.precision_z
        assert f["row"]["diameter_mm"] == pytest.approx(seg.diameter_nominal_mm)
        assert f["row"]["cover_depth_min"] > 0.0
    water = next(p for p in pipes if p.network.network_type == "water")
    assert np.allclose(_linear(NETWORK_COLOURS["water"]), [0.0, 0.1, 1.0], atol=0.01)
    assert water.source_id in features
