"""The binary rules of EXT_structural_metadata property tables and EXT_mesh_features ids, as 3d-tiles-validator 0.6.1
applies them (BinaryPropertyTableValidator, FeatureIdValidator), in pure Python: CI cannot download that validator.

check_glb(data) returns one message per broken rule, each naming the JSON path the validator would report.
"""

from __future__ import annotations

import math

import numpy as np

from tiles.glb import read_accessor, read_glb

_SIZES = {
    "INT8": 1,
    "UINT8": 1,
    "INT16": 2,
    "UINT16": 2,
    "INT32": 4,
    "UINT32": 4,
    "INT64": 8,
    "UINT64": 8,
    "FLOAT32": 4,
    "FLOAT64": 8,
}
_DTYPES = {name: np.dtype(name.lower()).newbyteorder("<") for name in _SIZES}
_COMPONENTS = {
    "SCALAR": 1,
    "VEC2": 2,
    "VEC3": 3,
    "VEC4": 4,
    "MAT2": 4,
    "MAT3": 9,
    "MAT4": 16,
    "STRING": 1,
    "BOOLEAN": 1,
    "ENUM": 1,
}
_OFFSET_TYPES = ("UINT8", "UINT16", "UINT32", "UINT64")


class _Tile:
    """One glb's JSON and BIN chunk, with the problems found so far."""

    def __init__(self, data: bytes):
        self.document, self.binary = read_glb(data)
        self.views: list[dict] = self.document.get("bufferViews", [])
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def view(self, path: str, index: object) -> dict | None:
        if not isinstance(index, int) or not 0 <= index < len(self.views):
            self.problem(path, f"buffer view {index!r} does not exist ({len(self.views)} buffer views)")
            return None
        return self.views[index]

    def view_bytes(self, view: dict) -> bytes:
        start = view.get("byteOffset", 0)
        return self.binary[start : start + view["byteLength"]]


def check_glb(data: bytes) -> list[str]:
    """Every broken buffer-view, property-table and feature-id rule of one glb tile; [] when it validates."""
    tile = _Tile(data)
    _check_buffer_views(tile)
    meta = tile.document.get("extensions", {}).get("EXT_structural_metadata")
    if meta is not None:
        schema = meta.get("schema", {})
        for number, table in enumerate(meta.get("propertyTables", [])):
            _check_table(tile, schema, table, f"/extensions/EXT_structural_metadata/propertyTables/{number}")
    _check_feature_ids(tile, meta or {})
    return tile.problems


def _check_buffer_views(tile: _Tile) -> None:
    buffers = tile.document.get("buffers", [])
    for number, view in enumerate(tile.views):
        path = f"/bufferViews/{number}"
        length = view.get("byteLength", 0)
        if length < 1:
            tile.problem(path, f"byteLength is {length}; glTF requires at least 1")
        buffer = view.get("buffer", 0)
        if not 0 <= buffer < len(buffers):
            tile.problem(path, f"buffer {buffer} does not exist")
            continue
        end = view.get("byteOffset", 0) + length
        if end > buffers[buffer]["byteLength"] or (buffer == 0 and end > len(tile.binary)):
            tile.problem(path, f"ends at byte {end}, past the end of buffer {buffer}")


def _offsets(tile: _Tile, path: str, entry: dict, key: str, type_key: str, how_many: int) -> np.ndarray | None:
    """Read and check an arrayOffsets or stringOffsets view: how_many + 1 ascending values of its type."""
    offset_type = entry.get(type_key, "UINT32")
    if offset_type not in _OFFSET_TYPES:
        tile.problem(f"{path}/{type_key}", f"{offset_type!r} is not one of {_OFFSET_TYPES}")
        return None
    if key not in entry:
        tile.problem(path, f"has no '{key}' buffer view")
        return None
    view = tile.view(f"{path}/{key}", entry[key])
    if view is None:
        return None
    size = _SIZES[offset_type]
    if view.get("byteOffset", 0) % size:
        tile.problem(f"{path}/{key}", f"byteOffset {view.get('byteOffset', 0)} is not aligned to {size} bytes")
    expected = (how_many + 1) * size
    if view["byteLength"] != expected:
        tile.problem(
            f"{path}/{key}",
            f"byteLength is {view['byteLength']}, expected ({how_many} + 1) * {size} "
            f"= {expected} for {offset_type} offsets",
        )
        return None
    offsets = np.frombuffer(tile.view_bytes(view), dtype=_DTYPES[offset_type]).astype(np.int64)
    falling = np.flatnonzero(np.diff(offsets) < 0)
    if falling.size:
        i = int(falling[0])
        tile.problem(
            f"{path}/{key}", f"offsets must ascend, but value {i} is {offsets[i]} and value {i + 1} is {offsets[i + 1]}"
        )
        return None
    return offsets


