"""Network nodes as solids: manholes and chambers from lid to bottom, valves and fittings as markers on the pipe axis.

Pure: arrays in, Mesh out, no Django. Every coordinate is metres in one Cartesian frame chosen by the caller
(a projected CRS with heights, or ECEF minus a tile centre); `axes` says where east, north and up point in it.
"""

from __future__ import annotations

import numpy as np
import shapely

from tiles.extrude import Mesh

__all__ = [
    "concat_meshes",
    "CHAMBER_TYPES",
    "ABOVE_GROUND_TYPES",
    "SKIPPED_TYPES",
    "node_shape",
    "chambers",
    "markers",
    "axis_heights",
    "lowest_pipe_ends",
    "pipe_azimuths",
]

# Node types (gis_sync's vocabulary) drawn as a shaft from the lid down to the bottom.
CHAMBER_TYPES = frozenset({"manhole", "connection_box", "gully", "meter_chamber", "overflow", "chamber"})
# Standing on the ground: drawn where they are, never moved onto a nearby cable's axis.
ABOVE_GROUND_TYPES = frozenset({"cabinet", "pole", "pylon", "technical_building"})
# Not objects but measurements (they already shaped the pipes' axes).
SKIPPED_TYPES = frozenset({"survey_point"})


def node_shape(node_type: str) -> str:
    """'chamber', 'marker' or 'skip' for a node type."""
    if node_type in SKIPPED_TYPES:
        return "skip"
    return "chamber" if node_type in CHAMBER_TYPES else "marker"


def _empty() -> Mesh:
    z = np.zeros((0, 3))
    return Mesh(z, z.astype(np.float32), np.zeros(0, np.uint32), np.zeros(0, np.uint32))


def concat_meshes(parts: list[Mesh]) -> Mesh:
    parts = [p for p in parts if p.vertex_count]
    if not parts:
        return _empty()
    base = np.cumsum([0] + [p.vertex_count for p in parts[:-1]])
    return Mesh(
        np.concatenate([p.positions for p in parts]),
        np.concatenate([p.normals for p in parts]).astype(np.float32),
        np.concatenate([p.indices.astype(np.int64) + b for p, b in zip(parts, base)]).astype(np.uint32),
        np.concatenate([p.feature_ids for p in parts]).astype(np.uint32),
    )


def _check_axes(axes: np.ndarray) -> np.ndarray:
    axes = np.asarray(axes, np.float64)
    if axes.shape != (3, 3):
        raise ValueError(f"axes must be a 3x3 matrix (columns east, north, up), got {axes.shape}")
    return axes / np.linalg.norm(axes, axis=0, keepdims=True)


