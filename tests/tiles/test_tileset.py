"""tileset.json building: 1.1 asset, float64 transforms, containing regions, errors, external tilesets, end to end."""

from __future__ import annotations

import json
import math
import posixpath

import numpy as np
import pytest

from tests.tiles.gltf_validator import assert_valid_glb
from tiles.extrude import extrude_footprints
from tiles.glb import Primitive, gltf_to_ecef, read_accessor, read_glb, read_property_table, write_glb
from tiles.quadtree import build_quadtree
from tiles.tileset import (
    TileNode,
    build_tilesets,
    ecef_to_geodetic,
    enu_to_ecef_rotation,
    geodetic_to_ecef,
    region_contains,
    region_from_ecef,
)

ANTIBES = (math.radians(7.1250), math.radians(43.5800))


def _enu_to_ecef(enu: np.ndarray) -> np.ndarray:
    origin = geodetic_to_ecef(ANTIBES[0], ANTIBES[1], 50.0)
    return origin + enu @ enu_to_ecef_rotation(*ANTIBES).T


def _leaf(key: str, east: float, north: float, size: float = 100.0) -> TileNode:
    corners = np.array([[east, north, 0.0], [east + size, north + size, 30.0]])
    ecef = _enu_to_ecef(corners)
    return TileNode(key=key, region=region_from_ecef(ecef), content_uri=f"{key}.glb", centre=tuple(ecef.mean(axis=0)))


def _tree() -> TileNode:
    return TileNode(
        key="r",
        children=[
            TileNode(key="r0", children=[_leaf("r00", 0.0, 0.0), _leaf("r01", 200.0, 0.0)]),
            TileNode(key="r3", children=[_leaf("r30", 0.0, 400.0), _leaf("r33", 300.0, 500.0)]),
        ],
        centre=tuple(_enu_to_ecef(np.array([[250.0, 250.0, 0.0]]))[0]),
    )


def _walk(tile: dict, accumulated: np.ndarray, parent: dict | None = None):
    matrix = np.array(tile.get("transform", np.eye(4).ravel(order="F").tolist())).reshape(4, 4, order="F")
    here = accumulated @ matrix
    yield tile, here, parent
    for child in tile.get("children", []):
        yield from _walk(child, here, tile)


def test_geodetic_and_ecef_conversions_agree_to_a_millimetre():
    lon = np.radians([7.125, -3.0, 139.7])
    lat = np.radians([43.58, 48.1, 35.6])
    h = np.array([50.0, -20.0, 3000.0])
    back = ecef_to_geodetic(geodetic_to_ecef(lon, lat, h))
    assert np.allclose(back[0], lon, atol=1e-12)
    assert np.allclose(back[1], lat, atol=1e-10)
    assert np.allclose(back[2], h, atol=1e-3)


