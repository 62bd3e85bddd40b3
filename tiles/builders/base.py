"""What every layer builder shares: its report, and the quadtree of glb tiles that buildings and networks use.

A feature layer is written as a quadtree split by feature count (tiles.quadtree); every leaf is one glb
whose name is its stable quadtree key. With a parent writer, every internal node is a glb too: its
subtree's most significant features, coarsened (tiles.lod), refined by REPLACE, so a far view draws the
whole layer from a few tiles. Each tile's manifest entry keeps a hash of what went into it, so a
rebuild rewrites only the tiles whose content changed and hard-links the others from the published
build (LayerBuild.reuse).
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tiles.lod import ParentPlan, plan_parents
from tiles.publish import LayerBuild
from tiles.quadtree import QuadNode, aligned_root_bounds, build_quadtree
from tiles.tileset import Region, TileNode, build_tilesets
from twin.progress import Meter

Progress = Callable[[str], None]
MANIFEST = "manifest.json"
TILE_FOLDER = "t"
# Tiles one tileset.json may hold before its deeper levels go to external tilesets: about 330 bytes each,
# so a document stays under ~120 kB gzipped, and a city of 100,000 buildings (~1,000 tiles) is one request.
DOCUMENT_TILES = 2048


@dataclass
class LayerStats:
    """What one build wrote; becomes a TileBuild row."""

    features: int = 0
    tiles: int = 0
    tiles_rewritten: int = 0
    bytes: int = 0
    warnings: list[str] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)  # why a feature of the data is not in the layer -> how many

    def left_out(self) -> list[str]:
        """One line per reason features were left out of the layer, most frequent first."""
        return [f"left out {n} feature{'' if n == 1 else 's'}: {reason}" for reason, n in self.skipped.most_common()]


@dataclass
class TileResult:
    """One written (or reused) tile, a leaf or a parent."""

    key: str
    uri: str
    region: Region
    centre: tuple[float, float, float]
    bytes: int
    features: int
    hash: str
    reused: bool = False


@dataclass
class FeatureLayer:
    """The features of a tiled layer, fetched once, in arrays.

    x, y: (n,) plan centre of each feature, storage CRS metres (quadtree placement).
    digests: (n,) bytes, a hash of everything that shapes the feature's tile content.
    size: (n,) metres, how much a feature matters when it is not drawn (a building's largest dimension, a sleeve);
        an internal tile's geometric error is error_factor times the largest size below it (left out of it).
    weight: (n,) which features parent tiles keep first, the highest (buildings: the largest, tiles.lod.size_first;
        pipes: diameter × length).
    drawable: (n,) bool, the features a parent tile may draw (default all); coarse_size: (n,) metres, what a
        parent still leaves out of a feature it draws (default 0); see tiles.lod.plan_parents.
    """

    x: np.ndarray
    y: np.ndarray
    digests: list[bytes]
    size: np.ndarray
    weight: np.ndarray | None = None
    drawable: np.ndarray | None = None
    coarse_size: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.x.shape[0])


def read_manifest(folder: Path | None) -> dict:
    if folder is None or not (folder / MANIFEST).is_file():
        return {}
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def reusable_tiles(manifest: dict, salt: str) -> dict:
    """The previous build's tiles by name, when it was written with the same salt; none otherwise."""
    return manifest.get("tiles", {}) if manifest.get("salt") == salt else {}


def write_json(path: Path, document: dict) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(document, separators=(",", ":")).encode()
    path.write_bytes(data)
    return len(data)


def prefix_root_uris(document: dict, version: str) -> None:
    """Point the entry tileset's content at its immutable version folder.

    tileset.json is served through the layer's moving pointer; everything it references goes
    through /tiles/<layer>/@<version>/…, so a reader of an old tileset.json keeps getting its own tiles.
    Files inside the version folder (external tilesets) use plain relative URIs, which stay there.
    """

    def walk(tile: dict) -> None:
        content = tile.get("content")
        if content and not content["uri"].startswith("@"):
            content["uri"] = f"@{version}/{content['uri']}"
        for child in tile.get("children", ()):
            walk(child)

    walk(document["root"])


# Fork-inherited state of a parallel build: workers read it instead of unpickling arrays.
_JOB: dict = {}


def _run_tile(args: tuple[str, np.ndarray, float | None]) -> tuple[str, int, Region, tuple[float, float, float]]:
    key, idx, tolerance = args
    glb, region, centre = (_JOB["make_tile"](key, idx) if tolerance is None
                           else _JOB["make_parent"](key, idx, tolerance))
    path = _JOB["folder"] / TILE_FOLDER / f"{key}.glb"
    path.write_bytes(glb)
    return key, len(glb), region, centre


def write_feature_tiles(
    build: LayerBuild,
    layer: FeatureLayer,
    make_tile: Callable[[str, np.ndarray], tuple[bytes, Region, tuple[float, float, float]]],
    *,
    salt: str,
    max_features: int,
    error_factor: float,
    min_error: float,
    progress: Progress,
    workers: int = 1,
    schema: dict | None = None,
    make_parent: Callable[[str, np.ndarray, float], tuple[bytes, Region, tuple[float, float, float]]] | None = None,
    parent_features: int = 0,
) -> LayerStats:
    """Write the quadtree tiles, tileset.json (plus external tilesets) and the manifest into build.path.

    make_tile(key, indices) returns (glb bytes, region, centre ECEF metres) for the features at indices.
    make_parent(key, indices, tolerance): the same for a parent tile, footprints simplified by tolerance
        (metres, storage CRS). With it, every internal node draws its subtree's features of highest
        weight (layer.weight; at most parent_features and a quarter of the subtree, tiles.lod.plan_parents) and
        the tileset refines by REPLACE; without it internal nodes are empty and refine by ADD.
    salt: anything besides the features that shapes the tiles (writer version, geoid grid, CRS).
    """
    stats = LayerStats(features=len(layer))
    previous = read_manifest(build.previous)
    old_tiles = reusable_tiles(previous, salt)
    bounds = previous.get("root_bounds")
    if bounds is None or not len(layer) or not (
        layer.x.min() >= bounds[0] and layer.y.min() >= bounds[1] and layer.x.max() <= bounds[2] and layer.y.max() <= bounds[3]
    ):
        # Keys stay stable while the data stays inside the previous root cell.
        bounds = aligned_root_bounds(layer.x, layer.y)
    tree = build_quadtree(layer.x, layer.y, max_features, bounds=tuple(bounds))
    leaves = tree.leaves()
    plans: dict[str, ParentPlan] = {}
    if make_parent is not None:
        weight = layer.weight if layer.weight is not None else layer.size
        plans = plan_parents(tree.root, weight, layer.size, parent_features or max_features,
                             error_factor=error_factor, min_error=min_error, drawable=layer.drawable,
                             coarse_size=layer.coarse_size)
    # (key, features, tolerance or None for a leaf), leaves first, then parents bottom-up; a parent with
    # nothing it may draw (a cell of manholes only) stays an empty tile.
    jobs = [(leaf.key, leaf.features, None) for leaf in leaves]
    jobs += [(p.key, p.features, p.tolerance) for p in sorted(plans.values(), key=lambda p: -len(p.key))
             if p.features.size]
    results: dict[str, TileResult] = {}
    todo: list[tuple[str, np.ndarray, float | None]] = []
    hashes: dict[str, str] = {}
    for key, features, tolerance in jobs:
        h = hashlib.blake2b(salt.encode(), digest_size=16)
        if tolerance is not None:
            # A parent is what went into it: its features, coarsened by its tolerance.
            h.update(f"|lod|{tolerance!r}|".encode())
        for i in features.tolist():
            h.update(layer.digests[i])
        digest = h.hexdigest()
        hashes[key] = digest
        uri = f"{TILE_FOLDER}/{key}.glb"
        old = old_tiles.get(key)
        if old and old["hash"] == digest and build.reuse(uri):
            results[key] = TileResult(key, uri, tuple(old["region"]), tuple(old["centre"]), old["bytes"],
                                      len(features), digest, reused=True)
        else:
            todo.append((key, features, tolerance))
    (build.path / TILE_FOLDER).mkdir(parents=True, exist_ok=True)
    if todo:
        progress(f"  {build.layer}: writing {len(todo)} of {len(jobs)} tiles"
                 + (f" ({len(jobs) - len(todo)} unchanged, reused)" if len(todo) < len(jobs) else ""))
    _JOB.update(make_tile=make_tile, make_parent=make_parent, folder=build.path)
    try:
        meter = Meter(f"  {build.layer}", len(todo), progress, unit="tiles written")
        outputs = []
        if workers > 1 and len(todo) > 2 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for output in pool.imap_unordered(_run_tile, todo, chunksize=1):
                    outputs.append(output)
                    meter.advance()
        else:
            for job in todo:
                outputs.append(_run_tile(job))
                meter.advance()
    finally:
        _JOB.clear()
    counts = {key: len(features) for key, features, _ in jobs}
    for key, size, region, centre in outputs:
        results[key] = TileResult(key, f"{TILE_FOLDER}/{key}.glb", tuple(region), tuple(centre), size, counts[key],
                                  hashes[key])
    stats.tiles = len(results)
    stats.tiles_rewritten = len(outputs)
    stats.bytes = sum(r.bytes for r in results.values())

    def node_of(q: QuadNode) -> TileNode:
        if q.is_leaf:
            r = results[q.key]
            return TileNode(key=q.key, region=r.region, content_uri=r.uri, centre=r.centre, geometric_error=0.0)
        children = [node_of(c) for c in q.children if c.count]
        if q.key in results:
            r = results[q.key]
            return TileNode(key=q.key, region=r.region, content_uri=r.uri, centre=r.centre, children=children,
                            geometric_error=plans[q.key].geometric_error)
        if q.key in plans:
            return TileNode(key=q.key, children=children, geometric_error=plans[q.key].geometric_error)
        below = np.concatenate([c.features for c in q.walk() if c.is_leaf and c.features is not None])
        error = max(min_error, error_factor * float(layer.size[below].max())) if below.size else min_error
        return TileNode(key=q.key, children=children, geometric_error=error)

    root = node_of(tree.root)
    if not root.children and root.content_uri is None:
        raise ValueError("no tile was written")
    documents = build_tilesets(root, refine="ADD" if make_parent is None else "REPLACE",
                               max_document_tiles=DOCUMENT_TILES, schema=schema,
                               tileset_version=build.version)
    for path, document in documents.items():
        if path == "tileset.json":
            prefix_root_uris(document, build.version)
        stats.bytes += write_json(build.path / path, document)
    write_json(build.path / MANIFEST, {
        "salt": salt, "root_bounds": list(bounds), "max_features": max_features,
        "tiles": {k: {"hash": r.hash, "region": list(r.region), "centre": list(r.centre), "bytes": r.bytes,
                      "features": r.features, **({"lod": True} if k in plans else {})}
                  for k, r in sorted(results.items())},
    })
    return stats


def cpu_workers() -> int:
    """Processes for a tile build: the cores this process may use, at most 4."""
    try:
        return max(1, min(4, len(os.sched_getaffinity(0))))
    except AttributeError:
        return max(1, min(4, os.cpu_count() or 1))


def dense_ids(values: Sequence[int]) -> np.ndarray:
    """Feature ids 0..k-1 in order of first appearance."""
    _, inverse = np.unique(np.asarray(values), return_inverse=True)
    return inverse.astype(np.uint32)
