"""The networks layer: a tube along each segment's 3D axis, coloured by network type, in a translucent uncertainty
sleeve; manholes and chambers as shafts from lid to bottom, valves and fittings as markers on the pipe axis; parent
tiles of the most significant pipes, coarse, for far views.

Segments and nodes are the features of one quadtree and share one property table per tile (class
`network_feature`): `feature_kind` says which a row is; columns that do not apply hold their empty value
("", -1 or 0).
"""

from __future__ import annotations

import hashlib
import struct
from collections import Counter
from dataclasses import dataclass

import numpy as np

from tiles.builders.base import FeatureLayer, LayerStats, Progress, cpu_workers, write_feature_tiles
from tiles.errors import NothingToBuild
from tiles.georef import TileGeoref
from tiles.glb import GLB_WRITER_VERSION, Material, Primitive, write_glb
from tiles.nodes import (
    ABOVE_GROUND_TYPES,
    SKIPPED_TYPES,
    axis_heights,
    chambers,
    concat_meshes,
    lowest_pipe_ends,
    markers,
    node_shape,
    pipe_azimuths,
)
from tiles.pipes import simplify_axes, sweep_pipes
from tiles.publish import LayerBuild
from tiles.tileset import region_from_ecef
from twin.geoid import HeightFrame
from twin.models import STANDARD_DEPTH_M, NetworkNode, NetworkSegment, Terrain

LAYER = "networks"
WRITER_VERSION = "networks-4"
MAX_FEATURES = 600
PIPE_SIDES = 10
SLEEVE_SIDES = 8
# A 20 mm cable is invisible at street scale: draw at least this radius (the attribute keeps the truth).
MIN_RADIUS_M = 0.05
# A tile's geometric error: error_factor × the widest thing it leaves out (a sleeve, a shaft; m), plus the
# simplification of its axes (tiles.lod).
ERROR_FACTOR = 6.0
MIN_ERROR_M = 15.0
# A parent tile draws at most this many of its subtree's pipes (and at most a quarter of its features, tiles.lod),
# the largest by outer diameter × length: coarse tubes without sleeve; nodes are left to the leaves.
PARENT_FEATURES = 600
PARENT_PIPE_SIDES = 5
# A parent's axes move up to its cell's tolerance in plan but only this much in height, so that a simplified
# pipe never rises out of its cover.
PARENT_Z_TOLERANCE_M = 0.1

# Half-width of the uncertainty sleeve around the pipe by precision class (arrêté du 15 février 2012:
# class A ≤ 0.40 m, 0.50 m for flexible networks; B ≤ 1.50 m; C beyond or unknown).
UNCERTAINTY_M = {"A": 0.40, "B": 1.50, "C": 2.50}
FLEXIBLE = {"electricity", "telecom", "lighting"}

# NF P 98-332 colour code of buried networks (sRGB).
NETWORK_COLOURS = {
    "water": (0, 90, 255),
    "sewer": (120, 72, 30),
    "stormwater": (150, 100, 50),
    "gas": (255, 215, 0),
    "electricity": (230, 20, 20),
    "lighting": (255, 90, 60),
    "telecom": (0, 170, 60),
    "heating": (150, 60, 200),
    "other": (200, 200, 200),
}

# Nodes. A manhole is a DN1000 shaft unless its attributes say otherwise; a gully or a connection box smaller.
CHAMBER_DIAMETER_M = {"gully": 0.5, "connection_box": 0.4}
DEFAULT_CHAMBER_DIAMETER_M = 1.0
CHAMBER_SIDES = 12
# Nothing says how deep a chamber goes, and no pipe ends in it: the network's standard cover depth
# (twin.models.Network.default_depth) plus this much for the pipe and the sump, flagged as an estimate.
CHAMBER_SUMP_M = 0.5
MIN_CHAMBER_HEIGHT_M = 0.3
# A pipe end this close to a chamber (plan, metres) is taken to enter it: its bottom bounds the chamber's floor.
CHAMBER_PIPE_SNAP_M = 1.5
# A valve or fitting this close to a pipe of its network (plan, metres) is drawn on that pipe's axis.
MARKER_PIPE_SNAP_M = 1.0
MIN_MARKER_RADIUS_M = 0.25
MARKER_PIPE_FACTOR = 1.6  # a marker stands out of its pipe: radius 1.6 × the pipe's
# Source fields kept in NetworkNode.attributes that the importers do not map yet (StaR-Eau, RAEPA names).
# Read here only when invert_z is empty; lengths above 20 are taken as millimetres.
INVERT_ATTRIBUTES = ("z_radier", "zradier", "cote_radier")
DEPTH_ATTRIBUTES = ("profondeur_mesure", "profradier", "profondeur")
LENGTH_ATTRIBUTES = ("longueur_interieure", "longueur")
WIDTH_ATTRIBUTES = ("largeur_interieure", "largeur")
DIAMETER_ATTRIBUTES = ("diametre_interieur", "diametre")

