"""Extrude building footprints into flat-shaded LOD1 prisms (walls + earcut roofs) as flat numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import mapbox_earcut
import numpy as np

__all__ = ["Mesh", "extrude_footprints"]


@dataclass
class Mesh:
    """Triangle mesh in the caller's frame.

    positions: (n, 3) float64 metres, in the frame of the input coordinates.
    normals: (n, 3) float32 unit vectors in the same frame.
    indices: (m,) uint32, counter-clockwise seen from outside.
    feature_ids: (n,) uint32, per vertex.
    """

    positions: np.ndarray
    normals: np.ndarray
    indices: np.ndarray
    feature_ids: np.ndarray

    @property
    def vertex_count(self) -> int:
        return int(self.positions.shape[0])

    @property
    def triangle_count(self) -> int:
        return int(self.indices.shape[0] // 3)


def _ring_structure(coords: np.ndarray, ring_offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop closing duplicates; return (kept coords, new ring offsets, kept-vertex mask)."""
    starts = ring_offsets[:-1]
    ends = ring_offsets[1:]
    lengths = ends - starts
    if (lengths < 3).any():
        bad = int(np.flatnonzero(lengths < 3)[0])
        raise ValueError(f"ring {bad} has {int(lengths[bad])} vertices; a ring needs at least 3")
    keep = np.ones(coords.shape[0], dtype=bool)
    closed = (coords[starts] == coords[ends - 1]).all(axis=1)
    keep[ends[closed] - 1] = False
    new_lengths = lengths - closed
    if (new_lengths < 3).any():
        bad = int(np.flatnonzero(new_lengths < 3)[0])
        raise ValueError(f"ring {bad} has fewer than 3 distinct vertices")
    new_offsets = np.zeros_like(ring_offsets)
    np.cumsum(new_lengths, out=new_offsets[1:])
    return coords[keep], new_offsets, keep


