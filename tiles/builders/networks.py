"""The networks layer: a tube along each segment's 3D axis, coloured by network type, in a translucent uncertainty sleeve."""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import numpy as np
import shapely

from tiles.builders.base import FeatureLayer, LayerStats, Progress, cpu_workers, write_feature_tiles
from tiles.errors import NothingToBuild
from tiles.georef import TileGeoref
from tiles.glb import Material, Primitive, write_glb
from tiles.pipes import sweep_pipes
from tiles.publish import LayerBuild
from tiles.tileset import region_from_ecef
from twin.geoid import HeightFrame

LAYER = "networks"
WRITER_VERSION = "networks-2"
MAX_FEATURES = 600
PIPE_SIDES = 10
SLEEVE_SIDES = 8
# A 20 mm cable is invisible at street scale: draw at least this radius (the attribute keeps the truth).
MIN_RADIUS_M = 0.05
ERROR_FACTOR = 6.0
MIN_ERROR_M = 15.0

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

PIPE = Material(base_color=(1.0, 1.0, 1.0, 1.0), roughness=0.6, name="pipe")
SLEEVE = Material(base_color=(1.0, 1.0, 1.0, 0.22), roughness=1.0, alpha_mode="BLEND", double_sided=True,
                  name="uncertainty-sleeve")


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


def fetch(terrain_z=None) -> SegmentArrays:
    """Every NetworkSegment with a 3D axis; terrain_z(xs, ys) gives cover depths when a terrain exists."""
    from twin.models import NetworkSegment

    rows = list(
        NetworkSegment.objects.filter(axis__isnull=False).order_by("pk").values_list(
            "source_id", "axis", "network__network_type", "network__operator__name", "material",
            "diameter_outer_mm", "diameter_nominal_mm", "diameter_inner_mm", "precision_xy", "precision_z",
            "axis_method", "axis_is_estimate", "axis_uncertainty_m", "feature_type", "status", "install_year")
    )
    return from_rows(rows, terrain_z)


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
    cols: dict[str, list] = {k: [] for k in (
        "network_type", "operator", "material", "precision_xy", "precision_z", "axis_method", "feature_type", "status")}
    estimate = np.zeros(n, bool)
    year = np.zeros(n, np.uint16)
    axis_unc = np.full(n, -1.0)
    digests: list[bytes] = []
    ids: list[str] = []
    for i, (sid, axis, ntype, operator, material, d_out, d_nom, d_in, pxy, pz, method, is_est, unc, ftype, status,
            inst) in enumerate(rows):
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
        h.update("\x1f".join(str(v) for v in (sid, ntype, operator, material, pxy, pz, method, ftype, status, inst)).encode())
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
            digests[i] = hashlib.blake2b(digests[i] + struct.pack("<2d", cover_min[i], cover_max[i]),
                                         digest_size=16).digest()
    columns = {
        **cols,
        "diameter_mm": diam,
        "radius_m": np.round(radius, 3),
        "uncertainty_m": np.round(sleeve - radius, 2),
        "axis_is_estimate": estimate,
        "axis_uncertainty_m": axis_unc,
        "cover_depth_min": cover_min,
        "cover_depth_max": cover_max,
        "install_year": year,
    }
    return SegmentArrays(ids, points, offsets, radius, sleeve, columns, digests)


def feature_layer(data: SegmentArrays) -> FeatureLayer:
    seg = np.repeat(np.arange(len(data)), np.diff(data.offsets))
    xmin = np.full(len(data), np.inf)
    xmax = np.full(len(data), -np.inf)
    ymin = xmin.copy()
    ymax = xmax.copy()
    np.minimum.at(xmin, seg, data.points[:, 0])
    np.maximum.at(xmax, seg, data.points[:, 0])
    np.minimum.at(ymin, seg, data.points[:, 1])
    np.maximum.at(ymax, seg, data.points[:, 1])
    return FeatureLayer(x=(xmin + xmax) / 2, y=(ymin + ymax) / 2, digests=data.digests, size=2 * data.sleeve)


def tile_glb(data: SegmentArrays, idx: np.ndarray, frame: HeightFrame) -> tuple[bytes, tuple, tuple]:
    """One tile's glb for the segments at rows idx: pipes then sleeves, one property table."""
    idx = np.asarray(idx)
    starts, ends = data.offsets[idx], data.offsets[idx + 1]
    take = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)])
    pts = data.points[take]
    offsets = np.zeros(len(idx) + 1, np.int64)
    np.cumsum(ends - starts, out=offsets[1:])
    georef = TileGeoref.fit(frame, (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()))
    ecef = georef.to_ecef(pts[:, 0], pts[:, 1], pts[:, 2])
    centre = (ecef.min(axis=0) + ecef.max(axis=0)) / 2.0
    local = ecef - centre
    # Tubes are swept in ECEF itself: a projected CRS is not isometric, ECEF is.
    pipe = sweep_pipes(local, offsets, data.radius[idx], sides=PIPE_SIDES)
    sleeve = sweep_pipes(local, offsets, data.sleeve[idx], sides=SLEEVE_SIDES)
    types = data.columns["network_type"]
    colour = np.array([_linear(NETWORK_COLOURS.get(types[i], NETWORK_COLOURS["other"])) for i in idx])

    def rgba(mesh) -> np.ndarray:
        c = np.ones((mesh.vertex_count, 4))
        c[:, :3] = colour[mesh.feature_ids]
        return c

    primitives = [
        Primitive(pipe.positions, pipe.indices, pipe.feature_ids, pipe.normals, rgba(pipe), PIPE),
        Primitive(sleeve.positions, sleeve.indices, sleeve.feature_ids, sleeve.normals, rgba(sleeve), SLEEVE),
    ]
    properties = {k: ([v[i] for i in idx] if isinstance(v, list) else v[idx]) for k, v in data.columns.items()}
    glb = write_glb(primitives, [data.source_ids[i] for i in idx], properties, class_name="segment")
    region = region_from_ecef(np.concatenate([sleeve.positions, pipe.positions]) + centre)
    return glb, region, tuple(float(c) for c in centre)


def build(build: LayerBuild, frame: HeightFrame, progress: Progress, data: SegmentArrays | None = None,
          workers: int | None = None) -> LayerStats:
    """Write the networks layer into build.path."""
    from twin.models import Terrain

    terrain = Terrain.current()
    if data is None:
        data = fetch(terrain.sampler() if terrain is not None and terrain.path.is_file() else None)
    if not len(data):
        raise NothingToBuild("No network segment has a 3D axis to tile: import a network delivery first "
                             "(RAEPA, StaR-DT) with `manage.py import_file`, or `manage.py load_demo`.")
    progress(f"  networks: {len(data)} segments fetched")
    return write_feature_tiles(
        build, feature_layer(data), lambda key, idx: tile_glb(data, idx, frame),
        salt=f"{WRITER_VERSION}|{frame.srid}|{frame.grid}", max_features=MAX_FEATURES,
        error_factor=ERROR_FACTOR, min_error=MIN_ERROR_M, progress=progress,
        workers=cpu_workers() if workers is None else workers,
    )