def test_the_document_is_3d_tiles_1_1_with_capital_refine_and_a_float64_root_transform():
    root = _tree()
    doc = build_tilesets(root)["tileset.json"]
    assert doc["asset"]["version"] == "1.1"
    assert doc["root"]["refine"] == "ADD"
    transform = doc["root"]["transform"]
    assert transform[:12] == [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    assert transform[12:15] == list(root.centre) and transform[15] == 1.0
    # JSON keeps every float64 digit of the centre.
    assert json.loads(json.dumps(doc))["root"]["transform"][12:15] == list(root.centre)
    assert build_tilesets(root, refine="REPLACE")["tileset.json"]["root"]["refine"] == "REPLACE"
    with pytest.raises(ValueError):
        build_tilesets(root, refine="add")


def test_transforms_compose_back_to_each_tiles_centre():
    root = _tree()
    centres = {node.key: np.array(node.centre) for node in root.walk() if node.centre}
    doc = build_tilesets(root)["tileset.json"]
    for tile, matrix, _ in _walk(doc["root"], np.eye(4)):
        if "content" in tile:
            key = posixpath.splitext(tile["content"]["uri"])[0]
            assert np.allclose(matrix[:3, 3], centres[key], rtol=0, atol=1e-6)


def test_children_regions_lie_in_their_parents_and_errors_fall_to_zero_at_leaves():
    doc = build_tilesets(_tree())["tileset.json"]
    assert doc["geometricError"] >= doc["root"]["geometricError"] > 0
    for tile, _, parent in _walk(doc["root"], np.eye(4)):
        region = tile["boundingVolume"]["region"]
        assert region[0] < region[2] and region[1] < region[3] and region[4] < region[5]
        if parent is not None:
            assert region_contains(parent["boundingVolume"]["region"], region)
            assert tile["geometricError"] <= parent["geometricError"]
        if "children" not in tile:
            assert tile["geometricError"] == 0.0
        else:
            assert tile["geometricError"] > 0.0


def test_region_from_ecef_contains_its_points():
    pts = _enu_to_ecef(np.random.default_rng(1).uniform([-500, -500, -5], [500, 500, 80], size=(1000, 3)))
    west, south, east, north, hmin, hmax = region_from_ecef(pts)
    lon, lat, h = ecef_to_geodetic(pts)
    assert (lon > west).all() and (lon < east).all() and (lat > south).all() and (lat < north).all()
    assert (h > hmin).all() and (h < hmax).all()


def test_deep_subtrees_become_external_tilesets_with_relative_uris():
    root = _tree()
    docs = build_tilesets(root, max_document_tiles=3)
    assert set(docs) == {"tileset.json", "r0/tileset.json", "r3/tileset.json"}
    main = docs["tileset.json"]
    stubs = main["root"]["children"]
    assert [s["content"]["uri"] for s in stubs] == ["r0/tileset.json", "r3/tileset.json"]
    assert all("children" not in s for s in stubs)
    sub = docs["r0/tileset.json"]
    assert sub["asset"]["version"] == "1.1"
    assert [c["content"]["uri"] for c in sub["root"]["children"]] == ["../r00.glb", "../r01.glb"]
    # The referencing tile's transform applies to the external root: compose both.
    outer = np.array(main["root"]["transform"]).reshape(4, 4, order="F")
    for tile, matrix, _ in _walk(sub["root"], outer):
        if "content" in tile:
            leaf = next(n for n in root.walk() if n.key == posixpath.basename(tile["content"]["uri"])[:-4])
            assert np.allclose(matrix[:3, 3], leaf.centre, rtol=0, atol=1e-6)


def _full_quadtree(key: str, depth: int, east: float = 0.0, north: float = 0.0, size: float = 1600.0) -> TileNode:
    if depth == 0:
        return _leaf(key, east, north, size)
    half = size / 2
    return TileNode(
        key=key,
        children=[
            _full_quadtree(key + str(i), depth - 1, east + half * (i % 2), north + half * (i // 2), half)
            for i in range(4)
        ],
    )


def _documents_tiles(docs: dict) -> tuple[dict[str, int], list[str]]:
    """Tiles per document (links to external tilesets included) and the glb URIs reached from tileset.json."""
    counts: dict[str, int] = {}
    glbs: list[str] = []

    def visit(path: str, tile: dict) -> None:
        counts[path] = counts.get(path, 0) + 1
        uri = tile.get("content", {}).get("uri")
        if uri:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), uri))
            if target.endswith("tileset.json"):
                visit(target, docs[target]["root"])
            else:
                glbs.append(target)
        for child in tile.get("children", []):
            visit(path, child)

    visit("tileset.json", docs["tileset.json"]["root"])
    return counts, glbs


def test_a_document_holds_whole_levels_up_to_its_tile_budget_and_links_the_rest():
    root = _full_quadtree("r", 4)  # 1 + 4 + 16 + 64 + 256 tiles, 256 leaves
    leaves = sorted(f"{n.key}.glb" for n in root.walk() if not n.children)

    # Everything fits: one document, no external tileset.
    assert set(build_tilesets(root, max_document_tiles=341)) == {"tileset.json"}

    # 100 tiles: levels 0-3 (85 tiles) in the entry point, each level-3 tile a link to its 5-tile subtree.
    docs = build_tilesets(root, max_document_tiles=100)
    counts, glbs = _documents_tiles(docs)
    assert counts["tileset.json"] == 85 and len(docs) == 1 + 64
    assert sorted(glbs) == leaves, "every leaf reached exactly once"

    # 30 tiles: 21 in the entry point, 16 documents of 21; none over budget, whatever the depth.
    docs = build_tilesets(root, max_document_tiles=30)
    counts, glbs = _documents_tiles(docs)
    assert counts["tileset.json"] == 21 and len(docs) == 1 + 16
    assert max(counts.values()) <= 30 and sorted(glbs) == leaves

    # The root's children are always in the entry point, even over a tiny budget.
    counts, glbs = _documents_tiles(build_tilesets(root, max_document_tiles=3))
    assert counts["tileset.json"] == 5 and sorted(glbs) == leaves