PIPE = Material(base_color=(1.0, 1.0, 1.0, 1.0), roughness=0.6, name="pipe")
SLEEVE = Material(
    base_color=(1.0, 1.0, 1.0, 0.22), roughness=1.0, alpha_mode="BLEND", double_sided=True, name="uncertainty-sleeve"
)
NODE = Material(base_color=(1.0, 1.0, 1.0, 1.0), roughness=0.8, name="network-node")

# Every column of the property table and its empty value, in table order.
COLUMNS: dict[str, object] = {
    "feature_kind": "",
    "feature_type": "",
    "node_type": "",
    "network_type": "",
    "operator": "",
    "material": "",
    "precision_xy": "",
    "precision_z": "",
    "axis_method": "",
    "status": "",
    "diameter_mm": 0.0,
    "radius_m": 0.0,
    "uncertainty_m": 0.0,
    "axis_is_estimate": False,
    "axis_uncertainty_m": -1.0,
    "cover_depth_min": -1.0,
    "cover_depth_max": -1.0,
    "z_top": 0.0,
    "z_bottom": 0.0,
    "depth_m": -1.0,
    "depth_source": "",
    "depth_is_estimate": False,
    "install_year": 0,
}
_DTYPES = {"axis_is_estimate": bool, "depth_is_estimate": bool, "install_year": np.uint16}


def _column(key: str, values) -> np.ndarray | list:
    if isinstance(COLUMNS[key], str):
        return [str(v or "") for v in values]
    return np.asarray(values, dtype=_DTYPES.get(key, np.float64))


def _linear(rgb: tuple[int, int, int]) -> np.ndarray:
    """glTF vertex colours are linear; the colour code is sRGB."""
    c = np.asarray(rgb, float) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def uncertainty_m(precision_xy: str, network_type: str) -> float:
    if precision_xy == "A" and network_type in FLEXIBLE:
        return 0.50
    return UNCERTAINTY_M.get(precision_xy or "C", UNCERTAINTY_M["C"])


@dataclass
class SegmentArrays:
    """Every segment with an axis, as columns; points in the storage CRS with orthometric z (metres)."""

    source_ids: list[str]
    points: np.ndarray  # (N, 3)
    offsets: np.ndarray  # (n + 1,)
    radius: np.ndarray  # metres, drawn
    sleeve: np.ndarray  # metres, radius + uncertainty
    columns: dict[str, np.ndarray | list]
    digests: list[bytes]

    def __len__(self) -> int:
        return len(self.source_ids)


def fetch(terrain_z=None) -> NetworkArrays:
    """Every NetworkSegment with a 3D axis and every drawable NetworkNode; terrain_z(xs, ys) gives ground heights
    (orthometric metres at storage-CRS points) for cover depths and lids, when a terrain exists."""
    rows = list(
        NetworkSegment.objects.filter(axis__isnull=False)
        .order_by("pk")
        .values_list(
            "source_id",
            "axis",
            "network__network_type",
            "network__operator__name",
            "material",
            "diameter_outer_mm",
            "diameter_nominal_mm",
            "diameter_inner_mm",
            "precision_xy",
            "precision_z",
            "axis_method",
            "axis_is_estimate",
            "axis_uncertainty_m",
            "feature_type",
            "status",
            "install_year",
        )
    )
    segments = from_rows(rows, terrain_z)
    node_rows = [
        (
            sid,
            geom,
            ntype,
            net,
            op,
            cover,
            invert,
            pxy,
            pz,
            attrs,
            std if std is not None else STANDARD_DEPTH_M.get(net, STANDARD_DEPTH_M["other"]),
        )
        for sid, geom, ntype, net, op, cover, invert, pxy, pz, attrs, std in NetworkNode.objects.order_by(
            "pk"
        ).values_list(
            "source_id",
            "geom",
            "node_type",
            "network__network_type",
            "network__operator__name",
            "cover_z",
            "invert_z",
            "precision_xy",
            "precision_z",
            "attributes",
            "network__standard_depth_m",
        )
    ]
    return NetworkArrays(segments, nodes_from_rows(node_rows, segments, terrain_z))


