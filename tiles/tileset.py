"""Build 3D Tiles 1.1 tileset.json documents (regions, transforms, errors, external tilesets) from a tree of tile
nodes."""

from __future__ import annotations

import math
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "Region",
    "TileNode",
    "build_tilesets",
    "ecef_to_geodetic",
    "enu_to_ecef_rotation",
    "geodetic_to_ecef",
    "region_contains",
    "region_diagonal",
    "region_from_ecef",
    "region_union",
    "translation_matrix",
]

# WGS 84, the ellipsoid of EPSG:4978 / EPSG:4979 that 3D Tiles regions use.
_A = 6378137.0
_F = 1.0 / 298.257223563
_B = _A * (1.0 - _F)
_E2 = _F * (2.0 - _F)
_EP2 = _E2 / (1.0 - _E2)

# Region = (west, south, east, north, min_height, max_height): radians, radians,
# radians, radians, metres above the WGS 84 ellipsoid.
Region = tuple[float, float, float, float, float, float]

# float32 glb positions and the geodetic conversion move points by well under
# a millimetre; this margin (about 6 cm on the ground) keeps the region
# containing its content anyway.
_ANGLE_PAD = 1e-8
_HEIGHT_PAD = 0.05


def geodetic_to_ecef(lon: np.ndarray, lat: np.ndarray, h: np.ndarray) -> np.ndarray:
    """(n, 3) ECEF metres (EPSG:4978) from longitude, latitude (radians) and ellipsoidal height (metres)."""
    lon, lat, h = (np.asarray(v, dtype=np.float64) for v in (lon, lat, h))
    sin_lat = np.sin(lat)
    n = _A / np.sqrt(1.0 - _E2 * sin_lat * sin_lat)
    return np.stack(
        [
            (n + h) * np.cos(lat) * np.cos(lon),
            (n + h) * np.cos(lat) * np.sin(lon),
            (n * (1.0 - _E2) + h) * sin_lat,
        ],
        axis=-1,
    )


