"""Pack triangle meshes and per-feature properties into one glTF 2.0 binary (glb) with EXT_mesh_features and
EXT_structural_metadata."""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "GLB_WRITER_VERSION",
    "Material",
    "Primitive",
    "write_glb",
    "read_glb",
    "read_accessor",
    "read_property_table",
    "ecef_to_gltf",
    "gltf_to_ecef",
]

# Part of every incremental build's tile hash (tiles/builders): a change here that alters the bytes written for the
# same input must bump it, or unchanged features keep tiles of the old writer.
GLB_WRITER_VERSION = "glb-2"

_GLB_MAGIC = 0x46546C67  # "glTF"
_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942

_FLOAT = 5126
_UNSIGNED_BYTE = 5121
_UNSIGNED_SHORT = 5123
_UNSIGNED_INT = 5125
_ARRAY_BUFFER = 34962
_ELEMENT_ARRAY_BUFFER = 34963

# EXT_structural_metadata asks for 8-byte aligned property buffer views so that
# FLOAT64/INT64 columns can be read in place; we align every view alike.
_ALIGN = 8

_IDENTIFIER = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

_METADATA_COMPONENT = {
    np.dtype(np.int8): "INT8",
    np.dtype(np.uint8): "UINT8",
    np.dtype(np.int16): "INT16",
    np.dtype(np.uint16): "UINT16",
    np.dtype(np.int32): "INT32",
    np.dtype(np.uint32): "UINT32",
    np.dtype(np.int64): "INT64",
    np.dtype(np.uint64): "UINT64",
    np.dtype(np.float32): "FLOAT32",
    np.dtype(np.float64): "FLOAT64",
}
_METADATA_DTYPE = {name: dtype for dtype, name in _METADATA_COMPONENT.items()}

_ACCESSOR_DTYPE = {
    5120: np.int8,
    _UNSIGNED_BYTE: np.uint8,
    5122: np.int16,
    _UNSIGNED_SHORT: np.uint16,
    _UNSIGNED_INT: np.uint32,
    _FLOAT: np.float32,
}
_ACCESSOR_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


@dataclass(frozen=True)
class Material:
    """A glTF metallic-roughness material; colours are linear RGBA in 0..1."""

    base_color: tuple[float, float, float, float] = (0.8, 0.8, 0.8, 1.0)
    metallic: float = 0.0
    roughness: float = 1.0
    alpha_mode: Literal["OPAQUE", "BLEND", "MASK"] = "OPAQUE"
    double_sided: bool = False
    name: str | None = None

    def to_json(self) -> dict:
        out: dict = {
            "pbrMetallicRoughness": {
                "baseColorFactor": [float(c) for c in self.base_color],
                "metallicFactor": float(self.metallic),
                "roughnessFactor": float(self.roughness),
            },
        }
        if self.alpha_mode != "OPAQUE":
            out["alphaMode"] = self.alpha_mode
        if self.double_sided:
            out["doubleSided"] = True
        if self.name:
            out["name"] = self.name
        return out


DEFAULT_MATERIAL = Material()


@dataclass
class Primitive:
    """One triangle list of a tile.

    positions: (n, 3) metres, ECEF (EPSG:4978, Z-up) minus the tile centre;
        float32 is expected, float64 is cast here.
    indices: (m,) vertex indices, m a multiple of 3, counter-clockwise seen
        from the front face.
    feature_ids: (n,) per-vertex row of the tile's property table (0..k-1).
    normals: (n, 3) unit vectors in the same ECEF axes, or None.
    colors: (n, 4) per-vertex RGBA, uint8 or floats in 0..1, or None.
    material: shared by the whole primitive; translucent sleeves use
        alpha_mode="BLEND".
    """

    positions: np.ndarray
    indices: np.ndarray
    feature_ids: np.ndarray
    normals: np.ndarray | None = None
    colors: np.ndarray | None = None
    material: Material | None = None


def ecef_to_gltf(xyz: np.ndarray) -> np.ndarray:
    """Rotate (n, 3) ECEF-axis vectors into glTF's Y-up axes.

    3D Tiles runtimes rotate glTF content by +90 degrees about X to get back to
    Z-up, so glTF (x, y, z) = (ECEF x, ECEF z, -ECEF y).
    """
    out = np.empty(xyz.shape, dtype=np.float32)
    out[:, 0] = xyz[:, 0]
    out[:, 1] = xyz[:, 2]
    np.negative(xyz[:, 1], out=out[:, 2])
    return out


