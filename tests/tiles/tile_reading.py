"""Read a published layer back as a client does: tileset.json, external tilesets, glb content, transforms."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tiles.glb import gltf_to_ecef, read_accessor, read_glb, read_property_table
from tiles.publish import current_dir


@dataclass
class Content:
    uri: str  # as resolved from /tiles/<layer>/
    path: Path
    transform: np.ndarray  # 4x4, column vectors
    tile: dict
    parents: list[dict]


def resolve(layer_root: Path, layer: str, uri: str) -> Path:
    """The file a URL relative to /tiles/<layer>/ names, "@<version>/…" included."""
    if uri.startswith("@"):
        version, _, rel = uri[1:].partition("/")
        return layer_root / ".builds" / layer / version / rel
    return current_dir(layer_root, layer) / uri


def contents(root: Path, layer: str) -> list[Content]:
    """Every content of the layer with its accumulated transform, following external tilesets."""
    out: list[Content] = []

    def visit_tileset(uri: str, transform: np.ndarray, parents: list[dict]) -> None:
        doc = json.loads(resolve(root, layer, uri).read_text())
        visit_tile(doc["root"], transform, posixpath.dirname(uri), parents)

    def visit_tile(tile: dict, transform: np.ndarray, base: str, parents: list[dict]) -> None:
        if "transform" in tile:
            transform = transform @ np.asarray(tile["transform"], float).reshape(4, 4).T
        chain = parents + [tile]
        if "content" in tile:
            uri = posixpath.normpath(posixpath.join(base, tile["content"]["uri"]))
            if uri.endswith(".json"):
                visit_tileset(uri, transform, chain)
            else:
                out.append(Content(uri, resolve(root, layer, uri), transform, tile, chain))
        for child in tile.get("children", ()):
            visit_tile(child, transform, base, chain)

    visit_tileset("tileset.json", np.eye(4), [])
    return out


@dataclass
class DecodedPrimitive:
    ecef: np.ndarray  # (n, 3) absolute ECEF metres
    feature_ids: np.ndarray
    indices: np.ndarray
    material: dict
    normals: np.ndarray | None


def decode(content: Content) -> tuple[list[DecodedPrimitive], dict, dict]:
    """Primitives with absolute ECEF positions (glTF Y-up undone, tile transform applied), table, document."""
    document, binary = read_glb(content.path.read_bytes())
    prims = []
    for prim in document["meshes"][0]["primitives"]:
        local = gltf_to_ecef(read_accessor(document, binary, prim["attributes"]["POSITION"]))
        ecef = local @ content.transform[:3, :3].T + content.transform[:3, 3]
        fids = read_accessor(document, binary, prim["attributes"]["_FEATURE_ID_0"]).astype(np.int64)
        normals = None
        if "NORMAL" in prim["attributes"]:
            normals = gltf_to_ecef(read_accessor(document, binary, prim["attributes"]["NORMAL"]))
        prims.append(
            DecodedPrimitive(
                ecef,
                fids,
                read_accessor(document, binary, prim["indices"]).astype(np.int64),
                document["materials"][prim["material"]],
                normals,
            )
        )
    return prims, read_property_table(document, binary), document