def extrude_footprints(
    coords: np.ndarray,
    ring_offsets: np.ndarray,
    polygon_offsets: np.ndarray,
    ground_z: np.ndarray,
    roof_z: np.ndarray,
    feature_ids: np.ndarray | None = None,
    *,
    floor: bool = False,
) -> Mesh:
    """Extrude polygons into closed-looking prisms with flat shading.

    coords: (N, 2) float64 x, y of every ring vertex, metres in a projected CRS
        or local east-north frame (z up). Rings may or may not repeat their
        first vertex at the end; any orientation is accepted.
    ring_offsets: (R + 1,) ring r is coords[ring_offsets[r]:ring_offsets[r + 1]].
    polygon_offsets: (P + 1,) polygon p owns rings polygon_offsets[p]..[p + 1];
        its first ring is the outer boundary, the following ones are holes.
    ground_z, roof_z: (P,) metres, same vertical datum as the output frame.
    feature_ids: (P,) feature index written on every vertex of polygon p
        (several polygons of a multipolygon share one); defaults to p.
    floor: also close the prism underneath (hidden under terrain in most views).

    Returns a Mesh in the input frame: walls have horizontal normals, roofs
    point up (+z), floors down.
    """
    coords = np.ascontiguousarray(coords, dtype=np.float64)
    ring_offsets = np.asarray(ring_offsets, dtype=np.int64)
    polygon_offsets = np.asarray(polygon_offsets, dtype=np.int64)
    n_poly = polygon_offsets.shape[0] - 1
    ground_z = np.broadcast_to(np.asarray(ground_z, dtype=np.float64), (n_poly,))
    roof_z = np.broadcast_to(np.asarray(roof_z, dtype=np.float64), (n_poly,))
    if feature_ids is None:
        poly_fid = np.arange(n_poly, dtype=np.uint32)
    else:
        poly_fid = np.asarray(feature_ids, dtype=np.uint32)
        if poly_fid.shape != (n_poly,):
            raise ValueError(f"feature_ids has shape {poly_fid.shape}, expected ({n_poly},)")
    if coords.ndim != 2 or coords.shape[1] < 2:
        raise ValueError(f"coords must be (N, 2), got {coords.shape}")
    if ring_offsets[-1] != coords.shape[0]:
        raise ValueError("ring_offsets must end at len(coords)")
    if polygon_offsets[-1] != ring_offsets.shape[0] - 1:
        raise ValueError("polygon_offsets must end at the number of rings")
    if not np.isfinite(coords[:, :2]).all():
        raise ValueError("coords contain NaN or infinity")

    xy, ring_offsets, _ = _ring_structure(coords[:, :2], ring_offsets)
    n_rings = ring_offsets.shape[0] - 1
    ring_len = np.diff(ring_offsets)
    ring_poly = np.repeat(np.arange(n_poly), np.diff(polygon_offsets))
    is_outer = np.zeros(n_rings, dtype=bool)
    is_outer[polygon_offsets[:-1][np.diff(polygon_offsets) > 0]] = True

    # Each vertex's successor in its ring, wrapping around.
    nxt = np.arange(1, xy.shape[0] + 1)
    nxt[ring_offsets[1:] - 1] = ring_offsets[:-1]
    a = xy
    b = xy[nxt]
    cross = a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]
    twice_area = np.add.reduceat(cross, ring_offsets[:-1]) if n_rings else np.zeros(0)
    # Outer rings must turn counter-clockwise and holes clockwise so the edge's
    # right-hand side faces out of the solid; flip the others per ring.
    sign = np.where((twice_area > 0) == is_outer, 1.0, -1.0)
    vertex_ring = np.repeat(np.arange(n_rings), ring_len)
    edge_sign = sign[vertex_ring]

    # Walls: one quad of 4 own vertices per non-degenerate edge (flat shading).
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])
    ok = length > 1e-9
    ea, eb, ed = a[ok], b[ok], d[ok]
    es = edge_sign[ok]
    epoly = ring_poly[vertex_ring[ok]]
    n_edges = ea.shape[0]
    wall_normal = np.empty((n_edges, 3), dtype=np.float64)
    wall_normal[:, 0] = ed[:, 1] * es / length[ok]
    wall_normal[:, 1] = -ed[:, 0] * es / length[ok]
    wall_normal[:, 2] = 0.0
    # Reversed rings swap the quad's start and end so its winding stays outward.
    flip = es < 0
    start = np.where(flip[:, None], eb, ea)
    end = np.where(flip[:, None], ea, eb)
    zg = ground_z[epoly]
    zr = roof_z[epoly]
    wall_pos = np.empty((n_edges, 4, 3), dtype=np.float64)
    wall_pos[:, 0, :2] = start
    wall_pos[:, 1, :2] = end
    wall_pos[:, 2, :2] = end
    wall_pos[:, 3, :2] = start
    wall_pos[:, 0, 2] = zg
    wall_pos[:, 1, 2] = zg
    wall_pos[:, 2, 2] = zr
    wall_pos[:, 3, 2] = zr
    base = (np.arange(n_edges, dtype=np.uint32) * 4)[:, None]
    wall_idx = (base + np.array([0, 1, 2, 0, 2, 3], dtype=np.uint32)).ravel()
    wall_fid = np.repeat(poly_fid[epoly], 4)

    # Roofs: earcut per polygon (C++), then one vectorised orientation fix.
    vert_offset = ring_offsets[polygon_offsets[:-1]]
    ring_end_rel = (ring_offsets[1:] - vert_offset[ring_poly]).astype(np.uint32)
    tri_parts: list[np.ndarray] = []
    tri_base: list[int] = []
    # Plain ints in the loop: numpy scalar indexing would cost more than earcut.
    polys = polygon_offsets.tolist()
    rings = ring_offsets.tolist()
    triangulate = mapbox_earcut.triangulate_float64
    for r0, r1 in zip(polys[:-1], polys[1:]):
        if r1 == r0:
            continue
        v0 = rings[r0]
        tris = triangulate(xy[v0 : rings[r1]], ring_end_rel[r0:r1])
        tri_parts.append(tris)
        tri_base.append(v0)
    if tri_parts:
        sizes = np.fromiter((t.shape[0] for t in tri_parts), dtype=np.int64, count=len(tri_parts))
        roof_flat = np.concatenate(tri_parts).astype(np.int64)
        roof_flat += np.repeat(np.asarray(tri_base, dtype=np.int64), sizes)
    else:
        roof_flat = np.zeros(0, np.int64)
    roof_tris = roof_flat.reshape(-1, 3)
    p0, p1, p2 = xy[roof_tris[:, 0]], xy[roof_tris[:, 1]], xy[roof_tris[:, 2]]
    area = (p1[:, 0] - p0[:, 0]) * (p2[:, 1] - p0[:, 1]) - (p2[:, 0] - p0[:, 0]) * (p1[:, 1] - p0[:, 1])
    cw = area < 0
    roof_tris[cw] = roof_tris[cw][:, [0, 2, 1]]

    n_xy = xy.shape[0]
    vertex_poly = ring_poly[vertex_ring]
    roof_pos = np.empty((n_xy, 3), dtype=np.float64)
    roof_pos[:, :2] = xy
    roof_pos[:, 2] = roof_z[vertex_poly]
    parts_pos = [wall_pos.reshape(-1, 3), roof_pos]
    parts_nrm = [np.repeat(wall_normal, 4, axis=0), np.broadcast_to([0.0, 0.0, 1.0], (n_xy, 3))]
    parts_idx = [wall_idx, (roof_tris.ravel() + 4 * n_edges).astype(np.uint32)]
    parts_fid = [wall_fid, poly_fid[vertex_poly]]
    if floor:
        floor_pos = roof_pos.copy()
        floor_pos[:, 2] = ground_z[vertex_poly]
        parts_pos.append(floor_pos)
        parts_nrm.append(np.broadcast_to([0.0, 0.0, -1.0], (n_xy, 3)))
        parts_idx.append((roof_tris[:, [0, 2, 1]].ravel() + 4 * n_edges + n_xy).astype(np.uint32))
        parts_fid.append(poly_fid[vertex_poly])

    return Mesh(
        positions=np.concatenate(parts_pos),
        normals=np.concatenate(parts_nrm).astype(np.float32),
        indices=np.concatenate(parts_idx),
        feature_ids=np.concatenate(parts_fid),
    )
