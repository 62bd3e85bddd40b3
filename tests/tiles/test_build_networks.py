"""The networks layer: tubes around each 3D axis, risers included, coloured by type, in a translucent sleeve;
manholes as shafts from lid to floor and valves as markers on the axis, pickable in the same tiles."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.tiles.conftest import X0, Y0, terrain_height
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
    """source_id → what its leaf draws (parents draw some pipes again, coarsely)."""
    frame = city_frame()
    out = {}
    for content in contents(tiles_root, "networks"):
        if content.tile["geometricError"] > 0:
            continue
        prims, table, document = decode(content)
        for prim in prims:
            kind = {"pipe": "pipe", "uncertainty-sleeve": "sleeve", "network-node": "node"}[prim.material["name"]]
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


def _nodes(tiles_root) -> dict:
    return {sid: f for sid, f in _by_feature(tiles_root).items() if "node" in f}


def test_manholes_are_shafts_from_lid_to_floor_and_say_where_their_depth_comes_from(nodes, tiles_root):
    [record] = build_layers(["networks"], progress=lambda m: None)
    assert record.status == "published" and record.features == 4 + len(nodes) - 1, "pipes and nodes, no survey point"
    drawn = _nodes(tiles_root)
    assert "PL-1" not in drawn
    by_id = {n.source_id: n for n in nodes}
    g2 = float(terrain_height(X0 + 550, Y0 + 500.5))
    pipe_end = float(terrain_height(X0 + 550, Y0 + 500)) - 2.1
    expected = {  # lid, floor, depth source, estimate
        "REG-1": (by_id["REG-1"].cover_z, by_id["REG-1"].invert_z, "invert", False),
        "REG-2": (g2, pipe_end - 0.2, "pipes", True),
        "REG-3": (
            float(terrain_height(X0 + 900, Y0 + 900)),
            float(terrain_height(X0 + 900, Y0 + 900)) - 1.5,
            "standard",
            True,
        ),
        "CH-1": (float(terrain_height(X0 + 800, Y0 + 300)), by_id["CH-1"].attributes["z_radier"], "attributes", False),
    }
    for sid, (lid, floor, source, estimate) in expected.items():
        local, _ = drawn[sid]["node"]
        row = drawn[sid]["row"]
        assert local[:, 2].max() == pytest.approx(lid, abs=TOLERANCE_M), sid
        assert local[:, 2].min() == pytest.approx(floor, abs=TOLERANCE_M), sid
        centre = by_id[sid].geom
        assert np.mean(local[:, 0]) == pytest.approx(centre.x, abs=TOLERANCE_M)
        assert np.mean(local[:, 1]) == pytest.approx(centre.y, abs=TOLERANCE_M)
        assert row["feature_kind"] == "node" and row["node_type"] == by_id[sid].node_type
        assert row["depth_source"] == source and bool(row["depth_is_estimate"]) is estimate, sid
        assert row["depth_m"] == pytest.approx(lid - floor, abs=0.02)
        assert row["z_top"] == pytest.approx(lid, abs=0.01) and row["z_bottom"] == pytest.approx(floor, abs=0.01)
        assert row["network_type"] == by_id[sid].network.network_type
        assert row["operator"] == by_id[sid].network.operator.name
        assert row["precision_xy"] == by_id[sid].precision_xy
    reg1, _ = drawn["REG-1"]["node"]
    assert np.hypot(reg1[:, 0] - X0 - 500, reg1[:, 1] - Y0 - 500).max() == pytest.approx(0.5, abs=TOLERANCE_M)
    box, _ = drawn["CH-1"]["node"]
    assert np.ptp(box[:, 0]) == pytest.approx(2.0, abs=TOLERANCE_M) and np.ptp(box[:, 1]) == pytest.approx(
        1.2, abs=TOLERANCE_M
    )


def test_a_rectangular_chamber_lies_along_the_pipe_it_serves(nodes, tiles_root):
    build_layers(["networks"], progress=lambda m: None)
    box, _ = _nodes(tiles_root)["CH-2"]["node"]
    # The water main's second leg runs from (400, 310) to (420, 400): 77.5° from the x axis.
    along = np.array([20.0, 90.0]) / np.hypot(20.0, 90.0)
    across = np.array([-along[1], along[0]])
    plan = box[:, :2] - box[:, :2].mean(axis=0)
    assert np.ptp(plan @ along) == pytest.approx(2.5, abs=TOLERANCE_M)
    assert np.ptp(plan @ across) == pytest.approx(1.0, abs=TOLERANCE_M)
    assert np.ptp(box[:, 2]) == pytest.approx(2.0, abs=TOLERANCE_M)


def test_a_valve_sits_on_its_own_networks_pipe_axis(nodes, tiles_root):
    from twin.models import NetworkSegment

    build_layers(["networks"], progress=lambda m: None)
    drawn = _nodes(tiles_root)
    main = NetworkSegment.objects.get(source_id="CAN-EAU-1")
    axis = np.asarray(main.axis.coords)
    valve, prim = drawn["V-1"]["node"]
    centre = (valve.min(axis=0) + valve.max(axis=0)) / 2
    t = (350.0 - 300.0) / 100.0
    axis_z = axis[0, 2] + t * (axis[1, 2] - axis[0, 2])
    assert centre == pytest.approx([X0 + 350, Y0 + 305.3, axis_z], abs=TOLERANCE_M)
    assert np.ptp(valve[:, 2]) / 2 == pytest.approx(max(0.25, 1.6 * 0.1), abs=TOLERANCE_M)
    assert drawn["V-1"]["row"]["depth_source"] == "pipe_axis" and not drawn["V-1"]["row"]["depth_is_estimate"]
    assert prim.material.get("alphaMode", "OPAQUE") == "OPAQUE"
    gas, _ = drawn["V-2"]["node"]
    ground = float(terrain_height(X0 + 350, Y0 + 305.5))
    assert (gas.min(axis=0) + gas.max(axis=0))[2] / 2 == pytest.approx(ground - 0.8, abs=TOLERANCE_M)
    assert drawn["V-2"]["row"]["depth_source"] == "standard" and drawn["V-2"]["row"]["depth_is_estimate"]
    assert _by_feature(tiles_root)["CAN-EAU-1"]["row"]["feature_kind"] == "segment"


def test_a_node_changed_by_a_sync_rewrites_only_its_tile(nodes, tiles_root, monkeypatch):
    from tiles.builders import networks

    monkeypatch.setattr(networks, "MAX_FEATURES", 2)
    build_layers(["networks"], progress=lambda m: None)
    before = {c.path.name: c.path.stat().st_ino for c in contents(tiles_root, "networks")}
    reg = next(n for n in nodes if n.source_id == "REG-1")
    reg.invert_z -= 0.5
    reg.save()
    [again] = build_layers(["networks"], progress=lambda m: None)
    after = {c.path.name: c.path.stat().st_ino for c in contents(tiles_root, "networks")}
    assert set(after) == set(before) and len(after) > 3
    rewritten = {name for name in after if after[name] != before[name]}
    assert len(rewritten) == again.tiles_rewritten == 1
    assert _nodes(tiles_root)["REG-1"]["row"]["z_bottom"] == pytest.approx(reg.invert_z, abs=0.01)


# Far views: parent tiles of the most significant pipes.


@pytest.fixture
def street_mains(nodes):
    """Thirty-one wavy mains (a vertex every 4 m, zigzagging 0.3 m in plan, 1.1 m under the hilly ground) of
    DN 100 to 600 across the 2 km square, besides the pipes and nodes."""
    from django.contrib.gis.geos import LineString

    from tests.tiles.conftest import make_network
    from twin.models import NetworkSegment

    water = make_network("water")
    rng = np.random.default_rng(7)
    out = []
    for k in range(31):
        x0, y0 = X0 + rng.uniform(50, 1500), Y0 + rng.uniform(50, 1500)
        angle, length = rng.uniform(0, np.pi), rng.uniform(100, 450)
        dn = int(rng.choice([100, 150, 300, 600]))
        if k == 30:  # the heaviest, drawn by every parent above it, with a siphon 2 m deeper for 40 m
            x0, y0, angle, length, dn = X0 + 200, Y0 + 1000, 0.3, 600.0, 1000
        s = np.arange(0.0, length, 4.0)
        zig = 0.3 * (np.arange(len(s)) % 2)
        x = x0 + s * np.cos(angle) - zig * np.sin(angle)
        y = y0 + s * np.sin(angle) + zig * np.cos(angle)
        z = terrain_height(x, y) - 1.1 - 2.0 * ((k == 30) & (np.abs(s - 300) < 20))
        out.append(
            NetworkSegment.objects.create(
                network=water,
                source_key="test",
                source_id=f"MAIN-{k:02d}",
                feature_type="Canalisation",
                geom=LineString(list(zip(x, y)), srid=2154),
                axis=LineString(list(zip(x, y, z)), srid=2154),
                axis_method="cover",
                material="Fonte",
                diameter_nominal_mm=dn,
                precision_xy="B",
                precision_z="B",
            )
        )
    return out


@pytest.fixture
def small_network_tiles(monkeypatch):
    from tiles.builders import networks

    monkeypatch.setattr(networks, "MAX_FEATURES", 6)
    monkeypatch.setattr(networks, "PARENT_FEATURES", 4)


def _tree(tiles_root) -> tuple[dict, dict]:
    """key → (content, subtree's leaf source ids) for every tile with content; the layer's manifest."""
    from tiles.publish import current_dir

    tiles = {}
    for content in contents(tiles_root, "networks"):
        _, table, _ = decode(content)
        tiles[content.path.stem] = (content, table)
    below: dict[str, set] = {key: set() for key in tiles}
    for key, (content, table) in tiles.items():
        if content.tile["geometricError"] == 0:
            for other in below:
                if key.startswith(other):
                    below[other] |= set(table["source_id"])
    manifest = json.loads((current_dir(tiles_root, "networks") / "manifest.json").read_text())
    return {k: (tiles[k][0], tiles[k][1], below[k]) for k in tiles}, manifest


def test_parents_draw_the_heaviest_pipes_of_their_subtree_coarse_without_sleeve_or_node(
    street_mains, tiles_root, small_network_tiles
):
    from tiles.builders.networks import ERROR_FACTOR, PARENT_FEATURES
    from twin.models import NetworkSegment

    [record] = build_layers(["networks"], progress=lambda m: None)
    assert record.status == "published"
    tiles, manifest = _tree(tiles_root)
    parents = {k: t for k, t in tiles.items() if t[0].tile["geometricError"] > 0}
    assert len(parents) >= 5 and "r" in parents
    segments = {s.source_id: s for s in NetworkSegment.objects.select_related("network")}
    sleeve = {
        sid: 2 * (max(0.05, s.diameter_m / 2) + uncertainty_m(s.precision_xy, s.network.network_type))
        for sid, s in segments.items()
    }
    for key, (content, table, below) in parents.items():
        assert [t["refine"] for t in content.parents if "refine" in t][-1] == "REPLACE"
        drawn = set(table["source_id"])
        assert drawn and drawn <= below and drawn <= set(segments), "the subtree's pipes, no node"
        assert set(table["feature_kind"]) == {"segment"} and len(drawn) <= PARENT_FEATURES
        prims, _, _ = decode(content)
        assert [p.material["name"] for p in prims] == ["pipe"], "no sleeve, no shaft"
        # Honest: the widest sleeve of the subtree is left out (drawn pipes lose theirs), times the factor.
        widest = max(sleeve[sid] for sid in below if sid in sleeve)
        assert content.tile["geometricError"] >= ERROR_FACTOR * widest
        for child in content.tile.get("children", ()):
            assert child["geometricError"] < content.tile["geometricError"]
        assert manifest["tiles"][key].get("lod")
    # The root keeps the mains that show most from afar: outer diameter × length.
    weight = {
        sid: max(0.05, s.diameter_m / 2) * np.linalg.norm(np.diff(s.axis.coords, axis=0), axis=1).sum()
        for sid, s in segments.items()
    }
    root_drawn = set(parents["r"][1]["source_id"])
    heaviest = sorted(weight, key=lambda sid: -weight[sid])[: len(root_drawn)]
    assert root_drawn == set(heaviest)
    leaves = [t for t in tiles.values() if t[0].tile["geometricError"] == 0]
    assert {sid for t in leaves for sid in t[1]["source_id"]} == set(segments) | set(_nodes(tiles_root))


def test_parent_pipes_follow_their_axis_within_the_simplification_and_stay_underground(
    street_mains, tiles_root, small_network_tiles
):
    from tiles.builders.networks import PARENT_Z_TOLERANCE_M
    from tiles.lod import tolerance_for
    from twin.models import NetworkSegment

    build_layers(["networks"], progress=lambda m: None)
    tiles, manifest = _tree(tiles_root)
    bounds = manifest["root_bounds"]
    frame = city_frame()
    segments = {s.source_id: s for s in NetworkSegment.objects.all()}
    leaf_vertices = {sid: len(f["pipe"][0]) for sid, f in _by_feature(tiles_root).items() if "pipe" in f}
    simplified = checked = 0
    for key, (content, table, _) in tiles.items():
        if content.tile["geometricError"] == 0:
            continue
        tol_xy = tolerance_for((bounds[2] - bounds[0]) / 2 ** (len(key) - 1))
        # Heights move 10 cm at most, however coarse the plan: a siphon stays a siphon.
        assert PARENT_Z_TOLERANCE_M <= 0.1
        tol_z = min(tol_xy, 0.1)
        [prim], _, _ = decode(content)
        x, y, h = frame.from_ecef(prim.ecef)
        for fid in np.unique(prim.feature_ids):
            sid = table["source_id"][fid]
            sel = prim.feature_ids == fid
            # Every vertex of the coarse tube: within its radius (mitred) plus the plan and height tolerances of
            # a point of the true axis (densified every 5 cm).
            axis = np.asarray(segments[sid].axis.coords)
            dense = np.concatenate(
                [
                    a + np.linspace(0, 1, max(2, int(np.linalg.norm(b - a) / 0.05)))[:, None] * (b - a)
                    for a, b in zip(axis[:-1], axis[1:])
                ]
            )
            reach = max(0.05, segments[sid].diameter_m / 2) / np.cos(np.pi / 4) + 0.01
            for vx, vy, vh in zip(x[sel], y[sel], h[sel]):
                plan = np.hypot(dense[:, 0] - vx, dense[:, 1] - vy) <= reach + tol_xy
                assert (np.abs(dense[plan, 2] - vh) <= reach + tol_z).any(), (key, sid, vx, vy, vh)
            # And back: every vertex of the true axis is that close to the coarse tube's surface (its triangle
            # edges sampled every 50 cm), so no dip of the axis (the siphon) is cut off.
            tri = prim.indices.reshape(-1, 3)
            tri = tri[sel[tri[:, 0]]]
            edges = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
            local = np.column_stack([x, y, h])
            a, b = local[edges[:, 0]], local[edges[:, 1]]
            steps = np.maximum(2, np.ceil(np.linalg.norm(b - a, axis=1) / 0.5).astype(int) + 1)
            surface = np.concatenate(
                [a[i] + np.linspace(0, 1, steps[i])[:, None] * (b[i] - a[i]) for i in range(len(a))]
            )
            for px, py, pz in axis:
                plan = np.hypot(surface[:, 0] - px, surface[:, 1] - py) <= reach + tol_xy
                assert (np.abs(surface[plan, 2] - pz) <= reach + tol_z).any(), (key, sid, px, py, pz)
            assert (h[sel] < terrain_height(x[sel], y[sel])).all(), (key, sid, "above ground")
            simplified += sel.sum() < leaf_vertices[sid] / 2
            checked += 1
    assert checked >= 10 and simplified >= 5, "coarse: fewer sides, fewer vertices"


def test_a_pipe_changed_by_a_sync_rewrites_its_leaf_and_the_parents_that_draw_it(
    street_mains, tiles_root, small_network_tiles
):
    build_layers(["networks"], progress=lambda m: None)
    before = {c.path.name: c.path.stat().st_ino for c in contents(tiles_root, "networks")}
    tiles, _ = _tree(tiles_root)
    [unchanged] = build_layers(["networks"], progress=lambda m: None)
    assert unchanged.tiles_rewritten == 0
    # Lowered by 10 cm: same plan, same weight, so the same parents keep it.
    drawn_by = {m.source_id: sum(m.source_id in t[1]["source_id"] for t in tiles.values()) for m in street_mains}
    main = max(street_mains, key=lambda m: (drawn_by[m.source_id], m.source_id))
    main.axis = type(main.axis)([(x, y, z - 0.1) for x, y, z in main.axis.coords], srid=2154)
    main.save()
    [again] = build_layers(["networks"], progress=lambda m: None)
    after = {c.path.name: c.path.stat().st_ino for c in contents(tiles_root, "networks")}
    assert set(after) == set(before)
    rewritten = {name for name in after if after[name] != before[name]}
    drawing = {f"{key}.glb" for key, (_, table, _) in tiles.items() if main.source_id in table["source_id"]}
    assert len(drawing) >= 3, "its leaf and at least two parents"
    assert rewritten == drawing and again.tiles_rewritten == len(drawing)