def ecef_to_geodetic(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Longitude, latitude (radians) and ellipsoidal height (metres) of (n, 3) ECEF points (EPSG:4978).

    Bowring's formula with one refinement: sub-millimetre for points within a
    few kilometres of the surface, away from the poles.
    """
    xyz = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
    x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    p = np.hypot(x, y)
    lon = np.arctan2(y, x)
    theta = np.arctan2(z * _A, p * _B)
    lat = np.arctan2(z + _EP2 * _B * np.sin(theta) ** 3, p - _E2 * _A * np.cos(theta) ** 3)
    sin_lat = np.sin(lat)
    n = _A / np.sqrt(1.0 - _E2 * sin_lat * sin_lat)
    h = p / np.cos(lat) - n
    lat = np.arctan2(z, p * (1.0 - _E2 * n / (n + h)))
    sin_lat = np.sin(lat)
    n = _A / np.sqrt(1.0 - _E2 * sin_lat * sin_lat)
    h = p / np.cos(lat) - n
    return lon, lat, h


def enu_to_ecef_rotation(lon: float, lat: float) -> np.ndarray:
    """3x3 matrix whose columns are east, north, up at (lon, lat) radians, in ECEF axes.

    Rotates normals of meshes built in a local east-north-up (or, near enough,
    a projected CRS) frame into ECEF before glb writing.
    """
    sl, cl = math.sin(lon), math.cos(lon)
    sp, cp = math.sin(lat), math.cos(lat)
    return np.array(
        [
            [-sl, -sp * cl, cp * cl],
            [cl, -sp * sl, cp * sl],
            [0.0, cp, sp],
        ]
    )


def translation_matrix(centre: np.ndarray | tuple[float, float, float]) -> list[float]:
    """Column-major 4x4 (16 floats) translating by centre (ECEF metres), as tileset.json wants."""
    cx, cy, cz = (float(c) for c in centre)
    return [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, cx, cy, cz, 1.0]


def region_from_ecef(xyz: np.ndarray) -> Region:
    """Region holding (n, 3) ECEF points (metres) and the flat triangles between them.

    Triangle chords sag below the ellipsoid by about d^2 / 8R; the minimum
    height is lowered by that for the region's own size. Does not handle
    regions crossing the antimeridian (a city never does).
    """
    lon, lat, h = ecef_to_geodetic(xyz)
    if lon.size == 0:
        raise ValueError("cannot bound an empty point set")
    west, east = float(lon.min()), float(lon.max())
    south, north = float(lat.min()), float(lat.max())
    hmin, hmax = float(h.min()), float(h.max())
    size = region_diagonal((west, south, east, north, 0.0, 0.0))
    sag = size * size / (8.0 * _A)
    return (
        west - _ANGLE_PAD,
        south - _ANGLE_PAD,
        east + _ANGLE_PAD,
        north + _ANGLE_PAD,
        hmin - sag - _HEIGHT_PAD,
        hmax + _HEIGHT_PAD,
    )


def region_union(*regions: Region) -> Region:
    """Smallest region holding all given regions."""
    if not regions:
        raise ValueError("region_union needs at least one region")
    arr = np.asarray(regions, dtype=np.float64)
    return (
        float(arr[:, 0].min()),
        float(arr[:, 1].min()),
        float(arr[:, 2].max()),
        float(arr[:, 3].max()),
        float(arr[:, 4].min()),
        float(arr[:, 5].max()),
    )


def region_diagonal(region: Region) -> float:
    """Approximate diagonal of a region, metres (local spherical approximation)."""
    west, south, east, north, hmin, hmax = region
    mid = 0.5 * (south + north)
    dx = (east - west) * _A * math.cos(mid)
    dy = (north - south) * _A
    return math.sqrt(dx * dx + dy * dy + (hmax - hmin) ** 2)


def region_contains(outer: Region, inner: Region) -> bool:
    """True when inner lies inside outer (edges included)."""
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and outer[2] >= inner[2]
        and outer[3] >= inner[3]
        and outer[4] <= inner[4]
        and outer[5] >= inner[5]
    )


@dataclass
class TileNode:
    """One tile before serialisation.

    key: stable name (a quadtree key such as "r031"); names external tileset folders.
    region: bounds of this tile's own content (see Region), or None for a node
        that only groups children; parents are grown to hold their children.
    content_uri: path of the content (glb or another tileset.json) relative to
        the layer's root folder, posix separators.
    centre: ECEF metres (EPSG:4978) subtracted from the content's positions;
        the tile gets a transform so that its content lands back there.
    geometric_error: metres; None derives it (0 at leaves, region diagonal
        times error_scale above).
    """

    key: str
    region: Region | None = None
    content_uri: str | None = None
    centre: tuple[float, float, float] | None = None
    children: list[TileNode] = field(default_factory=list)
    geometric_error: float | None = None
    refine: Literal["ADD", "REPLACE"] | None = None

    def walk(self) -> Iterator[TileNode]:
        yield self
        for child in self.children:
            yield from child.walk()


def _resolve(node: TileNode, error_scale: float, out: dict[int, tuple[Region, float]]) -> tuple[Region, float]:
    """Bottom-up: the region holding the subtree and the node's geometric error, stored by id(node)."""
    child_results = [_resolve(child, error_scale, out) for child in node.children]
    parts = [r for r, _ in child_results]
    if node.region is not None:
        parts.append(tuple(float(v) for v in node.region))
    if not parts:
        raise ValueError(f"tile {node.key!r} has neither a region nor children with one")
    region = region_union(*parts)
    if node.geometric_error is not None:
        error = float(node.geometric_error)
    elif node.children:
        error = error_scale * region_diagonal(region)
    else:
        error = 0.0
    # A child may never claim more error than its parent, or refinement stalls.
    for _, child_error in child_results:
        error = max(error, child_error)
    out[id(node)] = (region, error)
    return region, error


def build_tilesets(
    root: TileNode,
    *,
    refine: Literal["ADD", "REPLACE"] = "ADD",
    error_scale: float = 1.0,
    max_document_tiles: int | None = None,
    schema: Mapping | None = None,
    metadata: Mapping | None = None,
    tileset_version: str | None = None,
) -> dict[str, dict]:
    """Serialise a tile tree into one or more tileset.json documents.

    Returns {path relative to the layer root: tileset dict}; "tileset.json" is
    the entry point. With max_document_tiles, a document holds as many
    whole levels of its subtree as fit in that many tiles (the root's children
    at least), and each inner node of its last level is a link to an external
    tileset under the same rule: a layer that fits in one document is one
    document, and a larger one costs a viewer one request per cut, not one per
    fixed depth. An external subtree goes to "<key>/tileset.json", its content
    URIs rewritten relative to that file. The root tile's transform translates
    to its centre (ECEF, float64); each descendant with a different centre gets the
    difference, so transforms compose back to absolute ECEF, external
    tilesets included (3D Tiles applies the referencing tile's transform to
    an external tileset's root).
    """
    if refine not in ("ADD", "REPLACE"):
        raise ValueError(f"refine must be 'ADD' or 'REPLACE', got {refine!r}")
    resolved: dict[int, tuple[Region, float]] = {}
    _resolve(root, error_scale, resolved)
    documents: dict[str, dict] = {}

    def is_external(node: TileNode, levels_left: int | None) -> bool:
        # A lone leaf would cost one more request for a file holding one tile.
        return bool(node.children) and levels_left is not None and levels_left <= 0

    def link_level(node: TileNode) -> int | None:
        """The level below node whose inner nodes link to external tilesets; None: its document holds it all."""
        if not max_document_tiles:
            return None
        # Level i's nodes are in the document either way (an inner node as a link to its external tileset):
        # the cut is the deepest level whose running total still fits, the root's children at least.
        level, total, depth = [node], 0, 0
        while level:
            total += len(level)
            if total > max_document_tiles and depth >= 2:
                return depth - 1
            depth += 1
            level = [child for n in level for child in n.children]
        return None

    def tile_json(
        node: TileNode,
        depth: int,
        origin: tuple[float, float, float],
        folder: str,
        is_root: bool,
        levels_left: int | None,
    ) -> dict:
        region, error = resolved[id(node)]
        tile: dict = {"boundingVolume": {"region": list(region)}, "geometricError": error}
        if is_root or node.refine is not None:
            tile["refine"] = node.refine or refine
        here = origin
        if node.centre is not None:
            centre = tuple(float(c) for c in node.centre)
            if centre != origin:
                tile["transform"] = translation_matrix(np.subtract(centre, origin))
                here = centre
        if node.content_uri is not None:
            tile["content"] = {"uri": posixpath.relpath(node.content_uri, folder or ".")}
        children = []
        below = None if levels_left is None else levels_left - 1
        for child in node.children:
            if is_external(child, below):
                sub_path = posixpath.join(child.key, "tileset.json")
                sub_folder = child.key
                documents[sub_path] = document(child, depth + 1, here, sub_folder)
                child_region, child_error = resolved[id(child)]
                children.append(
                    {
                        "boundingVolume": {"region": list(child_region)},
                        "geometricError": child_error,
                        "content": {"uri": posixpath.relpath(sub_path, folder or ".")},
                    }
                )
            else:
                children.append(tile_json(child, depth + 1, here, folder, False, below))
        if children:
            tile["children"] = children
        return tile

    def document(node: TileNode, depth: int, origin: tuple[float, float, float], folder: str) -> dict:
        region, error = resolved[id(node)]
        asset: dict = {"version": "1.1"}
        if tileset_version:
            asset["tilesetVersion"] = tileset_version
        doc: dict = {"asset": asset}
        if schema is not None:
            doc["schema"] = dict(schema)
        if metadata is not None and depth == 0:
            doc["metadata"] = dict(metadata)
        # The tileset's own error says when to draw the root at all: never
        # below the root's, and never 0 or the layer would only show up close.
        doc["geometricError"] = max(error, region_diagonal(region) * error_scale)
        doc["root"] = tile_json(node, depth, origin, folder, True, link_level(node))
        return doc

    documents["tileset.json"] = document(root, 0, (0.0, 0.0, 0.0), "")
    return documents
