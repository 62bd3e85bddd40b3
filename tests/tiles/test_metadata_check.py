"""Every tile the real builders publish keeps the binary rules of 3d-tiles-validator's property-table checks, columns
of empty strings included; and the check itself catches each broken rule the validator reports."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from tests.tiles.conftest import make_buildings
from tests.tiles.gltf_validator import assert_valid_glb
from tests.tiles.metadata_check import check_glb
from tests.tiles.test_build_projects import make_variant
from tests.tiles.tile_reading import contents, decode
from tiles.build import build_layers
from tiles.glb import Primitive, read_glb, read_property_table, write_glb
from twin.models import Building

pytestmark = pytest.mark.django_db


def _published_tiles(tiles_root, layer: str) -> list:
    [record] = build_layers([layer], progress=lambda m: None)
    assert record.status == "published", record
    return contents(tiles_root, layer)


def _assert_all_valid(tiles) -> None:
    assert tiles
    for content in tiles:
        assert check_glb(content.path.read_bytes()) == [], content.uri


def test_every_building_tile_keeps_the_property_table_rules(buildings, tiles_root):
    _assert_all_valid(_published_tiles(tiles_root, "buildings"))


def test_a_building_tile_where_no_building_has_a_name_validates_and_reads_empty_names(terrain, tiles_root, tmp_path):
    make_buildings(30)
    Building.objects.update(name="")
    tiles = _published_tiles(tiles_root, "buildings")
    _assert_all_valid(tiles)
    for content in tiles:
        _, table, document = decode(content)
        meta = document["extensions"]["EXT_structural_metadata"]
        # No values can describe zero bytes of strings in glTF, so the column is left out and read as its default.
        assert "name" not in meta["propertyTables"][0]["properties"]
        assert meta["schema"]["classes"]["building"]["properties"]["name"] == {"type": "STRING", "default": ""}
        assert table["name"] == [""] * meta["propertyTables"][0]["count"]
        assert all(sid.startswith("BATIMENT") for sid in table["source_id"])
    assert_valid_glb(tiles[0].path.read_bytes(), tmp_path)


def test_every_network_tile_keeps_the_property_table_rules(nodes, tiles_root):
    _assert_all_valid(_published_tiles(tiles_root, "networks"))


def test_a_network_tile_of_pipes_only_validates_without_node_columns(pipes, tiles_root, tmp_path):
    tiles = _published_tiles(tiles_root, "networks")
    _assert_all_valid(tiles)
    _, table, document = decode(tiles[0])
    stored = document["extensions"]["EXT_structural_metadata"]["propertyTables"][0]["properties"]
    assert "node_type" not in stored and "depth_source" not in stored
    assert set(table["node_type"]) == {""} and set(table["feature_kind"]) == {"segment"}
    assert_valid_glb(tiles[0].path.read_bytes(), tmp_path)


def test_every_project_tile_keeps_the_property_table_rules(db, tmp_path, tiles_root):
    variant = make_variant(tmp_path, "a", 30.0)
    _assert_all_valid(_published_tiles(tiles_root, variant.tile_layer))


# The check itself: each rule the validator applies, broken once on an otherwise valid tile.


def _tile(columns: dict | None = None, ids=("a", "b")) -> bytes:
    positions = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [5, 0, 0], [6, 0, 0], [5, 1, 0]], np.float32)
    fids = np.array([0, 0, 0, 1, 1, 1])
    return write_glb([Primitive(positions, np.arange(6), fids)], list(ids), columns or {"label": ["x", "yz"]})


def _pack(document: dict, binary: bytes) -> bytes:
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    total = 28 + len(text) + len(binary)
    return (
        struct.pack("<III", 0x46546C67, 2, total)
        + struct.pack("<II", len(text), 0x4E4F534A)
        + text
        + struct.pack("<II", len(binary), 0x004E4942)
        + binary
    )


def _edit(data: bytes, change) -> bytes:
    document, binary = read_glb(data)
    binary = bytearray(binary)
    change(document, binary)
    document["buffers"][0]["byteLength"] = len(binary)
    return _pack(document, bytes(binary))


def _add_view(document: dict, binary: bytearray, data: bytes) -> int:
    binary.extend(b"\0" * (-len(binary) % 8))
    document["bufferViews"].append({"buffer": 0, "byteOffset": len(binary), "byteLength": len(data)})
    binary.extend(data)
    return len(document["bufferViews"]) - 1


def _table(document: dict) -> dict:
    return document["extensions"]["EXT_structural_metadata"]["propertyTables"][0]


def test_the_check_passes_a_valid_tile_and_catches_the_one_byte_values_of_empty_strings():
    assert check_glb(_tile()) == []

    def empty_strings_in_a_one_byte_view(document, binary):
        # What the writer used to publish: offsets ending at 0 over a 1-byte values view.
        entry = _table(document)["properties"]["label"]
        entry["values"] = _add_view(document, binary, b"\0")
        entry["stringOffsets"] = _add_view(document, binary, np.zeros(3, np.uint32).tobytes())

    [problem] = check_glb(_edit(_tile(), empty_strings_in_a_one_byte_view))
    assert "properties/label/values" in problem and "byteLength is 1" in problem and "take 0 bytes" in problem


def test_the_check_catches_offsets_of_the_wrong_count_or_order():
    def descending(document, binary):
        _table(document)["properties"]["label"]["stringOffsets"] = _add_view(
            document, binary, np.array([0, 2, 1], np.uint32).tobytes()
        )

    def one_row_more(document, binary):
        _table(document)["count"] = 3

    [problem] = check_glb(_edit(_tile(), descending))
    assert "must ascend" in problem
    problems = check_glb(_edit(_tile(), one_row_more))
    assert any("label/stringOffsets: byteLength is 12, expected (3 + 1) * 4 = 16" in p for p in problems), problems


def test_the_check_catches_numbers_and_booleans_of_the_wrong_length():
    data = _tile({"height": np.array([3.0, 4.0], np.float32), "listed": np.array([True, False])})
    assert check_glb(data) == []

    def short(document, binary):
        entry = _table(document)["properties"]
        entry["height"]["values"] = _add_view(document, binary, np.float32(3.0).tobytes())
        entry["listed"]["values"] = _add_view(document, binary, b"\1\0")

    problems = check_glb(_edit(data, short))
    assert len(problems) == 2 and "height/values: byteLength is 4" in problems[0] and "listed/values" in problems[1]


def test_the_check_catches_a_required_column_left_out_and_a_zero_length_view():
    def required_and_empty(document, binary):
        schema = document["extensions"]["EXT_structural_metadata"]["schema"]
        schema["classes"]["feature"]["properties"]["owner"] = {"type": "STRING", "required": True}
        document["bufferViews"].append({"buffer": 0, "byteOffset": 0, "byteLength": 0})

    problems = check_glb(_edit(_tile(), required_and_empty))
    assert any("required property 'owner' is missing" in p for p in problems)
    assert any(p.startswith("/bufferViews/") and "at least 1" in p for p in problems)


def test_the_check_reads_arrays_and_enums_and_catches_values_outside_the_enum():
    def add_array_and_enum(values: bytes):
        def change(document, binary):
            meta = document["extensions"]["EXT_structural_metadata"]
            meta["schema"]["enums"] = {
                "kind": {"valueType": "UINT8", "values": [{"name": "pipe", "value": 0}, {"name": "node", "value": 1}]}
            }
            props = meta["schema"]["classes"]["feature"]["properties"]
            props["kind"] = {"type": "ENUM", "enumType": "kind"}
            props["depths"] = {"type": "SCALAR", "componentType": "UINT16", "array": True}
            props["corner"] = {"type": "VEC2", "componentType": "FLOAT32", "array": True, "count": 2}
            table = _table(document)["properties"]
            table["kind"] = {"values": _add_view(document, binary, values)}
            table["depths"] = {
                "values": _add_view(document, binary, np.array([1, 2, 3], np.uint16).tobytes()),
                "arrayOffsets": _add_view(document, binary, np.array([0, 1, 3], np.uint32).tobytes()),
            }
            table["corner"] = {"values": _add_view(document, binary, np.zeros(8, np.float32).tobytes())}

        return change

    assert check_glb(_edit(_tile(), add_array_and_enum(bytes([0, 1])))) == []
    [problem] = check_glb(_edit(_tile(), add_array_and_enum(bytes([0, 7]))))
    assert "enum values [7]" in problem


def test_the_check_catches_feature_ids_beyond_the_table_or_the_feature_count():
    def fewer_rows(document, binary):
        _table(document)["count"] = 1
        _table(document)["properties"] = {}

    def undercounted(document, binary):
        document["meshes"][0]["primitives"][0]["extensions"]["EXT_mesh_features"]["featureIds"][0]["featureCount"] = 1

    assert any("span [0, 1] but property table 0 has 1 rows" in p for p in check_glb(_edit(_tile(), fewer_rows)))
    assert any("2 distinct feature ids but featureCount is 1" in p for p in check_glb(_edit(_tile(), undercounted)))


def test_an_all_empty_string_column_reads_back_and_passes_gltf_validator(tmp_path):
    data = _tile({"label": ["", ""], "note": ["", "é"]})
    assert check_glb(data) == []
    document, binary = read_glb(data)
    assert set(_table(document)["properties"]) == {"source_id", "note"}
    assert read_property_table(document, binary)["label"] == ["", ""]
    assert read_property_table(document, binary)["note"] == ["", "é"]
    assert_valid_glb(data, tmp_path)