def _drawable(axis) -> bool:
    coords = np.asarray(axis.coords if hasattr(axis, "coords") else axis, float).reshape(-1, 3)
    return len(coords) >= 2 and bool((np.linalg.norm(np.diff(coords, axis=0), axis=1) > 1e-6).any())


def from_rows(rows: list[tuple], terrain_z=None) -> SegmentArrays:
    # A zero-length axis has no tube to draw and would leave a hole in the tile's feature ids.
    rows = [r for r in rows if _drawable(r[1])]
    n = len(rows)
    pts: list[np.ndarray] = []
    offsets = np.zeros(n + 1, np.int64)
    diam = np.zeros(n)
    radius = np.zeros(n)
    sleeve = np.zeros(n)
    cols: dict[str, list] = {
        k: []
        for k in (
            "network_type",
            "operator",
            "material",
            "precision_xy",
            "precision_z",
            "axis_method",
            "feature_type",
            "status",
        )
    }
    estimate = np.zeros(n, bool)
    year = np.zeros(n, np.uint16)
    axis_unc = np.full(n, -1.0)
    digests: list[bytes] = []
    ids: list[str] = []
    for i, (
        sid,
        axis,
        ntype,
        operator,
        material,
        d_out,
        d_nom,
        d_in,
        pxy,
        pz,
        method,
        is_est,
        unc,
        ftype,
        status,
        inst,
    ) in enumerate(rows):
        coords = np.asarray(axis.coords if hasattr(axis, "coords") else axis, float).reshape(-1, 3)
        pts.append(coords)
        offsets[i + 1] = offsets[i] + len(coords)
        mm = d_out or d_nom or d_in or 0.0
        diam[i] = mm
        r = max(MIN_RADIUS_M, (mm or 100.0) / 2000.0)
        radius[i] = r
        sleeve[i] = r + uncertainty_m(pxy, ntype)
        ids.append(sid)
        for key, value in zip(cols, (ntype, operator, material, pxy, pz, method, ftype, status)):
            cols[key].append(value or "")
        estimate[i] = bool(is_est)
        year[i] = inst or 0
        axis_unc[i] = unc if unc is not None else -1.0
        h = hashlib.blake2b(coords.tobytes(), digest_size=16)
        h.update(struct.pack("<2d?", mm, unc or -1.0, bool(is_est)))
        h.update(
            "\x1f".join(str(v) for v in (sid, ntype, operator, material, pxy, pz, method, ftype, status, inst)).encode()
        )
        digests.append(h.digest())
    points = np.concatenate(pts) if pts else np.zeros((0, 3))
    cover_min = np.full(n, -1.0)
    cover_max = np.full(n, -1.0)
    if terrain_z is not None and n:
        ground = terrain_z(points[:, 0], points[:, 1])
        # Cover: from the ground down to the pipe's top.
        cover = ground - (points[:, 2] + np.repeat(radius, np.diff(offsets)))
        seg = np.repeat(np.arange(n), np.diff(offsets))
        ok = np.isfinite(cover)
        lo = np.full(n, np.inf)
        hi = np.full(n, -np.inf)
        np.minimum.at(lo, seg[ok], cover[ok])
        np.maximum.at(hi, seg[ok], cover[ok])
        has = np.isfinite(lo)
        cover_min[has] = np.round(lo[has], 2)
        cover_max[has] = np.round(hi[has], 2)
        for i in range(n):
            digests[i] = hashlib.blake2b(
                digests[i] + struct.pack("<2d", cover_min[i], cover_max[i]), digest_size=16
            ).digest()
    seg = np.repeat(np.arange(n), np.diff(offsets))
    z_top = np.full(n, -np.inf)
    z_bottom = np.full(n, np.inf)
    if n:
        np.maximum.at(z_top, seg, points[:, 2])
        np.minimum.at(z_bottom, seg, points[:, 2])
    columns = {
        **cols,
        "feature_kind": ["segment"] * n,
        "node_type": [""] * n,
        "z_top": np.round(z_top + radius, 2),
        "z_bottom": np.round(z_bottom - radius, 2),
        "depth_m": np.full(n, -1.0),
        "depth_source": [""] * n,
        "depth_is_estimate": estimate.copy(),
        "diameter_mm": diam,
        "radius_m": np.round(radius, 3),
        "uncertainty_m": np.round(sleeve - radius, 2),
        "axis_is_estimate": estimate,
        "axis_uncertainty_m": axis_unc,
        "cover_depth_min": cover_min,
        "cover_depth_max": cover_max,
        "install_year": year,
    }
    columns = {k: _column(k, columns[k]) for k in COLUMNS}
    return SegmentArrays(ids, points, offsets, radius, sleeve, columns, digests)


