"""The glb writer: valid glTF, Y-up axes, centimetre round trip, feature ids and property tables."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from tests.tiles.gltf_validator import assert_valid_glb
from tiles.extrude import extrude_footprints
from tiles.glb import (
    Material,
    Primitive,
    ecef_to_gltf,
    gltf_to_ecef,
    read_accessor,
    read_glb,
    read_property_table,
    write_glb,
)
from tiles.tileset import enu_to_ecef_rotation, geodetic_to_ecef

ANTIBES = (math.radians(7.1250), math.radians(43.5800))


def _grid_footprints(n: int, spacing: float = 30.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n octagons of ~6 m radius on a grid, local east/north metres."""
    side = math.ceil(math.sqrt(n))
    angles = np.linspace(0.0, 2.0 * np.pi, 9)[:-1]
    cx = (np.arange(n) % side) * spacing
    cy = (np.arange(n) // side) * spacing
    x = cx[:, None] + 6.0 * np.cos(angles)
    y = cy[:, None] + 6.0 * np.sin(angles)
    coords = np.stack([x.ravel(), y.ravel()], axis=1)
    return coords, np.arange(n + 1) * 8, np.arange(n + 1)


def _tile_in_ecef(n: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Extruded buildings placed near Antibes: ECEF positions, ECEF normals, indices, feature ids."""
    coords, rings, polys = _grid_footprints(n)
    heights = 5.0 + np.arange(n) % 7 * 3.0
    mesh = extrude_footprints(coords, rings, polys, np.full(n, 12.0), 12.0 + heights)
    rot = enu_to_ecef_rotation(*ANTIBES)
    origin = geodetic_to_ecef(ANTIBES[0], ANTIBES[1], 0.0)
    ecef = origin + mesh.positions @ rot.T
    normals = mesh.normals.astype(np.float64) @ rot.T
    return ecef, normals.astype(np.float32), mesh.indices, mesh.feature_ids


def _decode_primitive(document: dict, binary: bytes, index: int = 0) -> dict[str, np.ndarray]:
    prim = document["meshes"][0]["primitives"][index]
    out = {name: read_accessor(document, binary, acc) for name, acc in prim["attributes"].items()}
    out["indices"] = read_accessor(document, binary, prim["indices"])
    return out


def test_it_writes_a_glb_that_gltf_validator_accepts(tmp_path):
    ecef, normals, indices, fids = _tile_in_ecef()
    centre = ecef.mean(axis=0)
    k = int(fids.max()) + 1
    data = write_glb(
        [Primitive((ecef - centre).astype(np.float32), indices, fids, normals)],
        [f"BATIMENT{i:016d}" for i in range(k)],
        {
            "height": np.linspace(3.0, 30.0, k).astype(np.float32),
            "area": np.linspace(50.0, 500.0, k),
            "floors": np.arange(k, dtype=np.int32),
            "year": np.full(k, 1975, dtype=np.uint16),
            "listed": np.arange(k) % 3 == 0,
            "usage": ["Résidentiel"] * k,
        },
        class_name="building",
    )
    report = assert_valid_glb(data, tmp_path)
    assert report["numErrors"] == 0


def test_decoded_positions_plus_the_centre_give_back_ecef_within_a_centimetre():
    ecef, normals, indices, fids = _tile_in_ecef()
    centre = ecef.mean(axis=0)
    data = write_glb(
        [Primitive((ecef - centre).astype(np.float32), indices, fids, normals)],
        [str(i) for i in range(int(fids.max()) + 1)],
    )
    document, binary = read_glb(data)
    back = gltf_to_ecef(_decode_primitive(document, binary)["POSITION"]) + centre
    assert np.abs(back - ecef).max() < 0.01


def test_it_turns_ecef_z_up_into_gltf_y_up():
    up = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    assert ecef_to_gltf(up).tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]]
    assert np.array_equal(gltf_to_ecef(ecef_to_gltf(up)), up)


def test_position_min_max_and_normals_match_the_data():
    ecef, normals, indices, fids = _tile_in_ecef(10)
    centre = ecef.mean(axis=0)
    data = write_glb(
        [Primitive((ecef - centre).astype(np.float32), indices, fids, normals)], [str(i) for i in range(10)]
    )
    document, binary = read_glb(data)
    prim = _decode_primitive(document, binary)
    accessor = document["accessors"][document["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]
    assert accessor["min"] == prim["POSITION"].min(axis=0).tolist()
    assert accessor["max"] == prim["POSITION"].max(axis=0).tolist()
    assert np.allclose(np.linalg.norm(prim["NORMAL"], axis=1), 1.0, atol=1e-6)
    assert np.array_equal(prim["indices"], indices)


def test_feature_ids_are_dense_and_the_property_table_reads_back():
    ecef, normals, indices, fids = _tile_in_ecef(40)
    centre = ecef.mean(axis=0)
    ids = [f"bât-{i}" for i in range(40)]
    heights = np.linspace(3.0, 30.0, 40).astype(np.float32)
    data = write_glb(
        [Primitive((ecef - centre).astype(np.float32), indices, fids, normals)],
        ids,
        {"height": heights, "listed": np.arange(40) % 2 == 0, "code": np.arange(40, dtype=np.int32) - 5},
    )
    document, binary = read_glb(data)
    feature_ids = _decode_primitive(document, binary)["_FEATURE_ID_0"]
    assert np.array_equal(np.unique(feature_ids), np.arange(40))
    ext = document["meshes"][0]["primitives"][0]["extensions"]["EXT_mesh_features"]["featureIds"][0]
    table = document["extensions"]["EXT_structural_metadata"]["propertyTables"][0]
    assert ext == {"featureCount": 40, "attribute": 0, "propertyTable": 0}
    assert table["count"] == ext["featureCount"]
    columns = read_property_table(document, binary)
    assert columns["source_id"] == ids
    assert np.array_equal(columns["height"], heights)
    assert columns["listed"].tolist() == [i % 2 == 0 for i in range(40)]
    assert columns["code"].tolist() == list(range(-5, 35))
    schema = document["extensions"]["EXT_structural_metadata"]["schema"]
    props = schema["classes"]["feature"]["properties"]
    assert props["source_id"] == {"type": "STRING", "default": ""}
    assert props["height"] == {"type": "SCALAR", "componentType": "FLOAT32"}
    assert props["listed"] == {"type": "BOOLEAN"}
    assert table["properties"]["source_id"]["stringOffsetType"] == "UINT32"


def test_buffer_views_are_aligned_and_vertex_views_carry_targets():
    ecef, normals, indices, fids = _tile_in_ecef(5)
    data = write_glb([Primitive((ecef - ecef[0]).astype(np.float32), indices, fids, normals)], list("abcde"))
    document, _ = read_glb(data)
    for view in document["bufferViews"]:
        assert view["byteOffset"] % 8 == 0
    prim = document["meshes"][0]["primitives"][0]
    for acc in prim["attributes"].values():
        assert document["bufferViews"][document["accessors"][acc]["bufferView"]]["target"] == 34962
    assert document["bufferViews"][document["accessors"][prim["indices"]]["bufferView"]]["target"] == 34963
    json_length, kind = struct.unpack_from("<II", data, 12)
    assert json_length % 4 == 0 and len(data) % 4 == 0


def test_a_translucent_sleeve_and_vertex_colours_validate(tmp_path):
    ecef, normals, indices, fids = _tile_in_ecef(4)
    rel = (ecef - ecef.mean(axis=0)).astype(np.float32)
    colours = np.tile(np.array([[200, 40, 40, 255]], dtype=np.uint8), (rel.shape[0], 1))
    sleeve = Material(base_color=(1.0, 0.6, 0.0, 0.35), alpha_mode="BLEND", double_sided=True)
    data = write_glb(
        [
            Primitive(rel, indices, fids, normals, colors=colours),
            Primitive(rel * 1.1, indices, fids, normals, material=sleeve),
        ],
        ["a", "b", "c", "d"],
    )
    assert_valid_glb(data, tmp_path)
    document, _ = read_glb(data)
    assert document["materials"][1]["alphaMode"] == "BLEND"
    assert document["materials"][1]["doubleSided"] is True


def test_a_primitive_with_a_subset_of_features_counts_only_those():
    ecef, normals, indices, fids = _tile_in_ecef(4)
    rel = (ecef - ecef.mean(axis=0)).astype(np.float32)
    data = write_glb(
        [Primitive(rel, indices, fids, normals), Primitive(rel, indices, np.zeros_like(fids), normals)],
        ["a", "b", "c", "d"],
    )
    document, _ = read_glb(data)
    counts = [
        p["extensions"]["EXT_mesh_features"]["featureIds"][0]["featureCount"]
        for p in document["meshes"][0]["primitives"]
    ]
    assert counts == [4, 1]


def test_large_tiles_switch_to_32_bit_indices_and_still_validate(tmp_path):
    ecef, normals, indices, fids = _tile_in_ecef(2000)
    assert ecef.shape[0] > 65535
    data = write_glb(
        [Primitive((ecef - ecef.mean(axis=0)).astype(np.float32), indices, fids, normals)],
        [str(i) for i in range(2000)],
    )
    document, binary = read_glb(data)
    prim = document["meshes"][0]["primitives"][0]
    assert document["accessors"][prim["indices"]]["componentType"] == 5125
    assert np.array_equal(read_accessor(document, binary, prim["indices"]), indices)
    assert_valid_glb(data, tmp_path)


def test_empty_source_ids_still_validate(tmp_path):
    ecef, normals, indices, fids = _tile_in_ecef(2)
    data = write_glb([Primitive((ecef - ecef[0]).astype(np.float32), indices, fids, normals)], ["", ""])
    assert_valid_glb(data, tmp_path)
    document, binary = read_glb(data)
    assert read_property_table(document, binary)["source_id"] == ["", ""]


def test_it_rejects_feature_ids_beyond_the_source_ids():
    ecef, normals, indices, fids = _tile_in_ecef(3)
    with pytest.raises(ValueError, match="feature ids span 0..2 but only 2"):
        write_glb([Primitive((ecef - ecef[0]).astype(np.float32), indices, fids, normals)], ["a", "b"])


def test_it_rejects_a_property_name_that_is_not_an_identifier():
    ecef, normals, indices, fids = _tile_in_ecef(1)
    with pytest.raises(ValueError, match="not a valid metadata identifier"):
        write_glb(
            [Primitive((ecef - ecef[0]).astype(np.float32), indices, fids, normals)],
            ["a"],
            {"hauteur max": np.ones(1, np.float32)},
        )


def test_it_rejects_a_column_of_the_wrong_length():
    ecef, normals, indices, fids = _tile_in_ecef(2)
    with pytest.raises(ValueError, match="height"):
        write_glb(
            [Primitive((ecef - ecef[0]).astype(np.float32), indices, fids, normals)],
            ["a", "b"],
            {"height": np.ones(3, np.float32)},
        )


def test_it_rejects_a_truncated_glb():
    ecef, normals, indices, fids = _tile_in_ecef(1)
    data = write_glb([Primitive((ecef - ecef[0]).astype(np.float32), indices, fids, normals)], ["a"])
    with pytest.raises(ValueError, match="truncated"):
        read_glb(data[:-8])