def _check_table(tile: _Tile, schema: dict, table: dict, path: str) -> None:
    classes = schema.get("classes", {})
    class_name = table.get("class")
    if class_name not in classes:
        tile.problem(f"{path}/class", f"class {class_name!r} is not in the schema")
        return
    count = table.get("count", 0)
    if not isinstance(count, int) or count < 1:
        tile.problem(f"{path}/count", f"count is {count!r}; it must be an integer of at least 1")
        return
    definitions: dict = classes[class_name].get("properties", {})
    columns: dict = table.get("properties", {})
    for name in columns:
        if name not in definitions:
            tile.problem(f"{path}/properties/{name}", f"class {class_name!r} has no property {name!r}")
    for name, definition in definitions.items():
        prop_path = f"{path}/properties/{name}"
        required = definition.get("required", False)
        if required and ("default" in definition or "noData" in definition):
            tile.problem(prop_path, "a required property may give neither 'default' nor 'noData'")
        if name not in columns:
            if required:
                tile.problem(prop_path, f"required property {name!r} is missing from the table")
            continue
        _check_column(tile, schema, definition, columns[name], count, prop_path)


def _check_column(tile: _Tile, schema: dict, definition: dict, entry: dict, count: int, path: str) -> None:
    type_ = definition.get("type")
    if type_ not in _COMPONENTS:
        tile.problem(path, f"type {type_!r} is not a metadata type")
        return
    is_array = definition.get("array", False)
    fixed = definition.get("count")
    values_count = count  # elements (strings, booleans, vectors) in the values view
    if is_array and fixed is None:
        array_offsets = _offsets(tile, path, entry, "arrayOffsets", "arrayOffsetType", count)
        if array_offsets is None:
            return
        values_count = int(array_offsets[-1])
    elif is_array:
        values_count = count * fixed

    if type_ == "ENUM":
        enum = schema.get("enums", {}).get(definition.get("enumType"))
        if enum is None:
            tile.problem(path, f"enum type {definition.get('enumType')!r} is not in the schema")
            return
        component = enum.get("valueType", "UINT16")
    elif type_ in ("STRING", "BOOLEAN"):
        component = "UINT8"
    else:
        component = definition.get("componentType")
        if component not in _SIZES:
            tile.problem(path, f"componentType {component!r} is not a metadata component type")
            return

    if "values" not in entry:
        tile.problem(path, "has no 'values' buffer view")
        return
    view = tile.view(f"{path}/values", entry["values"])
    if view is None:
        return
    size = _SIZES[component]
    if size > 1 and view.get("byteOffset", 0) % size:
        tile.problem(
            f"{path}/values", f"byteOffset {view.get('byteOffset', 0)} is not aligned to {size} bytes for {component}"
        )

    if type_ == "STRING":
        string_offsets = _offsets(tile, path, entry, "stringOffsets", "stringOffsetType", values_count)
        if string_offsets is None:
            return
        expected = int(string_offsets[-1])
        why = f"the last stringOffsets value says the strings take {expected} bytes"
    elif type_ == "BOOLEAN":
        expected = math.ceil(values_count / 8)
        why = f"{values_count} booleans take ceil({values_count} / 8) = {expected} bytes"
    else:
        expected = values_count * _COMPONENTS[type_] * size
        why = f"{values_count} x {type_} of {component} take {expected} bytes"
    if view["byteLength"] != expected:
        tile.problem(f"{path}/values", f"byteLength is {view['byteLength']}, but {why} (METADATA_INVALID_LENGTH)")
        return

    if type_ == "STRING":
        try:
            tile.view_bytes(view).decode("utf-8")
        except UnicodeDecodeError as exc:
            tile.problem(f"{path}/values", f"strings are not UTF-8: {exc}")
    if type_ == "ENUM":
        allowed = {v["value"] for v in enum.get("values", [])}
        stored = np.frombuffer(tile.view_bytes(view), dtype=_DTYPES[component])
        unknown = sorted(set(stored.tolist()) - allowed)
        if unknown:
            tile.problem(
                f"{path}/values",
                f"enum values {unknown[:5]} are not values of {definition['enumType']!r} ({sorted(allowed)})",
            )


def _check_feature_ids(tile: _Tile, meta: dict) -> None:
    tables = meta.get("propertyTables", [])
    for m, mesh in enumerate(tile.document.get("meshes", [])):
        for p, prim in enumerate(mesh.get("primitives", [])):
            ext = prim.get("extensions", {}).get("EXT_mesh_features")
            if ext is None:
                continue
            for f, feature_id in enumerate(ext.get("featureIds", [])):
                path = f"/meshes/{m}/primitives/{p}/extensions/EXT_mesh_features/featureIds/{f}"
                feature_count = feature_id.get("featureCount", 0)
                if feature_count < 1:
                    tile.problem(path, f"featureCount is {feature_count}; it must be at least 1")
                if "attribute" not in feature_id:
                    continue
                attribute = f"_FEATURE_ID_{feature_id['attribute']}"
                if attribute not in prim.get("attributes", {}):
                    tile.problem(f"{path}/attribute", f"the primitive has no {attribute} attribute")
                    continue
                ids = set(read_accessor(tile.document, tile.binary, prim["attributes"][attribute]).tolist())
                ids.discard(feature_id.get("nullFeatureId"))
                if len(ids) > feature_count:
                    tile.problem(path, f"{len(ids)} distinct feature ids but featureCount is {feature_count}")
                table = feature_id.get("propertyTable")
                if table is None or not ids:
                    continue
                if not 0 <= table < len(tables):
                    tile.problem(f"{path}/propertyTable", f"property table {table} does not exist")
                    continue
                rows = tables[table].get("count", 0)
                if min(ids) < 0 or max(ids) >= rows:
                    tile.problem(
                        path,
                        f"feature ids span [{int(min(ids))}, {int(max(ids))}] but property table "
                        f"{table} has {rows} rows",
                    )