@dataclass
class NodeArrays:
    """Every drawable node, resolved to a solid; storage CRS metres, orthometric heights.

    A chamber rises from bottom_z to top_z around (x, y), half_length × half_width (round: radii) turned by
    azimuth (radians, counter-clockwise from the CRS x axis; a rectangular one lies along the widest pipe of
    its network within CHAMBER_PIPE_SNAP_M, tiles.nodes.pipe_azimuths, else along x); a marker is centred at
    (x, y, bottom_z == top_z) with radius half_length.
    """

    source_ids: list[str]
    x: np.ndarray
    y: np.ndarray
    is_chamber: np.ndarray
    bottom_z: np.ndarray
    top_z: np.ndarray
    half_length: np.ndarray
    half_width: np.ndarray
    is_round: np.ndarray
    azimuth: np.ndarray
    columns: dict[str, np.ndarray | list]
    digests: list[bytes]

    def __len__(self) -> int:
        return len(self.source_ids)


def _attribute(attrs: dict | None, names: tuple[str, ...], length: bool = False) -> float | None:
    for name in names:
        try:
            value = float((attrs or {}).get(name))
        except (TypeError, ValueError):
            continue
        if np.isfinite(value) and (not length or value > 0):
            return value / 1000.0 if length and value > 20 else value
    return None