def _prism_group(base, height, outline, smooth, axes, fids) -> Mesh:
    """m prisms whose k-point outlines (m, k, 2, counter-clockwise, metres east/north) rise by height (m,)."""
    m, k, _ = outline.shape
    east, north, up = axes[:, 0], axes[:, 1], axes[:, 2]
    bottom = base[:, None, :] + outline[..., 0:1] * east + outline[..., 1:2] * north  # (m, k, 3)
    top = bottom + height[:, None, None] * up
    j = np.arange(k)
    jn = (j + 1) % k
    pos: list[np.ndarray] = []
    nrm: list[np.ndarray] = []
    idx: list[np.ndarray] = []
    fid: list[np.ndarray] = []
    count = 0
    if smooth:
        # Shared side vertices, normals along the outline's outward direction (a round shaft looks round).
        radial = outline / np.linalg.norm(outline, axis=2, keepdims=True)
        side_n = radial[..., 0:1] * east + radial[..., 1:2] * north
        pos.append(np.concatenate([bottom, top], axis=1).reshape(-1, 3))
        nrm.append(np.concatenate([side_n, side_n], axis=1).reshape(-1, 3))
        b0 = (np.arange(m) * 2 * k)[:, None]
        quads = np.stack([b0 + j, b0 + jn, b0 + k + jn, b0 + j, b0 + k + jn, b0 + k + j], axis=-1)
        idx.append(quads.reshape(-1))
        fid.append(np.repeat(fids, 2 * k))
        count = m * 2 * k
    else:
        # Four vertices per face so that each face keeps its own flat normal (a box looks like a box).
        corners = np.stack([bottom, np.roll(bottom, -1, axis=1), np.roll(top, -1, axis=1), top], axis=2)  # (m,k,4,3)
        edge = corners[:, :, 1] - corners[:, :, 0]
        face_n = np.cross(edge, up)
        face_n /= np.linalg.norm(face_n, axis=2, keepdims=True)
        pos.append(corners.reshape(-1, 3))
        nrm.append(np.repeat(face_n.reshape(-1, 3), 4, axis=0))
        f0 = (np.arange(m * k) * 4)[:, None]
        idx.append(np.concatenate([f0, f0 + 1, f0 + 2, f0, f0 + 2, f0 + 3], axis=1).reshape(-1))
        fid.append(np.repeat(fids, 4 * k))
        count = m * k * 4
    for ring, sign in ((top, 1.0), (bottom, -1.0)):
        centre = ring.mean(axis=1)
        cap = np.concatenate([centre[:, None, :], ring], axis=1)  # (m, k + 1, 3)
        pos.append(cap.reshape(-1, 3))
        nrm.append(np.broadcast_to(sign * up, (m * (k + 1), 3)))
        c = (count + np.arange(m) * (k + 1))[:, None]
        cc = np.broadcast_to(c, (m, k))
        fan = np.stack([cc, c + 1 + j, c + 1 + jn] if sign > 0 else [cc, c + 1 + jn, c + 1 + j], axis=-1)
        idx.append(fan.reshape(-1))
        fid.append(np.repeat(fids, k + 1))
        count += m * (k + 1)
    return Mesh(
        np.concatenate(pos),
        np.concatenate(nrm).astype(np.float32),
        np.concatenate(idx).astype(np.uint32),
        np.concatenate(fid).astype(np.uint32),
    )


def chambers(
    base: np.ndarray,
    height: np.ndarray,
    half_length: np.ndarray,
    half_width: np.ndarray,
    is_round: np.ndarray,
    azimuth: np.ndarray | float = 0.0,
    *,
    axes: np.ndarray = np.eye(3),  # noqa: B008  read, never written: one shared identity is fine
    sides: int = 12,
    feature_ids: np.ndarray | None = None,
) -> Mesh:
    """Closed vertical shafts: a round one is a cylinder (an ellipse if its halves differ), a rectangular one a box.

    base: (n, 3) centre of each shaft's bottom, metres in the caller's frame.
    height: (n,) metres up from the bottom to the lid, positive.
    half_length, half_width: (n,) metres, along the shaft's own axes (radius twice for a round shaft).
    is_round: (n,) bool, cylinder (`sides` facets, smooth normals) or box (flat faces).
    azimuth: (n,) radians, counter-clockwise from east to the shaft's length axis.
    axes: 3x3, columns the east, north and up directions of the frame (np.eye(3) for a projected CRS with
        heights; TileGeoref.local_axes() for ECEF).
    feature_ids: (n,) per-shaft feature index; defaults to the row.
    Returns outward, counter-clockwise triangles; every shaft is closed (top and bottom caps).
    """
    base = np.asarray(base, np.float64).reshape(-1, 3)
    n = base.shape[0]
    height = np.broadcast_to(np.asarray(height, np.float64), (n,))
    hl = np.broadcast_to(np.asarray(half_length, np.float64), (n,))
    hw = np.broadcast_to(np.asarray(half_width, np.float64), (n,))
    is_round = np.broadcast_to(np.asarray(is_round, bool), (n,))
    az = np.broadcast_to(np.asarray(azimuth, np.float64), (n,))
    fids = np.arange(n, dtype=np.uint32) if feature_ids is None else np.asarray(feature_ids, np.uint32)
    if not 3 <= sides <= 64:
        raise ValueError(f"sides must be within 3..64, got {sides}")
    if fids.shape != (n,):
        raise ValueError(f"feature_ids has shape {fids.shape}, expected ({n},)")
    if n and not (np.isfinite(base).all() and np.isfinite(height).all()):
        raise ValueError("chamber positions or heights contain NaN or infinity")
    for name, v in (("height", height), ("half_length", hl), ("half_width", hw)):
        if n and (v <= 0).any():
            bad = int(np.flatnonzero(v <= 0)[0])
            raise ValueError(f"chamber {bad} has a {name} of {v[bad]} m; it must be positive")
    axes = _check_axes(axes)
    parts = []
    for round_, k in ((True, sides), (False, 4)):
        rows = np.flatnonzero(is_round == round_)
        if not rows.size:
            continue
        t = (np.arange(k) * 2 * np.pi / k) if round_ else np.array([-0.75, -0.25, 0.25, 0.75]) * np.pi
        # A box's corners sit at ±half_length, ±half_width: scale the unit square's diagonal directions.
        cu = np.cos(t) if round_ else np.sign(np.cos(t))
        cv = np.sin(t) if round_ else np.sign(np.sin(t))
        u = cu[None, :] * hl[rows, None]
        v = cv[None, :] * hw[rows, None]
        ca, sa = np.cos(az[rows])[:, None], np.sin(az[rows])[:, None]
        outline = np.stack([u * ca - v * sa, u * sa + v * ca], axis=-1)
        parts.append(_prism_group(base[rows], height[rows], outline, round_, axes, fids[rows]))
    return concat_meshes(parts)


