"""Sweep tubes (pipes, cables, uncertainty sleeves) along 3D polylines with rotation-minimising frames."""

from __future__ import annotations

import numpy as np

from tiles.extrude import Mesh

__all__ = ["simplify_axes", "sweep_pipes"]

# Below this cosine between the incoming tangent and the joint's miter plane
# normal (a turn sharper than about 150 degrees) the miter would shoot far
# out; clamping keeps a hairpin bounded at the cost of a slightly pinched joint.
_MIN_MITER_COS = 0.25
_EPS = 1e-9


def _normalize(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 0, n, 1.0)


def _first_normal(t: np.ndarray) -> np.ndarray:
    """A unit vector perpendicular to each tangent, never degenerate.

    Crossing with +z collapses on vertical risers, so tangents close to
    vertical cross with +x instead.
    """
    axis = np.zeros_like(t)
    vertical = np.abs(t[:, 2]) > 0.9
    axis[vertical, 0] = 1.0
    axis[~vertical, 2] = 1.0
    return _normalize(np.cross(axis, t))


def _transport(u: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """Carry frame vectors u (perpendicular to t0) to t1 by the smallest rotation.

    Two reflections: across the plane normal to t0 + t1 (sends t0 to -t1), then
    across the plane normal to t1; their product is the rotation about
    t0 x t1, so frames never twist. A full reversal (t1 = -t0) keeps u.
    """
    a = t0 + t1
    aa = np.einsum("ij,ij->i", a, a)
    ok = aa > _EPS
    coef = np.where(ok, 2.0 * np.einsum("ij,ij->i", a, u) / np.where(ok, aa, 1.0), 0.0)
    u1 = u - coef[:, None] * a
    u1 = u1 - 2.0 * np.einsum("ij,ij->i", t1, u1)[:, None] * t1
    # Re-project so rounding never lets the frame drift off the tangent.
    u1 = u1 - np.einsum("ij,ij->i", t1, u1)[:, None] * t1
    bad = np.linalg.norm(u1, axis=1) < 1e-6
    if bad.any():
        u1[bad] = _first_normal(t1[bad])
    return _normalize(u1)


def sweep_pipes(
    points: np.ndarray,
    offsets: np.ndarray,
    radius: np.ndarray | float,
    *,
    sides: int = 10,
    caps: bool = True,
    feature_ids: np.ndarray | None = None,
) -> Mesh:
    """Build closed tubes of constant radius around polylines.

    points: (N, 3) float64 vertices, metres in any Cartesian metric frame
        (projected CRS with heights, local east-north-up, or ECEF minus a tile
        centre: a tube does not depend on which way is up).
    offsets: (P + 1,) pipe p runs through points[offsets[p]:offsets[p + 1]].
    radius: metres, one per pipe or a scalar (outer radius; sleeves pass the
        uncertainty radius).
    sides: vertices per ring, 3..64 (8-12 for networks).
    caps: close both ends with flat discs.
    feature_ids: (P,) per-pipe feature index; defaults to p.

    Consecutive duplicate points are dropped; a pipe with fewer than two
    distinct points yields no geometry. Returns a Mesh in the input frame with
    smooth side normals and flat cap normals, outward-facing
    counter-clockwise triangles.
    """
    points = np.ascontiguousarray(points, dtype=np.float64)
    offsets = np.asarray(offsets, dtype=np.int64)
    n_pipes = offsets.shape[0] - 1
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f"points must be (N, 3), got {points.shape}")
    if offsets[0] != 0 or offsets[-1] != points.shape[0] or (np.diff(offsets) < 0).any():
        raise ValueError("offsets must rise from 0 to len(points)")
    if not 3 <= sides <= 64:
        raise ValueError(f"sides must be within 3..64, got {sides}")
    if not np.isfinite(points).all():
        raise ValueError("points contain NaN or infinity")
    radius = np.broadcast_to(np.asarray(radius, dtype=np.float64), (n_pipes,))
    if (radius <= 0).any():
        bad = int(np.flatnonzero(radius <= 0)[0])
        raise ValueError(f"pipe {bad} has a radius of {radius[bad]} m; radii must be positive")
    pipe_fid = np.arange(n_pipes, dtype=np.uint32) if feature_ids is None else np.asarray(feature_ids, dtype=np.uint32)
    if pipe_fid.shape != (n_pipes,):
        raise ValueError(f"feature_ids has shape {pipe_fid.shape}, expected ({n_pipes},)")

    point_pipe = np.repeat(np.arange(n_pipes), np.diff(offsets))
    keep = np.ones(points.shape[0], dtype=bool)
    if points.shape[0] > 1:
        step = np.linalg.norm(np.diff(points, axis=0), axis=1)
        same_pipe = point_pipe[1:] == point_pipe[:-1]
        keep[1:] = ~same_pipe | (step > _EPS)
    counts = np.bincount(point_pipe[keep], minlength=n_pipes)
    live = counts >= 2
    keep &= live[point_pipe]
    pts = points[keep]
    counts = counts[live]
    pipes = np.flatnonzero(live)
    if pts.shape[0] == 0:
        empty3 = np.zeros((0, 3))
        return Mesh(empty3, empty3.astype(np.float32), np.zeros(0, np.uint32), np.zeros(0, np.uint32))
    starts = np.zeros(pipes.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])

    # Segment s joins point s and s + 1 whenever both belong to one pipe.
    n_pts = pts.shape[0]
    is_last = np.zeros(n_pts, dtype=bool)
    is_last[starts[1:] - 1] = True
    seg_from = np.flatnonzero(~is_last)
    tangent = _normalize(pts[seg_from + 1] - pts[seg_from])

    # Frames: seed each pipe's first segment, then carry segment by segment, all pipes at once.
    n_segs = counts - 1
    seg_start = starts[:-1] - np.arange(pipes.shape[0])
    u_seg = np.empty_like(tangent)
    u_seg[seg_start] = _first_normal(tangent[seg_start])
    for k in range(1, int(n_segs.max())):
        rows = seg_start[n_segs > k] + k
        u_seg[rows] = _transport(u_seg[rows - 1], tangent[rows - 1], tangent[rows])

    # Per point: the incoming segment's frame (the outgoing one at a pipe's start).
    first = np.zeros(n_pts, dtype=bool)
    first[starts[:-1]] = True
    point_index = np.arange(n_pts)
    pipe_rank = np.repeat(np.arange(pipes.shape[0]), counts)
    seg_in = point_index - pipe_rank - 1
    seg_out = point_index - pipe_rank
    seg_in[first] = seg_out[first]
    seg_out[is_last] = seg_in[is_last]
    t_in = tangent[seg_in]
    t_out = tangent[seg_out]
    u = u_seg[seg_in]
    v = np.cross(t_in, u)

    theta = np.arange(sides) * (2.0 * np.pi / sides)
    cos_t, sin_t = np.cos(theta), np.sin(theta)
    r = radius[pipes][pipe_rank]
    radial = cos_t[None, :, None] * u[:, None, :] + sin_t[None, :, None] * v[:, None, :]  # (n, S, 3)
    offset = r[:, None, None] * radial
    # Miter: slide each ring point along the incoming axis onto the plane
    # bisecting the joint, so both segments' cylinders meet without a gap.
    miter = t_in + t_out
    hairpin = np.linalg.norm(miter, axis=1) < 1e-6
    miter[hairpin] = t_in[hairpin]
    miter = _normalize(miter)
    denom = np.maximum(np.einsum("ij,ij->i", t_in, miter), _MIN_MITER_COS)
    slide = -np.einsum("nsj,nj->ns", offset, miter) / denom[:, None]
    ring = pts[:, None, :] + offset + slide[..., None] * t_in[:, None, :]
    ring_normal = _normalize(ring - pts[:, None, :])

    side_pos = ring.reshape(-1, 3)
    side_nrm = ring_normal.reshape(-1, 3)
    side_fid = np.repeat(pipe_fid[pipes][pipe_rank], sides)

    j = np.arange(sides, dtype=np.int64)
    jn = (j + 1) % sides
    a0 = (seg_from * sides)[:, None]
    a1 = ((seg_from + 1) * sides)[:, None]
    quads = np.stack([a0 + j, a0 + jn, a1 + jn, a0 + j, a1 + jn, a1 + j], axis=-1)
    parts_idx = [quads.reshape(-1)]
    parts_pos = [side_pos]
    parts_nrm = [side_nrm]
    parts_fid = [side_fid]

    if caps:
        base = side_pos.shape[0]
        for ends, sign in ((starts[:-1], -1.0), (starts[1:] - 1, 1.0)):
            m = ends.shape[0]
            cap_normal = sign * (t_in[ends] if sign > 0 else t_out[ends])
            centre = pts[ends]
            cap_pos = np.concatenate([centre[:, None, :], ring[ends]], axis=1)  # (m, S + 1, 3)
            parts_pos.append(cap_pos.reshape(-1, 3))
            parts_nrm.append(np.repeat(cap_normal, sides + 1, axis=0))
            parts_fid.append(np.repeat(pipe_fid[pipes], sides + 1))
            c = (base + np.arange(m, dtype=np.int64) * (sides + 1))[:, None]
            if sign < 0:
                fan = np.stack([np.broadcast_to(c, (m, sides)), c + 1 + jn, c + 1 + j], axis=-1)
            else:
                fan = np.stack([np.broadcast_to(c, (m, sides)), c + 1 + j, c + 1 + jn], axis=-1)
            parts_idx.append(fan.reshape(-1))
            base += m * (sides + 1)

    return Mesh(
        positions=np.concatenate(parts_pos),
        normals=np.concatenate(parts_nrm).astype(np.float32),
        indices=np.concatenate(parts_idx).astype(np.uint32),
        feature_ids=np.concatenate(parts_fid).astype(np.uint32),
    )