def nodes_from_rows(rows: list[tuple], segments: SegmentArrays, terrain_z=None) -> NodeArrays:
    """Resolve node rows to solids.

    rows: (source_id, geom (x, y, z), node_type, network_type, operator, cover_z, invert_z, precision_xy,
    precision_z, attributes, standard cover depth m), heights orthometric metres, storage CRS.
    A chamber's lid: cover_z, else the terrain, else the node's own z. Its floor, in order: invert_z
    (depth_source "invert"); the attributes' invert or depth ("attributes"); the lowest pipe end within
    CHAMBER_PIPE_SNAP_M ("pipes", estimate); the standard cover depth + CHAMBER_SUMP_M ("standard", estimate).
    A valve or fitting sits on the axis of the nearest pipe of its network type within MARKER_PIPE_SNAP_M
    ("pipe_axis"); else at invert_z ("invert"), else the standard cover depth under its lid ("standard",
    estimate). Above-ground nodes (cabinets, poles) stand on the ground.
    """
    rows = [r for r in rows if node_shape(r[2] or "") != "skip"]
    n = len(rows)
    xyz = np.array([tuple(g.coords if hasattr(g, "coords") else g)[:3] for g in (r[1] for r in rows)], float).reshape(
        n, 3
    )
    ground = np.full(n, np.nan)
    if terrain_z is not None and n:
        ground = np.asarray(terrain_z(xyz[:, 0], xyz[:, 1]), float)
    types = [r[3] or "other" for r in rows]
    # Markers: the axis of the nearest pipe of the same network type.
    snap_z = np.full(n, np.nan)
    snap_radius = np.zeros(n)
    snap_diameter = np.zeros(n)  # a valve's DN is its pipe's
    pipe_azimuth = np.full(n, np.nan)  # a rectangular chamber lies along the main pipe through it
    seg_types = np.asarray(segments.columns["network_type"], dtype=object)
    for ntype in set(types):
        mine = np.flatnonzero(np.array([t == ntype for t in types]))
        pipes = np.flatnonzero(seg_types == ntype)
        if not pipes.size or not mine.size:
            continue
        take = np.concatenate([np.arange(segments.offsets[p], segments.offsets[p + 1]) for p in pipes])
        sub_offsets = np.concatenate([[0], np.cumsum(np.diff(segments.offsets)[pipes])])
        z, _, hit = axis_heights(xyz[mine, :2], segments.points[take], sub_offsets, MARKER_PIPE_SNAP_M)
        ok = hit >= 0
        snap_z[mine[ok]] = z[ok]
        snap_radius[mine[ok]] = segments.radius[pipes[hit[ok]]]
        snap_diameter[mine[ok]] = segments.columns["diameter_mm"][pipes[hit[ok]]]
        pipe_azimuth[mine] = pipe_azimuths(
            xyz[mine, :2], segments.points[take], sub_offsets, segments.radius[pipes], CHAMBER_PIPE_SNAP_M
        )
    floor_pipes = lowest_pipe_ends(xyz[:, :2], segments.points, segments.offsets, segments.radius, CHAMBER_PIPE_SNAP_M)

    is_chamber = np.zeros(n, bool)
    bottom = np.zeros(n)
    top = np.zeros(n)
    hl = np.zeros(n)
    hw = np.zeros(n)
    is_round = np.ones(n, bool)
    azimuth = np.zeros(n)
    cols: dict[str, list] = {k: [] for k in COLUMNS}
    digests: list[bytes] = []
    for i, (sid, _, ntype, net, operator, cover_z, invert_z, pxy, pz, attrs, std_depth) in enumerate(rows):
        x, y, z = xyz[i]
        g = float(ground[i]) if np.isfinite(ground[i]) else None
        estimate = False
        if node_shape(ntype) == "chamber":
            is_chamber[i] = True
            lid = cover_z if cover_z is not None else g if g is not None else z if invert_z is None else None
            attr_invert = _attribute(attrs, INVERT_ATTRIBUTES)
            attr_depth = _attribute(attrs, DEPTH_ATTRIBUTES, length=True)
            if invert_z is not None:
                floor, source = invert_z, "invert"
            elif attr_invert is not None:
                floor, source = attr_invert, "attributes"
            elif attr_depth is not None and lid is not None:
                floor, source = lid - attr_depth, "attributes"
            elif np.isfinite(floor_pipes[i]):
                floor, source, estimate = float(floor_pipes[i]), "pipes", True
            else:
                floor, source, estimate = (lid if lid is not None else z) - std_depth - CHAMBER_SUMP_M, "standard", True
            if lid is None:
                lid, estimate = floor + std_depth + CHAMBER_SUMP_M, True
            floor = min(floor, lid - MIN_CHAMBER_HEIGHT_M)
            bottom[i], top[i] = floor, lid
            length = _attribute(attrs, LENGTH_ATTRIBUTES, length=True)
            width = _attribute(attrs, WIDTH_ATTRIBUTES, length=True)
            diameter = _attribute(attrs, DIAMETER_ATTRIBUTES, length=True)
            if "rect" in str((attrs or {}).get("forme", "")).lower() and length and width:
                hl[i], hw[i], is_round[i] = length / 2, width / 2, False
                azimuth[i] = pipe_azimuth[i] if np.isfinite(pipe_azimuth[i]) else 0.0
            else:
                hl[i] = hw[i] = (diameter or CHAMBER_DIAMETER_M.get(ntype, DEFAULT_CHAMBER_DIAMETER_M)) / 2
            depth = lid - floor
            cover = (g - lid) if g is not None else -1.0
        else:
            surface = cover_z if cover_z is not None else g if g is not None else z
            if ntype in ABOVE_GROUND_TYPES:
                radius = MIN_MARKER_RADIUS_M
                centre, source = (g if g is not None else z) + radius, "ground"
            else:
                radius = max(MIN_MARKER_RADIUS_M, MARKER_PIPE_FACTOR * snap_radius[i])
                if np.isfinite(snap_z[i]):
                    centre, source = float(snap_z[i]), "pipe_axis"
                elif invert_z is not None:
                    centre, source = invert_z + radius, "invert"
                else:
                    centre, source, estimate = surface - std_depth, "standard", True
            bottom[i] = top[i] = centre
            hl[i] = hw[i] = radius
            depth = (g - centre) if g is not None else -1.0
            cover = (g - centre - radius) if g is not None else -1.0
        values = {
            "feature_kind": "node",
            "node_type": ntype,
            "network_type": net,
            "operator": operator,
            "precision_xy": pxy,
            "precision_z": pz,
            "diameter_mm": round(2000 * hl[i]) if is_chamber[i] else snap_diameter[i],
            "radius_m": round(hl[i], 3),
            "uncertainty_m": round(uncertainty_m(pxy, net or "other"), 2),
            "cover_depth_min": round(cover, 2),
            "cover_depth_max": round(cover, 2),
            "z_top": round(top[i] + (0 if is_chamber[i] else hl[i]), 2),
            "z_bottom": round(bottom[i] - (0 if is_chamber[i] else hl[i]), 2),
            "depth_m": round(depth, 2),
            "depth_source": source,
            "depth_is_estimate": estimate,
        }
        for key, empty in COLUMNS.items():
            cols[key].append(values.get(key, empty))
        h = hashlib.blake2b(
            struct.pack("<8d?", x, y, bottom[i], top[i], hl[i], hw[i], azimuth[i], cover, bool(is_round[i])),
            digest_size=16,
        )
        h.update("\x1f".join(str(values[k]) for k in sorted(values)).encode())
        h.update(sid.encode())
        digests.append(h.digest())
    return NodeArrays(
        [r[0] for r in rows],
        xyz[:, 0].copy(),
        xyz[:, 1].copy(),
        is_chamber,
        bottom,
        top,
        hl,
        hw,
        is_round,
        azimuth,
        {k: _column(k, v) for k, v in cols.items()},
        digests,
    )