def test_a_tile_without_region_or_children_is_refused():
    with pytest.raises(ValueError, match="tile 'r' has neither"):
        build_tilesets(TileNode(key="r"))


def test_a_layer_built_end_to_end_decodes_back_to_ecef_inside_its_regions(tmp_path):
    """Quadtree -> extrusion -> ECEF -> glb per leaf -> tileset: every vertex lands back in its leaf's region."""
    rng = np.random.default_rng(3)
    n = 3000
    centres = rng.uniform(-1500.0, 1500.0, size=(n, 2))
    angles = np.linspace(0.0, 2.0 * np.pi, 9)[:-1]
    footprints = centres[:, None, :] + 6.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    heights = rng.uniform(4.0, 40.0, n)
    ids = [f"BATIMENT{i:016d}" for i in range(n)]
    tree = build_quadtree(centres[:, 0], centres[:, 1], max_features=400)
    rot = enu_to_ecef_rotation(*ANTIBES)
    written: dict[str, tuple[bytes, np.ndarray, np.ndarray]] = {}

    def to_node(qnode) -> TileNode:
        node = TileNode(key=qnode.key, children=[to_node(c) for c in qnode.children])
        if qnode.is_leaf and qnode.count:
            feats = qnode.features
            mesh = extrude_footprints(
                footprints[feats].reshape(-1, 2),
                np.arange(feats.size + 1) * 8,
                np.arange(feats.size + 1),
                np.zeros(feats.size),
                heights[feats],
            )
            ecef = _enu_to_ecef(mesh.positions)
            centre = ecef.mean(axis=0)
            data = write_glb(
                [
                    Primitive(
                        (ecef - centre).astype(np.float32),
                        mesh.indices,
                        mesh.feature_ids,
                        (mesh.normals @ rot.T).astype(np.float32),
                    )
                ],
                [ids[i] for i in feats],
                {"height": heights[feats].astype(np.float32)},
                class_name="building",
            )
            written[qnode.key] = (data, ecef, feats)
            node.region = region_from_ecef(ecef)
            node.content_uri = f"{qnode.key}.glb"
            node.centre = tuple(centre)
        return node

    root = to_node(tree.root)
    docs = build_tilesets(root, max_document_tiles=8)
    assert len(written) == len(tree.leaves()) > 4
    assert_valid_glb(next(iter(written.values()))[0], tmp_path)

    seen = 0

    def check(doc_path: str, tile: dict, accumulated: np.ndarray) -> None:
        nonlocal seen
        matrix = np.array(tile.get("transform", np.eye(4).ravel().tolist())).reshape(4, 4, order="F")
        here = accumulated @ matrix
        if "content" in tile:
            uri = posixpath.normpath(posixpath.join(posixpath.dirname(doc_path), tile["content"]["uri"]))
            if uri.endswith("tileset.json"):
                check(uri, docs[uri]["root"], here)
            else:
                data, ecef, feats = written[uri[:-4]]
                document, binary = read_glb(data)
                prim = document["meshes"][0]["primitives"][0]
                back = gltf_to_ecef(read_accessor(document, binary, prim["attributes"]["POSITION"])) + here[:3, 3]
                assert np.abs(back - ecef).max() < 0.01
                lon, lat, h = ecef_to_geodetic(back)
                w, s, e, nn, hmin, hmax = tile["boundingVolume"]["region"]
                assert (lon >= w).all() and (lon <= e).all() and (lat >= s).all() and (lat <= nn).all()
                assert (h >= hmin).all() and (h <= hmax).all()
                fids = read_accessor(document, binary, prim["attributes"]["_FEATURE_ID_0"])
                table = read_property_table(document, binary)
                count = prim["extensions"]["EXT_mesh_features"]["featureIds"][0]["featureCount"]
                assert np.array_equal(np.unique(fids), np.arange(count)) and count == feats.size
                assert table["source_id"] == [ids[i] for i in feats]
                seen += feats.size
        for child in tile.get("children", []):
            check(doc_path, child, here)

    check("tileset.json", docs["tileset.json"]["root"], np.eye(4))
    assert seen == n