def _keep_vertices(line: np.ndarray, tolerance_xy: float, tolerance_z: float) -> np.ndarray:
    """Douglas-Peucker on one polyline: a mask of the vertices that keep every dropped one within
    tolerance_xy in plan and tolerance_z in height of the chord that replaces it."""
    keep = np.zeros(len(line), bool)
    keep[[0, -1]] = True
    stack = [(0, len(line) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        p = line[a + 1 : b]
        ab = line[b] - line[a]
        ab2 = float(ab[:2] @ ab[:2])
        # The chord's point facing each vertex in plan; a vertical chord (a riser) faces them all at its middle.
        t = np.clip(((p[:, :2] - line[a, :2]) @ ab[:2]) / ab2, 0.0, 1.0) if ab2 > _EPS else np.full(len(p), 0.5)
        on = line[a] + t[:, None] * ab
        # Each deviation over its own tolerance: a vertex must go when either one is exceeded.
        excess = np.maximum(
            np.linalg.norm(p[:, :2] - on[:, :2], axis=1) / tolerance_xy, np.abs(p[:, 2] - on[:, 2]) / tolerance_z
        )
        worst = int(np.argmax(excess))
        if excess[worst] > 1.0:
            k = a + 1 + worst
            keep[k] = True
            stack += [(a, k), (k, b)]
    return keep


def simplify_axes(
    points: np.ndarray, offsets: np.ndarray, tolerance_xy: float, tolerance_z: float
) -> tuple[np.ndarray, np.ndarray]:
    """Coarser polylines for far views: Douglas-Peucker with a plan and a height tolerance.

    points: (N, 3) metres, a projected CRS with heights (plan x, y; z up); offsets: (P + 1,) as sweep_pipes.
    tolerance_xy, tolerance_z: metres. Every dropped vertex lies within tolerance_xy (plan) and tolerance_z
    (height) of the chord facing it, so a buried pipe's simplified axis stays as deep as its own vertices
    within tolerance_z, however loose the plan tolerance. Ends are always kept. Returns (points, offsets).
    """
    if tolerance_xy <= 0 or tolerance_z <= 0:
        raise ValueError("tolerances must be positive")
    points = np.asarray(points, np.float64)
    offsets = np.asarray(offsets, np.int64)
    keep = np.ones(len(points), bool)
    for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist()):
        if b - a > 2:
            keep[a:b] = _keep_vertices(points[a:b], tolerance_xy, tolerance_z)
    pipe = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    counts = np.bincount(pipe[keep], minlength=len(offsets) - 1)
    new_offsets = np.zeros(len(offsets), np.int64)
    np.cumsum(counts, out=new_offsets[1:])
    return points[keep], new_offsets