@dataclass
class NetworkArrays:
    """The layer's features: segments first (rows 0..s-1), then nodes (rows s..)."""

    segments: SegmentArrays
    nodes: NodeArrays

    def __len__(self) -> int:
        return len(self.segments) + len(self.nodes)


def feature_layer(data: NetworkArrays) -> FeatureLayer:
    segs = data.segments
    seg = np.repeat(np.arange(len(segs)), np.diff(segs.offsets))
    xmin = np.full(len(segs), np.inf)
    xmax = np.full(len(segs), -np.inf)
    ymin = xmin.copy()
    ymax = xmax.copy()
    np.minimum.at(xmin, seg, segs.points[:, 0])
    np.maximum.at(xmax, seg, segs.points[:, 0])
    np.minimum.at(ymin, seg, segs.points[:, 1])
    np.maximum.at(ymax, seg, segs.points[:, 1])
    nodes = data.nodes
    length = np.zeros(len(segs))
    np.add.at(
        length, seg[1:][seg[1:] == seg[:-1]], np.linalg.norm(np.diff(segs.points, axis=0), axis=1)[seg[1:] == seg[:-1]]
    )
    # A parent draws a pipe without its sleeve: what it leaves out of it is the sleeve's width.
    sleeve_width = 2 * segs.sleeve
    return FeatureLayer(
        x=np.concatenate([(xmin + xmax) / 2, nodes.x]),
        y=np.concatenate([(ymin + ymax) / 2, nodes.y]),
        digests=segs.digests + nodes.digests,
        size=np.concatenate([sleeve_width, 2 * np.maximum(nodes.half_length, nodes.half_width)]),
        weight=np.concatenate([2 * segs.radius * length, np.zeros(len(nodes))]),
        drawable=np.arange(len(segs) + len(nodes)) < len(segs),
        coarse_size=np.concatenate([sleeve_width, np.zeros(len(nodes))]),
    )