def gltf_to_ecef(xyz: np.ndarray) -> np.ndarray:
    """Inverse of ecef_to_gltf: (n, 3) glTF Y-up vectors back to ECEF axes (float64)."""
    out = np.empty(xyz.shape, dtype=np.float64)
    out[:, 0] = xyz[:, 0]
    out[:, 1] = -xyz[:, 2].astype(np.float64)
    out[:, 2] = xyz[:, 1]
    return out


class _Bin:
    """Growing binary chunk; every view starts on an 8-byte boundary."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.views: list[dict] = []

    def add(self, data: bytes, target: int | None = None) -> int:
        pad = (-self.size) % _ALIGN
        if pad:
            self.parts.append(b"\0" * pad)
            self.size += pad
        view: dict = {"buffer": 0, "byteOffset": self.size, "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.parts.append(data)
        self.size += len(data)
        self.views.append(view)
        return len(self.views) - 1

    def finish(self) -> bytes:
        pad = (-self.size) % 4
        if pad:
            self.parts.append(b"\0" * pad)
            self.size += pad
        return b"".join(self.parts)


def _check_identifier(name: str, what: str) -> None:
    if not _IDENTIFIER.match(name):
        raise ValueError(
            f"{what} {name!r} is not a valid metadata identifier: use letters, digits and "
            "underscores, not starting with a digit"
        )


def _encode_strings(values: Sequence[str]) -> tuple[bytes, bytes]:
    encoded = [str(v).encode("utf-8") for v in values]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.uint64, count=len(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.uint64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] > 0xFFFFFFFF:
        raise ValueError("string column exceeds 4 GiB; split the tile into smaller tiles")
    return b"".join(encoded), offsets.astype(np.uint32).tobytes()


def _add_property(bin_: _Bin, name: str, values: np.ndarray | Sequence, count: int) -> tuple[dict, dict | None]:
    """Return (class property definition, property table entry or None when the column is left out)."""
    _check_identifier(name, "property")
    arr = values if isinstance(values, np.ndarray) else np.asarray(list(values))
    if arr.dtype.kind in "OUS" or (arr.size == 0 and not isinstance(values, np.ndarray)):
        seq = arr.tolist()
        if len(seq) != count:
            raise ValueError(f"property {name!r} has {len(seq)} values for {count} features")
        data, offsets = _encode_strings(seq)
        # Readers (CesiumJS, our read_property_table) give an omitted string column its default.
        definition = {"type": "STRING", "default": ""}
        if not data:
            # All strings empty: the values view would need a byteLength of 0 (the last offset), which
            # glTF forbids, so the column is left out of the table and every row reads as the default.
            return definition, None
        entry = {
            "values": bin_.add(data),
            "stringOffsets": bin_.add(offsets),
            "stringOffsetType": "UINT32",
        }
        return definition, entry
    if arr.shape != (count,):
        raise ValueError(f"property {name!r} has shape {arr.shape}, expected ({count},)")
    if arr.dtype == bool:
        # BOOLEAN columns are bitstreams, least significant bit first.
        data = np.packbits(arr, bitorder="little").tobytes()
        return {"type": "BOOLEAN"}, {"values": bin_.add(data)}
    component = _METADATA_COMPONENT.get(arr.dtype.newbyteorder("="))
    if component is None:
        raise ValueError(f"property {name!r} has unsupported dtype {arr.dtype}")
    data = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
    return {"type": "SCALAR", "componentType": component}, {"values": bin_.add(data)}


def write_glb(
    primitives: Sequence[Primitive],
    source_ids: Sequence[str],
    properties: Mapping[str, np.ndarray | Sequence] | None = None,
    *,
    class_name: str = "feature",
    schema_id: str = "jumeau",
    id_property: str = "source_id",
) -> bytes:
    """Serialise one tile's primitives and feature table into glb bytes.

    primitives: see Primitive; positions and normals are in ECEF axes (metres,
        relative to the tile centre) and are rotated to glTF Y-up here.
    source_ids: one string per feature, row i describes feature id i; stored as
        the STRING property `id_property`.
    properties: extra columns, one value per feature. numpy dtype picks the
        metadata type (float32/float64, int8..uint64, bool -> BOOLEAN); lists
        of str (or object/unicode arrays) become STRING.
    """
    count = len(source_ids)
    _check_identifier(class_name, "class")
    _check_identifier(schema_id, "schema id")
    bin_ = _Bin()
    accessors: list[dict] = []
    materials: list[dict] = []
    material_index: dict[Material, int] = {}
    gltf_primitives: list[dict] = []

    def accessor(data: np.ndarray, component: int, type_: str, target: int, **extra) -> int:
        view = bin_.add(data.tobytes(), target)
        acc = {"bufferView": view, "componentType": component, "count": int(data.shape[0]), "type": type_}
        acc.update(extra)
        accessors.append(acc)
        return len(accessors) - 1

    for number, prim in enumerate(primitives):
        positions = np.asarray(prim.positions)
        n = positions.shape[0]
        if n == 0:
            continue
        if positions.ndim != 2 or positions.shape[1] != 3:
            raise ValueError(f"primitive {number}: positions must be (n, 3), got {positions.shape}")
        indices = np.asarray(prim.indices).ravel()
        if indices.size == 0 or indices.size % 3:
            raise ValueError(f"primitive {number}: {indices.size} indices is not a positive multiple of 3")
        fids = np.asarray(prim.feature_ids).ravel()
        if fids.shape[0] != n:
            raise ValueError(f"primitive {number}: {fids.shape[0]} feature ids for {n} vertices")

        pos = ecef_to_gltf(positions)
        if not np.isfinite(pos).all():
            raise ValueError(f"primitive {number}: positions contain NaN or infinity")
        attributes = {
            "POSITION": accessor(
                pos,
                _FLOAT,
                "VEC3",
                _ARRAY_BUFFER,
                min=pos.min(axis=0).tolist(),
                max=pos.max(axis=0).tolist(),
            )
        }
        if prim.normals is not None:
            attributes["NORMAL"] = accessor(ecef_to_gltf(np.asarray(prim.normals)), _FLOAT, "VEC3", _ARRAY_BUFFER)
        if prim.colors is not None:
            colors = np.asarray(prim.colors)
            if colors.dtype != np.uint8:
                colors = np.clip(np.rint(colors * 255.0), 0, 255).astype(np.uint8)
            if colors.shape != (n, 4):
                raise ValueError(f"primitive {number}: colors must be (n, 4) RGBA")
            attributes["COLOR_0"] = accessor(
                np.ascontiguousarray(colors), _UNSIGNED_BYTE, "VEC4", _ARRAY_BUFFER, normalized=True
            )
        fmin, fmax = int(fids.min()), int(fids.max())
        if fmin < 0 or fmax >= count:
            raise ValueError(
                f"primitive {number}: feature ids span {fmin}..{fmax} but only {count} source ids were given"
            )
        # FLOAT keeps every element 4-byte aligned (core glTF forbids UNSIGNED_INT
        # vertex attributes) and is exact for ids below 2**24.
        attributes["_FEATURE_ID_0"] = accessor(fids.astype(np.float32), _FLOAT, "SCALAR", _ARRAY_BUFFER)

        imax = int(indices.max())
        if imax >= n or int(indices.min()) < 0:
            raise ValueError(f"primitive {number}: index {imax} out of range for {n} vertices")
        if n <= 0xFFFF:
            idx = accessor(indices.astype(np.uint16), _UNSIGNED_SHORT, "SCALAR", _ELEMENT_ARRAY_BUFFER)
        else:
            idx = accessor(indices.astype(np.uint32), _UNSIGNED_INT, "SCALAR", _ELEMENT_ARRAY_BUFFER)

        material = prim.material or DEFAULT_MATERIAL
        if material not in material_index:
            material_index[material] = len(materials)
            materials.append(material.to_json())
        # featureCount counts distinct ids present in this primitive; the
        # property table, shared by all primitives, holds every feature.
        present = np.bincount(fids.astype(np.int64), minlength=count)
        gltf_primitives.append(
            {
                "attributes": attributes,
                "indices": idx,
                "material": material_index[material],
                "mode": 4,
                "extensions": {
                    "EXT_mesh_features": {
                        "featureIds": [
                            {"featureCount": int(np.count_nonzero(present)), "attribute": 0, "propertyTable": 0}
                        ]
                    }
                },
            }
        )

    if not gltf_primitives:
        raise ValueError("no primitive has any vertex: nothing to write")

    class_properties: dict[str, dict] = {}
    table_properties: dict[str, dict] = {}
    columns: dict[str, np.ndarray | Sequence] = {id_property: list(source_ids)}
    for name, values in (properties or {}).items():
        if name == id_property:
            raise ValueError(f"property {name!r} clashes with the id property")
        columns[name] = values
    for name, values in columns.items():
        definition, entry = _add_property(bin_, name, values, count)
        class_properties[name] = definition
        if entry is not None:
            table_properties[name] = entry

    binary = bin_.finish()
    document = {
        "asset": {"version": "2.0", "generator": "jumeau tiles.glb"},
        "extensionsUsed": ["EXT_mesh_features", "EXT_structural_metadata"],
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": gltf_primitives}],
        "materials": materials,
        "accessors": accessors,
        "bufferViews": bin_.views,
        "buffers": [{"byteLength": len(binary)}],
        "extensions": {
            "EXT_structural_metadata": {
                "schema": {"id": schema_id, "classes": {class_name: {"properties": class_properties}}},
                "propertyTables": [{"class": class_name, "count": count, "properties": table_properties}],
            }
        },
    }
    text = json.dumps(document, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % 4)
    total = 12 + 8 + len(text) + 8 + len(binary)
    return b"".join(
        (
            struct.pack("<III", _GLB_MAGIC, 2, total),
            struct.pack("<II", len(text), _CHUNK_JSON),
            text,
            struct.pack("<II", len(binary), _CHUNK_BIN),
            binary,
        )
    )


def read_glb(data: bytes) -> tuple[dict, bytes]:
    """Split glb bytes into (glTF JSON document, BIN chunk)."""
    if len(data) < 20:
        raise ValueError("not a glb: shorter than its header")
    magic, version, total = struct.unpack_from("<III", data, 0)
    if magic != _GLB_MAGIC or version != 2:
        raise ValueError("not a glTF 2.0 binary (bad magic or version)")
    if total > len(data):
        raise ValueError(f"truncated glb: header says {total} bytes, got {len(data)}")
    offset = 12
    document: dict | None = None
    binary = b""
    while offset + 8 <= total:
        length, kind = struct.unpack_from("<II", data, offset)
        chunk = data[offset + 8 : offset + 8 + length]
        if kind == _CHUNK_JSON:
            document = json.loads(chunk)
        elif kind == _CHUNK_BIN:
            binary = bytes(chunk)
        offset += 8 + length
    if document is None:
        raise ValueError("glb has no JSON chunk")
    return document, binary


def _view_bytes(document: dict, binary: bytes, view_index: int) -> memoryview:
    view = document["bufferViews"][view_index]
    start = view.get("byteOffset", 0)
    return memoryview(binary)[start : start + view["byteLength"]]


def read_accessor(document: dict, binary: bytes, index: int) -> np.ndarray:
    """Decode one tightly packed accessor into a numpy array ((count,) or (count, width))."""
    acc = document["accessors"][index]
    dtype = np.dtype(_ACCESSOR_DTYPE[acc["componentType"]])
    width = _ACCESSOR_WIDTH[acc["type"]]
    view = _view_bytes(document, binary, acc["bufferView"])
    start = acc.get("byteOffset", 0)
    arr = np.frombuffer(view, dtype=dtype, count=acc["count"] * width, offset=start)
    return arr.reshape(-1, width) if width > 1 else arr


def read_property_table(document: dict, binary: bytes, table: int = 0) -> dict[str, np.ndarray | list]:
    """Decode an EXT_structural_metadata property table into columns (str lists or numpy arrays)."""
    meta = document["extensions"]["EXT_structural_metadata"]
    tab = meta["propertyTables"][table]
    definitions = meta["schema"]["classes"][tab["class"]]["properties"]
    count = tab["count"]
    out: dict[str, np.ndarray | list] = {}
    for name, definition in definitions.items():
        entry = tab.get("properties", {}).get(name)
        if entry is None:
            if "default" not in definition:
                raise ValueError(f"property table {table} has no column {name!r} and its class gives no default")
            out[name] = [definition["default"]] * count
            continue
        values = _view_bytes(document, binary, entry["values"])
        if definition["type"] == "STRING":
            offset_dtype = _METADATA_DTYPE[entry.get("stringOffsetType", "UINT32")]
            offsets = np.frombuffer(_view_bytes(document, binary, entry["stringOffsets"]), dtype=offset_dtype)
            raw = bytes(values)
            out[name] = [raw[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
        elif definition["type"] == "BOOLEAN":
            bits = np.unpackbits(np.frombuffer(values, dtype=np.uint8), bitorder="little")
            out[name] = bits[:count].astype(bool)
        else:
            out[name] = np.frombuffer(values, dtype=_METADATA_DTYPE[definition["componentType"]], count=count)
    return out
