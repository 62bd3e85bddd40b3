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
from tiles.precompress import write_tile
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
    glb, region, centre = _JOB["make_tile"](key, idx) if tolerance is None else _JOB["make_parent"](key, idx, tolerance)
    write_tile(_JOB["folder"] / TILE_FOLDER / f"{key}.glb", glb)
    return key, len(glb), region, centre


@dataclass
class TilePlan:
    """What a feature layer's build will write, decided before any tile is: the quadtree, each parent's
    content, every tile's hash, the tiles reused from the published build (already hard-linked) and the
    tiles still to write (`todo`, leaves first, then parents bottom-up). Any part of `todo` can be written
    by any process that sees the build folder (write_tiles); finish_tiles then writes the tilesets."""

    salt: str
    bounds: list[float]
    max_features: int
    error_factor: float
    min_error: float
    refine: str
    tree: object  # tiles.quadtree.QuadTree
    plans: dict[str, ParentPlan]
    counts: dict[str, int]
    hashes: dict[str, str]
    reused: dict[str, TileResult]
    todo: list[tuple[str, np.ndarray, float | None]]
    size_below: dict[str, float]  # internal nodes without a plan: error_factor × largest feature size below

    def parts(self, count: int) -> list[list[int]]:
        """`todo` cut into at most `count` parts by work (tile_work), each a run of consecutive tiles in key order
        (a part is a few whole subtrees, its tiles near each other); the largest first. Workers take the next part
        when free, so they end at most one part apart: the last third of the parts are half the size of the
        others, and a worker that ends early has a small part, not a large one, left to wait for."""
        order = sorted(range(len(self.todo)), key=lambda i: self.todo[i][0])
        if not order:
            return []
        cost = [tile_work(self.todo[i]) for i in order]
        work = np.cumsum(cost, dtype=np.float64)
        count = max(1, min(count, len(order)))
        halves = count // 3
        shares = np.cumsum([1.0] * (count - halves) + [0.5] * halves)
        cut = np.searchsorted(work, work[-1] * shares[:-1] / shares[-1], side="left")
        bounds = [0, *sorted(set(int(c) + 1 for c in cut)), len(order)]
        runs = [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
        # Stable: equal parts keep key order.
        runs.sort(key=lambda run: -float(np.sum(cost[run[0] : run[1]])))
        return [order[a:b] for a, b in runs]


# A tile's fixed cost (glb header, file, gzip set-up) in features' worth, and how much more a parent's feature costs
# (its footprint simplified first): measured on bench/jobs.py's city, a leaf of 260 buildings took 6.4 ms to make
# and gzip, a parent of 320 twice that.
TILE_WORK = 200
PARENT_FACTOR = 2


def tile_work(job: tuple[str, np.ndarray, float | None]) -> int:
    """What writing one tile of a plan's todo costs, in features' worth (TilePlan.parts balances it)."""
    _, features, tolerance = job
    return (len(features) + TILE_WORK) * (1 if tolerance is None else PARENT_FACTOR)


def plan_tiles(
    build: LayerBuild,
    layer: FeatureLayer,
    *,
    salt: str,
    max_features: int,
    error_factor: float,
    min_error: float,
    with_parents: bool,
    parent_features: int = 0,
) -> TilePlan:
    """Decide the tiles of a feature layer and hard-link the unchanged ones from the published build.

    with_parents: every internal node draws its subtree's features of highest weight (layer.weight; at most
        parent_features and a quarter of the subtree, tiles.lod.plan_parents) and the tileset refines by
        REPLACE; otherwise internal nodes are empty and refine by ADD.
    salt: anything besides the features that shapes the tiles (writer version, geoid grid, CRS).
    """
    previous = read_manifest(build.previous)
    old_tiles = reusable_tiles(previous, salt)
    bounds = previous.get("root_bounds")
    if (
        bounds is None
        or not len(layer)
        or not (
            layer.x.min() >= bounds[0]
            and layer.y.min() >= bounds[1]
            and layer.x.max() <= bounds[2]
            and layer.y.max() <= bounds[3]
        )
    ):
        # Keys stay stable while the data stays inside the previous root cell.
        bounds = aligned_root_bounds(layer.x, layer.y)
    tree = build_quadtree(layer.x, layer.y, max_features, bounds=tuple(bounds))
    leaves = tree.leaves()
    plans: dict[str, ParentPlan] = {}
    if with_parents:
        weight = layer.weight if layer.weight is not None else layer.size
        plans = plan_parents(
            tree.root,
            weight,
            layer.size,
            parent_features or max_features,
            error_factor=error_factor,
            min_error=min_error,
            drawable=layer.drawable,
            coarse_size=layer.coarse_size,
        )
    # (key, features, tolerance or None for a leaf), leaves first, then parents bottom-up; a parent with
    # nothing it may draw (a cell of manholes only) stays an empty tile.
    jobs = [(leaf.key, leaf.features, None) for leaf in leaves]
    jobs += [
        (p.key, p.features, p.tolerance) for p in sorted(plans.values(), key=lambda p: -len(p.key)) if p.features.size
    ]
    reused: dict[str, TileResult] = {}
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
            reused[key] = TileResult(
                key, uri, tuple(old["region"]), tuple(old["centre"]), old["bytes"], len(features), digest, reused=True
            )
        else:
            todo.append((key, features, tolerance))
    size_below: dict[str, float] = {}
    for q in tree.root.walk():
        if not q.is_leaf and q.key not in plans:
            below = np.concatenate([c.features for c in q.walk() if c.is_leaf and c.features is not None])
            size_below[q.key] = (
                max(min_error, error_factor * float(layer.size[below].max())) if below.size else min_error
            )
    (build.path / TILE_FOLDER).mkdir(parents=True, exist_ok=True)
    return TilePlan(
        salt=salt,
        bounds=list(bounds),
        max_features=max_features,
        error_factor=error_factor,
        min_error=min_error,
        refine="ADD" if not with_parents else "REPLACE",
        tree=tree,
        plans=plans,
        counts={key: len(features) for key, features, _ in jobs},
        hashes=hashes,
        reused=reused,
        todo=todo,
        size_below=size_below,
    )


TileMaker = Callable[[str, np.ndarray], tuple[bytes, Region, tuple[float, float, float]]]
ParentMaker = Callable[[str, np.ndarray, float], tuple[bytes, Region, tuple[float, float, float]]]
TileOutput = tuple[str, int, Region, tuple[float, float, float]]


def write_tiles(
    folder: Path,
    todo: Sequence[tuple[str, np.ndarray, float | None]],
    make_tile: TileMaker,
    make_parent: ParentMaker | None,
    *,
    workers: int = 1,
    advance: Callable[[], None] = lambda: None,
) -> list[TileOutput]:
    """Write these tiles of a plan into the build folder; (key, bytes, region, centre) of each, in any order.

    workers > 1 forks that many processes; a Celery worker part passes 1 (it is one process on one core)."""
    _JOB.update(make_tile=make_tile, make_parent=make_parent, folder=Path(folder))
    outputs: list[TileOutput] = []
    try:
        if workers > 1 and len(todo) > 2 and "fork" in multiprocessing.get_all_start_methods():
            pool = multiprocessing.get_context("fork").Pool(workers)
            try:
                for output in pool.imap_unordered(_run_tile, todo, chunksize=1):
                    outputs.append(output)
                    advance()
                # Let the children finish and leave (close + join), never terminate(): its SIGTERM reaches children
                # that inherited a Celery worker's signal handlers, which ignore it outside the main process, and
                # one killed while holding the pool's queue lock leaves the others waiting for it forever (seen:
                # a one-job build hung in Pool.__exit__ inside a worker).
                pool.close()
                pool.join()
            except BaseException:
                pool.terminate()
                raise
        else:
            for job in todo:
                outputs.append(_run_tile(job))
                advance()
    finally:
        _JOB.clear()
    return outputs


def finish_tiles(
    build: LayerBuild, plan: TilePlan, outputs: Sequence[TileOutput], *, features: int, schema: dict | None = None
) -> LayerStats:
    """Write tileset.json (plus external tilesets) and the manifest once every tile of the plan is written."""
    missing = {key for key, _, _ in plan.todo} - {key for key, *_ in outputs}
    if missing:
        raise ValueError(
            f"{len(missing)} tiles of layer {build.layer!r} were never written "
            f"(e.g. {sorted(missing)[0]}); the build cannot be published"
        )
    results = dict(plan.reused)
    for key, size, region, centre in outputs:
        results[key] = TileResult(
            key, f"{TILE_FOLDER}/{key}.glb", tuple(region), tuple(centre), size, plan.counts[key], plan.hashes[key]
        )
    stats = LayerStats(
        features=features,
        tiles=len(results),
        tiles_rewritten=len(outputs),
        bytes=sum(r.bytes for r in results.values()),
    )
    plans = plan.plans

    def node_of(q: QuadNode) -> TileNode:
        if q.is_leaf:
            r = results[q.key]
            return TileNode(key=q.key, region=r.region, content_uri=r.uri, centre=r.centre, geometric_error=0.0)
        children = [node_of(c) for c in q.children if c.count]
        if q.key in results:
            r = results[q.key]
            return TileNode(
                key=q.key,
                region=r.region,
                content_uri=r.uri,
                centre=r.centre,
                children=children,
                geometric_error=plans[q.key].geometric_error,
            )
        if q.key in plans:
            return TileNode(key=q.key, children=children, geometric_error=plans[q.key].geometric_error)
        return TileNode(key=q.key, children=children, geometric_error=plan.size_below[q.key])

    root = node_of(plan.tree.root)
    if not root.children and root.content_uri is None:
        raise ValueError("no tile was written")
    documents = build_tilesets(
        root, refine=plan.refine, max_document_tiles=DOCUMENT_TILES, schema=schema, tileset_version=build.version
    )
    for path, document in documents.items():
        if path == "tileset.json":
            prefix_root_uris(document, build.version)
        stats.bytes += write_json(build.path / path, document)
    write_json(
        build.path / MANIFEST,
        {
            "salt": plan.salt,
            "root_bounds": list(plan.bounds),
            "max_features": plan.max_features,
            "tiles": {
                k: {
                    "hash": r.hash,
                    "region": list(r.region),
                    "centre": list(r.centre),
                    "bytes": r.bytes,
                    "features": r.features,
                    **({"lod": True} if k in plans else {}),
                }
                for k, r in sorted(results.items())
            },
        },
    )
    return stats


def write_feature_tiles(
    build: LayerBuild,
    layer: FeatureLayer,
    make_tile: TileMaker,
    *,
    salt: str,
    max_features: int,
    error_factor: float,
    min_error: float,
    progress: Progress,
    workers: int = 1,
    schema: dict | None = None,
    make_parent: ParentMaker | None = None,
    parent_features: int = 0,
) -> LayerStats:
    """Write the quadtree tiles, tileset.json (plus external tilesets) and the manifest into build.path, in this
    process (and `workers` forked ones): plan_tiles, write_tiles, finish_tiles.

    make_tile(key, indices) returns (glb bytes, region, centre ECEF metres) for the features at indices.
    make_parent(key, indices, tolerance): the same for a parent tile, footprints simplified by tolerance
        (metres, storage CRS); see plan_tiles' with_parents.
    """
    plan = plan_tiles(
        build,
        layer,
        salt=salt,
        max_features=max_features,
        error_factor=error_factor,
        min_error=min_error,
        with_parents=make_parent is not None,
        parent_features=parent_features,
    )
    total = len(plan.todo) + len(plan.reused)
    if plan.todo:
        progress(
            f"  {build.layer}: writing {len(plan.todo)} of {total} tiles"
            + (f" ({len(plan.reused)} unchanged, reused)" if plan.reused else "")
        )
    meter = Meter(f"  {build.layer}", len(plan.todo), progress, unit="tiles written")
    outputs = write_tiles(build.path, plan.todo, make_tile, make_parent, workers=workers, advance=meter.advance)
    return finish_tiles(build, plan, outputs, features=len(layer), schema=schema)


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
