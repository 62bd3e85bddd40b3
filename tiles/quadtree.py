"""Split features into a deterministic point quadtree by centroid, with stable string keys for incremental rebuilds."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

__all__ = ["QuadNode", "QuadTree", "aligned_root_bounds", "build_quadtree", "child_key"]

# Quadrant digits: 0 south-west, 1 south-east, 2 north-west, 3 north-east.
ROOT_KEY = "r"


def child_key(key: str, quadrant: int) -> str:
    """Key of a child: the parent's key plus one quadrant digit ("r", "r3", "r31", ...)."""
    return f"{key}{quadrant}"


@dataclass
class QuadNode:
    """One tile of the tree.

    bounds: (xmin, ymin, xmax, ymax) of the node's square cell, metres in the
        tree's projected CRS; the cell depends only on the key and the root.
    content_bounds: tight (xmin, ymin, xmax, ymax) of the centroids below the
        node (not of the footprints: the caller grows it by feature extents).
    features: indices into the input arrays, ascending; filled at leaves only.
    """

    key: str
    bounds: tuple[float, float, float, float]
    content_bounds: tuple[float, float, float, float]
    count: int
    children: list[QuadNode] = field(default_factory=list)
    features: np.ndarray | None = None

    @property
    def depth(self) -> int:
        return len(self.key) - len(ROOT_KEY)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def walk(self) -> Iterator[QuadNode]:
        """Pre-order traversal, children in quadrant order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class QuadTree:
    """A built tree plus the per-feature leaf lookup."""

    root: QuadNode
    max_features: int
    max_depth: int
    leaf_keys: list[str]
    feature_leaf: np.ndarray  # (n,) index into leaf_keys for every input feature

    def leaves(self) -> list[QuadNode]:
        return [node for node in self.root.walk() if node.is_leaf and node.count]

    def node(self, key: str) -> QuadNode:
        """The node with this key; KeyError if the tree does not hold it."""
        if not key.startswith(ROOT_KEY):
            raise KeyError(key)
        node = self.root
        for digit in key[len(ROOT_KEY) :]:
            quadrant = int(digit)
            match = [c for c in node.children if c.key == child_key(node.key, quadrant)]
            if not match:
                raise KeyError(key)
            node = match[0]
        return node

    def keys_of(self, feature_indices: np.ndarray) -> list[str]:
        """Leaf keys of the tiles holding these features (indices into the build arrays)."""
        return [self.leaf_keys[i] for i in self.feature_leaf[np.asarray(feature_indices, dtype=np.int64)]]

    def locate(self, x: np.ndarray, y: np.ndarray) -> list[str]:
        """Keys of the deepest existing nodes whose cells hold these points.

        x, y: metres in the tree's projected CRS. For features added since the
        build, this names the tile to rebuild; points outside the root cell map
        to the root key.
        """
        x = np.atleast_1d(np.asarray(x, dtype=np.float64))
        y = np.atleast_1d(np.asarray(y, dtype=np.float64))
        out: list[str] = []
        for px, py in zip(x.tolist(), y.tolist()):
            node = self.root
            xmin, ymin, xmax, ymax = node.bounds
            if not (xmin <= px <= xmax and ymin <= py <= ymax):
                out.append(node.key)
                continue
            while node.children:
                q = _quadrant_scalar(node.bounds, px, py)
                key = child_key(node.key, q)
                nxt = next((c for c in node.children if c.key == key), None)
                if nxt is None:
                    break
                node = nxt
            out.append(node.key)
        return out


def aligned_root_bounds(x: np.ndarray, y: np.ndarray, min_size: float = 64.0) -> tuple[float, float, float, float]:
    """A square cell with a power-of-two side, aligned on a multiple of that side, holding every point.

    x, y: metres in a projected CRS. Snapping to a global grid keeps keys
    stable when a few features are added: the root only changes when data
    leaves the cell.
    """
    xmin, xmax = float(np.min(x)), float(np.max(x))
    ymin, ymax = float(np.min(y)), float(np.max(y))
    side = max(min_size, 2.0 ** math.ceil(math.log2(max(xmax - xmin, ymax - ymin, 1e-9))))
    while True:
        # Data straddling a line of every power-of-two grid (x = 0, x = 2**20...)
        # never fits a cell aligned on its own side; snapping the origin to a
        # finer grid (down to side / 16) always fits once the side is doubled.
        for grid in (side, side / 2, side / 4, side / 8, side / 16):
            ox = math.floor(xmin / grid) * grid
            oy = math.floor(ymin / grid) * grid
            if xmax < ox + side and ymax < oy + side:
                return (ox, oy, ox + side, oy + side)
        side *= 2.0


def _quadrant_scalar(bounds: tuple[float, float, float, float], px: float, py: float) -> int:
    xmid = (bounds[0] + bounds[2]) * 0.5
    ymid = (bounds[1] + bounds[3]) * 0.5
    return (1 if px >= xmid else 0) + (2 if py >= ymid else 0)


def _child_bounds(bounds: tuple[float, float, float, float], quadrant: int) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = bounds
    xmid = (xmin + xmax) * 0.5
    ymid = (ymin + ymax) * 0.5
    x0, x1 = (xmid, xmax) if quadrant & 1 else (xmin, xmid)
    y0, y1 = (ymid, ymax) if quadrant & 2 else (ymin, ymid)
    return (x0, y0, x1, y1)


def build_quadtree(
    x: np.ndarray,
    y: np.ndarray,
    max_features: int = 1000,
    *,
    bounds: tuple[float, float, float, float] | None = None,
    max_depth: int = 20,
) -> QuadTree:
    """Split feature centroids until every leaf holds at most max_features.

    x, y: (n,) centroid coordinates, metres in a projected CRS (for example
        EPSG:2154).
    bounds: the root cell (xmin, ymin, xmax, ymax) in the same CRS; pass the
        layer's fixed cell to keep keys stable across rebuilds, otherwise
        aligned_root_bounds(x, y) is used.
    max_depth: cells stop splitting there even when crowded (many features
        sharing one centroid).

    Deterministic: the same inputs give the same keys and leaf membership; a
    point on a split line goes to the east / north child.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D arrays of one length, got {x.shape} and {y.shape}")
    if max_features < 1:
        raise ValueError("max_features must be at least 1")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("centroids contain NaN or infinity")
    n = x.shape[0]
    if bounds is None:
        bounds = aligned_root_bounds(x, y) if n else (0.0, 0.0, 1.0, 1.0)
    elif n and (x.min() < bounds[0] or x.max() > bounds[2] or y.min() < bounds[1] or y.max() > bounds[3]):
        raise ValueError("some centroids fall outside the given root bounds")
    bounds = tuple(float(b) for b in bounds)

    leaf_keys: list[str] = []
    feature_leaf = np.full(n, -1, dtype=np.int64)

    def tight(idx: np.ndarray, cell: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        if idx.size == 0:
            return cell
        xs, ys = x[idx], y[idx]
        return (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))

    def split(key: str, cell: tuple[float, float, float, float], idx: np.ndarray, depth: int) -> QuadNode:
        node = QuadNode(key=key, bounds=cell, content_bounds=tight(idx, cell), count=int(idx.size))
        if idx.size <= max_features or depth >= max_depth:
            node.features = idx
            feature_leaf[idx] = len(leaf_keys)
            leaf_keys.append(key)
            return node
        xmid = (cell[0] + cell[2]) * 0.5
        ymid = (cell[1] + cell[3]) * 0.5
        quadrant = (x[idx] >= xmid).astype(np.int8) + 2 * (y[idx] >= ymid).astype(np.int8)
        for q in range(4):
            sub = idx[quadrant == q]
            if sub.size:
                node.children.append(split(child_key(key, q), _child_bounds(cell, q), sub, depth + 1))
        return node

    root = split(ROOT_KEY, bounds, np.arange(n, dtype=np.int64), 0)
    return QuadTree(
        root=root, max_features=max_features, max_depth=max_depth, leaf_keys=leaf_keys, feature_leaf=feature_leaf
    )