def tile_glb(
    data: NetworkArrays, idx: np.ndarray, frame: HeightFrame, tolerance: float | None = None
) -> tuple[bytes, tuple, tuple]:
    """One tile's glb for the features at rows idx: pipes, sleeves, then nodes, one property table.

    Feature id k of the tile is row idx[k] of the layer.
    tolerance: for a parent tile, metres (storage CRS plan) by which axes are simplified (heights by at most
    PARENT_Z_TOLERANCE_M); its pipes are then coarse tubes of PARENT_PIPE_SIDES sides, with no sleeve; rows
    idx must all be segments.
    """
    idx = np.asarray(idx, np.int64)
    n_seg = len(data.segments)
    if tolerance is not None and (idx >= n_seg).any():
        raise ValueError("a parent tile draws segments only")
    seg_pos = np.flatnonzero(idx < n_seg)
    node_pos = np.flatnonzero(idx >= n_seg)
    seg_rows = idx[seg_pos]
    node_rows = idx[node_pos] - n_seg
    segs, nodes = data.segments, data.nodes
    starts, ends = segs.offsets[seg_rows], segs.offsets[seg_rows + 1]
    take = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)] or [np.zeros(0, np.int64)])
    pts = segs.points[take]
    offsets = np.zeros(len(seg_rows) + 1, np.int64)
    np.cumsum(ends - starts, out=offsets[1:])
    if tolerance is not None:
        pts, offsets = simplify_axes(pts, offsets, tolerance, min(tolerance, PARENT_Z_TOLERANCE_M))
    xs = np.concatenate([pts[:, 0], nodes.x[node_rows]])
    ys = np.concatenate([pts[:, 1], nodes.y[node_rows]])
    georef = TileGeoref.fit(frame, (xs.min(), ys.min(), xs.max(), ys.max()))
    ecef = georef.to_ecef(pts[:, 0], pts[:, 1], pts[:, 2])
    node_base = georef.to_ecef(nodes.x[node_rows], nodes.y[node_rows], nodes.bottom_z[node_rows])
    node_top = georef.to_ecef(nodes.x[node_rows], nodes.y[node_rows], nodes.top_z[node_rows])
    everything = np.concatenate([ecef, node_base, node_top])
    centre = (everything.min(axis=0) + everything.max(axis=0)) / 2.0
    local = ecef - centre
    # Tubes are swept in ECEF itself: a projected CRS is not isometric, ECEF is.
    pipe = sweep_pipes(
        local,
        offsets,
        segs.radius[seg_rows],
        sides=PIPE_SIDES if tolerance is None else PARENT_PIPE_SIDES,
        feature_ids=seg_pos,
    )
    sleeve = (
        sweep_pipes(local, offsets, segs.sleeve[seg_rows], sides=SLEEVE_SIDES, feature_ids=seg_pos)
        if tolerance is None
        else sweep_pipes(local[:0], offsets[:1], 1.0)
    )
    # Shafts rise along the local vertical; the CRS's x and y at the tile centre orient boxes.
    axes = georef.local_axes()
    ch = nodes.is_chamber[node_rows]
    height = np.linalg.norm(node_top - node_base, axis=1)
    node_mesh = concat_meshes(
        [
            chambers(
                node_base[ch] - centre,
                height[ch],
                nodes.half_length[node_rows[ch]],
                nodes.half_width[node_rows[ch]],
                nodes.is_round[node_rows[ch]],
                nodes.azimuth[node_rows[ch]],
                axes=axes,
                sides=CHAMBER_SIDES,
                feature_ids=node_pos[ch],
            ),
            markers(node_base[~ch] - centre, nodes.half_length[node_rows[~ch]], axes=axes, feature_ids=node_pos[~ch]),
        ]
    )
    kind_types = [segs.columns["network_type"][i] for i in seg_rows] + [
        nodes.columns["network_type"][i] for i in node_rows
    ]
    types = [""] * len(idx)
    for pos, t in zip(np.concatenate([seg_pos, node_pos]).tolist(), kind_types):
        types[pos] = t
    colour = np.array([_linear(NETWORK_COLOURS.get(t, NETWORK_COLOURS["other"])) for t in types]).reshape(-1, 3)

    def rgba(mesh) -> np.ndarray:
        c = np.ones((mesh.vertex_count, 4))
        c[:, :3] = colour[mesh.feature_ids]
        return c

    primitives = [
        Primitive(m.positions, m.indices, m.feature_ids, m.normals, rgba(m), material)
        for m, material in ((pipe, PIPE), (sleeve, SLEEVE), (node_mesh, NODE))
        if m.vertex_count
    ]
    properties = {}
    for key in COLUMNS:
        a, b = segs.columns[key], nodes.columns[key]
        if isinstance(a, list):
            col = [""] * len(idx)
            for pos, row in zip(seg_pos.tolist(), seg_rows.tolist()):
                col[pos] = a[row]
            for pos, row in zip(node_pos.tolist(), node_rows.tolist()):
                col[pos] = b[row]
        else:
            col = np.zeros(len(idx), a.dtype)
            col[seg_pos] = a[seg_rows]
            col[node_pos] = b[node_rows]
        properties[key] = col
    ids = [""] * len(idx)
    for pos, row in zip(seg_pos.tolist(), seg_rows.tolist()):
        ids[pos] = segs.source_ids[row]
    for pos, row in zip(node_pos.tolist(), node_rows.tolist()):
        ids[pos] = nodes.source_ids[row]
    glb = write_glb(primitives, ids, properties, class_name="network_feature")
    region = region_from_ecef(np.concatenate([sleeve.positions, pipe.positions, node_mesh.positions]) + centre)
    return glb, region, tuple(float(c) for c in centre)