# The eight faces of an octahedron: one per octant, wound counter-clockwise seen from outside.
_OCTANTS = np.array([(sx, sy, sz) for sx in (1, -1) for sy in (1, -1) for sz in (1, -1)], np.float64)


def markers(
    centres: np.ndarray,
    radius: np.ndarray | float,
    *,
    axes: np.ndarray = np.eye(3),  # noqa: B008  read, never written: one shared identity is fine
    feature_ids: np.ndarray | None = None,
) -> Mesh:
    """Closed octahedra (a diamond standing on its tip) marking valves and fittings.

    centres: (n, 3) metres in the caller's frame; radius: metres from the centre to each tip (scalar or (n,)).
    axes: as in chambers(); the tips point east, north and up. 24 vertices and 8 flat faces per marker.
    """
    centres = np.asarray(centres, np.float64).reshape(-1, 3)
    n = centres.shape[0]
    radius = np.broadcast_to(np.asarray(radius, np.float64), (n,))
    fids = np.arange(n, dtype=np.uint32) if feature_ids is None else np.asarray(feature_ids, np.uint32)
    if fids.shape != (n,):
        raise ValueError(f"feature_ids has shape {fids.shape}, expected ({n},)")
    if n and ((radius <= 0).any() or not np.isfinite(centres).all()):
        raise ValueError("markers need finite centres and positive radii")
    if not n:
        return _empty()
    axes = _check_axes(axes)
    tips = []
    for sx, sy, sz in _OCTANTS:
        a, b, c = sx * axes[:, 0], sy * axes[:, 1], sz * axes[:, 2]
        tips.append((a, b, c) if sx * sy * sz > 0 else (a, c, b))
    tips = np.asarray(tips)  # (8, 3 corners, 3)
    normals = np.cross(tips[:, 1] - tips[:, 0], tips[:, 2] - tips[:, 0])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    pos = centres[:, None, None, :] + radius[:, None, None, None] * tips[None]  # (n, 8, 3, 3)
    return Mesh(
        pos.reshape(-1, 3),
        np.broadcast_to(np.repeat(normals, 3, axis=0), (n, 24, 3)).reshape(-1, 3).astype(np.float32),
        np.arange(n * 24, dtype=np.uint32),
        np.repeat(fids, 24).astype(np.uint32),
    )


def _lines(points: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return shapely.linestrings(points[:, :2], indices=np.repeat(np.arange(len(offsets) - 1), np.diff(offsets)))


def axis_heights(
    xy: np.ndarray, points: np.ndarray, offsets: np.ndarray, max_distance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Height of the nearest pipe axis under each plan point.

    xy: (m, 2) plan points; points, offsets: the pipes' 3D axes as in tiles.pipes.sweep_pipes, metres in the
    same projected CRS with heights; max_distance: metres in plan.
    Returns (z, distance, pipe) per point: the axis height at the point's projection on the nearest pipe
    (linear along the plan length), its plan distance and the pipe's row; NaN, inf and -1 beyond max_distance.
    """
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    m = xy.shape[0]
    z = np.full(m, np.nan)
    dist = np.full(m, np.inf)
    pipe = np.full(m, -1, np.int64)
    offsets = np.asarray(offsets, np.int64)
    if not m or len(offsets) < 2:
        return z, dist, pipe
    lines = _lines(points, offsets)
    tree = shapely.STRtree(lines)
    pts = shapely.points(xy)
    (which, hit), d = tree.query_nearest(pts, max_distance=max_distance, return_distance=True, all_matches=False)
    for q, p, dd in zip(which.tolist(), hit.tolist(), d.tolist()):
        axis = points[offsets[p] : offsets[p + 1]]
        along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(axis[:, :2], axis=0).T))])
        at = shapely.line_locate_point(lines[p], pts[q])
        # Where a vertical riser stacks vertices on one plan position, interp takes the last of them, the
        # height the run leaves from; an axis that is nothing but a riser gives its top.
        z[q] = float(np.interp(at, along, axis[:, 2])) if along[-1] > 0 else float(axis[:, 2].max())
        dist[q], pipe[q] = dd, p
    return z, dist, pipe


def lowest_pipe_ends(
    xy: np.ndarray, points: np.ndarray, offsets: np.ndarray, radius: np.ndarray, max_distance: float
) -> np.ndarray:
    """The lowest pipe bottom (axis end height minus radius) among pipe ends within max_distance of each point.

    Estimates a manhole's floor from the pipes it joins. xy: (m, 2), points/offsets as in axis_heights,
    radius: (p,) metres. Returns (m,) heights in metres, NaN where no pipe ends nearby.
    """
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    out = np.full(xy.shape[0], np.inf)
    offsets = np.asarray(offsets, np.int64)
    if not xy.shape[0] or len(offsets) < 2:
        return np.full(xy.shape[0], np.nan)
    ends = np.concatenate([offsets[:-1], offsets[1:] - 1])
    radius = np.asarray(radius, np.float64)
    bottom = points[ends, 2] - np.concatenate([radius, radius])
    tree = shapely.STRtree(shapely.points(points[ends, :2]))
    q, e = tree.query(shapely.points(xy), predicate="dwithin", distance=max_distance)
    np.minimum.at(out, q, bottom[e])
    out[~np.isfinite(out)] = np.nan
    return out


def pipe_azimuths(
    xy: np.ndarray, points: np.ndarray, offsets: np.ndarray, radius: np.ndarray, max_distance: float
) -> np.ndarray:
    """The plan direction of the main pipe at each point: a rectangular chamber lies along the pipe it serves.

    xy: (m, 2) plan points; points/offsets as in axis_heights, radius: (p,) metres; max_distance: metres in plan.
    The main pipe is the widest within max_distance (the nearest among equals); its direction is that of its
    nearest plan segment longer than a centimetre (a vertical riser has none and is passed over).
    Returns (m,) radians counter-clockwise from the CRS x axis, within [0, π) (a box is the same turned half a
    turn), NaN where no pipe with a plan direction passes within max_distance.
    """
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    m = xy.shape[0]
    out = np.full(m, np.nan)
    offsets = np.asarray(offsets, np.int64)
    if not m or len(offsets) < 2:
        return out
    radius = np.asarray(radius, np.float64)
    starts = np.asarray(points[:-1, :2], np.float64)
    step = np.asarray(points[1:, :2], np.float64) - starts
    length = np.hypot(step[:, 0], step[:, 1])
    # Plan segments: consecutive vertices of one pipe, a centimetre apart or more, with their pipe's row.
    within_pipe = np.ones(len(step), bool)
    within_pipe[offsets[1:-1] - 1] = False
    keep = np.flatnonzero(within_pipe & (length >= 0.01))
    if not keep.size:
        return out
    pipe_of = np.searchsorted(offsets, keep, side="right") - 1
    segments = shapely.linestrings(np.stack([starts[keep], starts[keep] + step[keep]], axis=1))
    q, k = shapely.STRtree(segments).query(shapely.points(xy), predicate="dwithin", distance=max_distance)
    if not q.size:
        return out
    d = shapely.distance(shapely.points(xy[q]), segments[k])
    # Per point: the widest pipe first, then the nearest segment.
    order = np.lexsort((d, -radius[pipe_of[k]], q))
    first = order[np.r_[True, q[order][1:] != q[order][:-1]]]
    direction = step[keep[k[first]]]
    out[q[first]] = np.mod(np.arctan2(direction[:, 1], direction[:, 0]), np.pi)
    return out