def build(
    build: LayerBuild,
    frame: HeightFrame,
    progress: Progress,
    data: NetworkArrays | None = None,
    workers: int | None = None,
) -> LayerStats:
    """Write the networks layer into build.path."""
    terrain = Terrain.current()
    fetched = data is None
    if data is None:
        data = fetch(terrain.sampler() if terrain is not None and terrain.path.is_file() else None)
    if not len(data.segments):
        raise NothingToBuild(
            "No network segment has a 3D axis to tile: import a network delivery first "
            "(RAEPA, StaR-DT) with `manage.py import_file`, or `manage.py load_demo`."
        )
    progress(f"  networks: {len(data.segments)} segments and {len(data.nodes)} nodes fetched")
    skipped = left_out(data) if fetched else Counter()  # arrays handed in have no rows to compare with
    stats = write_feature_tiles(
        build,
        feature_layer(data),
        lambda key, idx: tile_glb(data, idx, frame),
        salt=f"{WRITER_VERSION}|{GLB_WRITER_VERSION}|{frame.srid}|{frame.grid}",
        max_features=MAX_FEATURES,
        error_factor=ERROR_FACTOR,
        min_error=MIN_ERROR_M,
        progress=progress,
        workers=cpu_workers() if workers is None else workers,
        make_parent=lambda key, idx, tolerance: tile_glb(data, idx, frame, tolerance),
        parent_features=PARENT_FEATURES,
    )
    stats.skipped.update(skipped)
    return stats


def left_out(data: NetworkArrays) -> Counter:
    """Why segments and nodes of the twin are not in the networks layer, and how many (from the database)."""
    reasons: Counter = Counter()
    no_axis = NetworkSegment.objects.filter(axis__isnull=True).count()
    if no_axis:
        reasons[
            "a segment with no 3D axis (no depth in the delivery and no terrain to hang a standard cover "
            "from): import a terrain or the depths, then sync again"
        ] += no_axis
    flat = NetworkSegment.objects.filter(axis__isnull=False).count() - len(data.segments)
    if flat > 0:
        reasons["a segment whose 3D axis has zero length: no tube to draw"] += flat
    for node_type in sorted(SKIPPED_TYPES):
        n = NetworkNode.objects.filter(node_type=node_type).count()
        if n:
            reasons[f"a node of type {node_type}: a measurement, not an object, never drawn"] += n
    return reasons
