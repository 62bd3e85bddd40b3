"""The buildings layer: LOD1 prisms from footprint, ground and roof heights; LOD2 surfaces where imported;
parent tiles of the most significant buildings, simplified, for far views."""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import mapbox_earcut
import numpy as np
import shapely
from django.contrib.gis.db.models.functions import AsWKB

from tiles import collector
from tiles.builders.base import (
    FeatureLayer,
    LayerStats,
    ParentMaker,
    Progress,
    TileMaker,
    TilePlan,
    cpu_workers,
    plan_tiles,
    write_feature_tiles,
)
from tiles.errors import NothingToBuild
from tiles.extrude import Mesh, extrude_footprints
from tiles.georef import TileGeoref
from tiles.glb import GLB_WRITER_VERSION, Material, Primitive, write_glb
from tiles.lod import significance, simplify_footprints, size_first
from tiles.publish import LayerBuild
from tiles.tileset import region_from_ecef
from twin.geoid import HeightFrame
from twin.models import Building

LAYER = "buildings"
WRITER_VERSION = "buildings-4"
MAX_FEATURES = 400
# A parent tile draws at most this many of its subtree's buildings (and at most a quarter of them, tiles.lod),
# the largest first (height or plan extent, then footprint area × height), which lowers its error, the
# largest it leaves out.
PARENT_FEATURES = 500
# A parent tile's geometric error: what leaving buildings out costs, the largest dimension (height or plan
# extent) of those left out (m), plus its simplification tolerance (tiles.lod).
ERROR_FACTOR = 1.0
MIN_ERROR_M = 10.0
# Styles multiply this base colour; a light one keeps Cesium3DTileStyle colours true.
WALLS = Material(base_color=(1.0, 1.0, 1.0, 1.0), roughness=0.9, name="building")
LOD2_SURFACES = Material(base_color=(1.0, 1.0, 1.0, 1.0), roughness=0.9, double_sided=True, name="building-lod2")

SCHEMA_PROPERTIES = ("source_id", "name", "use", "storeys", "year", "height", "ground_z", "roof_z", "lod")


@dataclass
class BuildingArrays:
    """Every building of the layer as columns (storage CRS metres, orthometric heights)."""

    source_ids: np.ndarray  # object (str)
    footprints: np.ndarray  # shapely MultiPolygons
    ground_z: np.ndarray
    roof_z: np.ndarray
    storeys: np.ndarray  # uint16, 0 unknown
    year: np.ndarray  # uint16, 0 unknown
    use: np.ndarray
    name: np.ndarray
    lod2: dict[int, list]  # row → its LOD2 surfaces, each a list of rings of (x, y, z)
    digests: list[bytes]

    def __len__(self) -> int:
        return int(self.ground_z.shape[0])


def from_rows(rows: list[tuple], lod2: dict[str, list] | None = None) -> BuildingArrays:
    """Columns from (source_id, footprint WKB, ground_z, roof_z, storeys, use, year, name) rows.

    lod2: source_id → list of surfaces, each a list of rings of (x, y, z) tuples.
    """
    lod2 = lod2 or {}
    n = len(rows)
    source_ids = np.empty(n, dtype=object)
    wkbs = np.empty(n, dtype=object)
    ground = np.empty(n)
    roof = np.empty(n)
    storeys = np.zeros(n, np.uint16)
    year = np.zeros(n, np.uint16)
    use = np.empty(n, dtype=object)
    name = np.empty(n, dtype=object)
    digests: list[bytes] = []
    surfaces: dict[int, list] = {}
    pack = struct.Struct("<ddHH").pack
    for i, (sid, wkb, gz, rz, st, us, yr, nm) in enumerate(rows):
        wkb = bytes(wkb)
        source_ids[i] = sid
        wkbs[i] = wkb
        ground[i] = gz
        roof[i] = rz
        storeys[i] = st or 0
        year[i] = yr or 0
        use[i] = us or ""
        name[i] = nm or ""
        h = hashlib.blake2b(wkb, digest_size=16)
        h.update(pack(gz, rz, st or 0, yr or 0))
        h.update(f"{sid}\x1f{us}\x1f{nm}".encode())
        if sid in lod2:
            surfaces[i] = lod2[sid]
            h.update(repr(lod2[sid]).encode())
        digests.append(h.digest())
    footprints = shapely.from_wkb(wkbs) if n else np.empty(0, dtype=object)
    single = shapely.get_type_id(footprints) == 3
    if single.any():
        for i in np.flatnonzero(single):
            footprints[i] = shapely.MultiPolygon([footprints[i]])
    return BuildingArrays(source_ids, footprints, ground, roof, storeys, year, use, name, surfaces, digests)


@collector.paused()
def fetch(pk_range: tuple[int, int] | None = None) -> BuildingArrays:
    """Every Building row (those with lo <= pk <= hi for pk_range), in one query for the columns and one for the
    few LOD2 solids; in primary key order."""

    buildings = Building.objects.order_by("pk")
    if pk_range is not None:
        buildings = buildings.filter(pk__gte=pk_range[0], pk__lte=pk_range[1])
    rows = list(
        buildings.annotate(wkb=AsWKB("footprint")).values_list(
            "source_id", "wkb", "ground_z", "roof_z", "storeys", "use", "year", "name"
        )
    )
    lod2: dict[str, list] = {}
    for sid, geom in buildings.filter(lod2__isnull=False).values_list("source_id", "lod2"):
        lod2[sid] = [[list(map(tuple, ring)) for ring in poly.coords] for poly in geom]
    return from_rows(rows, lod2)


def scan_ranges(parts: int) -> list[tuple[int, int]]:
    """Primary key ranges (lo, hi, inclusive) that cut the buildings into `parts` runs of about equal size, in order:
    what fetch(pk_range) of each part reads."""
    # A few index lookups (the first key of each part) rather than every key: this runs before any part can start.
    pks = Building.objects.order_by("pk").values_list("pk", flat=True)
    total = pks.count()
    if not total:
        return []
    cuts = np.linspace(0, total, max(1, min(parts, total)) + 1).astype(np.int64)
    starts = [int(pks[0])]
    for a, b in zip(cuts[:-1], cuts[1:-1]):
        # Counted on from the previous start: the index is walked once in all.
        starts.append(int(pks.filter(pk__gt=starts[-1])[int(b - a) - 1]))
    ends = [lo - 1 for lo in starts[1:]] + [int(pks.reverse()[0])]
    return list(zip(starts, ends))


def concat(parts: list[BuildingArrays]) -> BuildingArrays:
    """One BuildingArrays of several, in order (LOD2 rows renumbered)."""
    lod2: dict[int, list] = {}
    base = 0
    for part in parts:
        lod2.update({base + row: surfaces for row, surfaces in part.lod2.items()})
        base += len(part)
    return BuildingArrays(
        *(
            np.concatenate([getattr(p, name) for p in parts])
            for name in ("source_ids", "footprints", "ground_z", "roof_z", "storeys", "year", "use", "name")
        ),
        lod2=lod2,
        digests=[d for p in parts for d in p.digests],
    )


LAYER_COLUMNS = ("x", "y", "size", "significance")


def save(data: BuildingArrays, path: Path) -> None:
    """Write the arrays to one .npz file (no pickles) that any worker sharing the folder can load(), with their
    layer_columns() that load_layer() reads alone."""
    wkb = shapely.to_wkb(data.footprints) if len(data) else np.empty(0, dtype=object)
    lengths = np.fromiter((len(w) for w in wkb), dtype=np.int64, count=len(wkb))
    columns = layer_columns(data) if len(data) else {name: np.empty(0) for name in LAYER_COLUMNS}
    with open(path, "wb") as out:
        np.savez(
            out,
            **{f"layer_{name}": columns[name] for name in LAYER_COLUMNS},
            wkb=np.frombuffer(b"".join(wkb), dtype=np.uint8),
            wkb_lengths=lengths,
            source_ids=np.array(data.source_ids.tolist(), dtype=str),
            use=np.array(data.use.tolist(), dtype=str),
            name=np.array(data.name.tolist(), dtype=str),
            ground_z=data.ground_z,
            roof_z=data.roof_z,
            storeys=data.storeys,
            year=data.year,
            digests=np.frombuffer(b"".join(data.digests), dtype=np.uint8).reshape(len(data), -1),
            lod2=np.array(json.dumps({str(k): v for k, v in data.lod2.items()})),
        )


@collector.paused()
def load(path: Path) -> BuildingArrays:
    """The arrays save() wrote, equal to the ones saved (the same tiles come out of them)."""
    with np.load(path, allow_pickle=False) as f:
        blob = f["wkb"].tobytes()
        ends = np.cumsum(f["wkb_lengths"]).tolist()
        starts = [0, *ends[:-1]]
        n = len(ends)
        wkbs = np.empty(n, dtype=object)
        wkbs[:] = [blob[a:b] for a, b in zip(starts, ends)]
        footprints = shapely.from_wkb(wkbs) if n else np.empty(0, dtype=object)

        def strings(name: str) -> np.ndarray:
            out = np.empty(n, dtype=object)
            out[:] = f[name].tolist()
            return out

        return BuildingArrays(
            source_ids=strings("source_ids"),
            footprints=footprints,
            ground_z=f["ground_z"],
            roof_z=f["roof_z"],
            storeys=f["storeys"],
            year=f["year"],
            use=strings("use"),
            name=strings("name"),
            lod2={int(k): v for k, v in json.loads(str(f["lod2"])).items()},
            digests=[bytes(row) for row in f["digests"]],
        )


def layer_columns(data: BuildingArrays) -> dict[str, np.ndarray]:
    """What the plan needs of each building, row by row (x, y, size, significance): a split build's scan parts
    compute it, so that the plan, which runs alone, never decodes the footprints."""
    b = shapely.bounds(data.footprints)
    height = np.maximum(data.roof_z - data.ground_z, 1.0)
    # Leaving a building out of a tile costs its largest dimension: its height, or a long low hall's length.
    size = np.maximum(height, np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]))
    return {
        "x": (b[:, 0] + b[:, 2]) / 2,
        "y": (b[:, 1] + b[:, 3]) / 2,
        "size": size,
        "significance": significance(shapely.area(data.footprints), height),
    }


def layer_of(columns: dict[str, np.ndarray], digests: list[bytes]) -> FeatureLayer:
    """The FeatureLayer of the whole layer from layer_columns() (of all rows, or of parts concatenated in order)."""
    return FeatureLayer(
        x=columns["x"],
        y=columns["y"],
        digests=digests,
        size=columns["size"],
        # Ranks over the whole layer: computed here, never per part.
        weight=size_first(columns["size"], columns["significance"]),
    )


def load_layer(path: Path) -> tuple[dict[str, np.ndarray], list[bytes]]:
    """The layer_columns() and digests save() wrote, without decoding a footprint."""
    with np.load(path, allow_pickle=False) as f:
        return {name: f[f"layer_{name}"] for name in LAYER_COLUMNS}, [bytes(row) for row in f["digests"]]


def feature_layer(data: BuildingArrays) -> FeatureLayer:
    return layer_of(layer_columns(data), data.digests)


def _lod2_mesh(surfaces_by_feature: list[tuple[int, list]]) -> Mesh | None:
    """Triangulate 3D planar surfaces (CityGML-like, outer ring then holes) with flat normals."""
    pos, nrm, idx, fid = [], [], [], []
    base = 0
    for feature, surfaces in surfaces_by_feature:
        for rings in surfaces:
            rings = [np.asarray(r, np.float64) for r in rings]
            rings = [r[:-1] if len(r) > 3 and np.array_equal(r[0], r[-1]) else r for r in rings]
            if len(rings[0]) < 3:
                continue
            outer = rings[0]
            # Newell's method: robust normal of a planar polygon.
            nxt = np.roll(outer, -1, axis=0)
            normal = np.array(
                [
                    np.sum((outer[:, 1] - nxt[:, 1]) * (outer[:, 2] + nxt[:, 2])),
                    np.sum((outer[:, 2] - nxt[:, 2]) * (outer[:, 0] + nxt[:, 0])),
                    np.sum((outer[:, 0] - nxt[:, 0]) * (outer[:, 1] + nxt[:, 1])),
                ]
            )
            length = np.linalg.norm(normal)
            if length < 1e-12:
                continue
            normal /= length
            drop = int(np.argmax(np.abs(normal)))
            keep = [a for a in range(3) if a != drop]
            verts = np.concatenate(rings)
            ends = np.cumsum([len(r) for r in rings]).astype(np.uint32)
            tris = mapbox_earcut.triangulate_float64(np.ascontiguousarray(verts[:, keep]), ends).reshape(-1, 3)
            if not len(tris):
                continue
            p = verts[tris]
            face = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
            flip = face @ normal < 0
            tris[flip] = tris[flip][:, [0, 2, 1]]
            pos.append(verts)
            nrm.append(np.broadcast_to(normal, verts.shape))
            idx.append(tris.ravel().astype(np.int64) + base)
            fid.append(np.full(len(verts), feature, np.uint32))
            base += len(verts)
    if not pos:
        return None
    return Mesh(
        np.concatenate(pos),
        np.concatenate(nrm).astype(np.float32),
        np.concatenate(idx).astype(np.uint32),
        np.concatenate(fid),
    )


def _extrude_each(data: BuildingArrays, idx: np.ndarray, lod1: np.ndarray, footprints: np.ndarray) -> Mesh | None:
    """Extrude building by building, leaving out the ones whose footprint cannot be extruded.

    A degenerate ring (fewer than three distinct vertices) fails the whole batch; rather than lose the
    tile, the bad building keeps its row in the property table and simply has no geometry.
    """
    parts: list[Mesh] = []
    for k in lod1.tolist():
        row = int(idx[k])
        _, coords, (ring_off, poly_off, multi_off) = shapely.to_ragged_array(footprints[k : k + 1])
        try:
            parts.append(
                extrude_footprints(
                    coords,
                    ring_off,
                    poly_off,
                    data.ground_z[row],
                    data.roof_z[row],
                    feature_ids=np.full(len(poly_off) - 1, k),
                )
            )
        except ValueError:
            continue
    if not parts:
        return None
    offsets = np.cumsum([0] + [p.vertex_count for p in parts[:-1]])
    return Mesh(
        np.concatenate([p.positions for p in parts]),
        np.concatenate([p.normals for p in parts]),
        np.concatenate([p.indices + o for p, o in zip(parts, offsets)]).astype(np.uint32),
        np.concatenate([p.feature_ids for p in parts]),
    )


def tile_glb(
    data: BuildingArrays, idx: np.ndarray, frame: HeightFrame, tolerance: float | None = None
) -> tuple[bytes, tuple, tuple]:
    """One tile's glb of the buildings at rows idx, its region and its centre (ECEF metres).

    tolerance: for a parent tile, metres (storage CRS) by which footprints are simplified; every
    building is then a LOD1 prism, LOD2 surfaces are left to the leaves.
    """
    idx = np.asarray(idx)
    is_lod2 = np.array([int(i) in data.lod2 for i in idx], dtype=bool) if data.lod2 else np.zeros(len(idx), bool)
    if tolerance is not None:
        is_lod2[:] = False
        footprints = simplify_footprints(data.footprints[idx], tolerance)
    else:
        footprints = data.footprints[idx]
    meshes: list[tuple[Mesh, Material]] = []
    lod1 = np.flatnonzero(~is_lod2)
    if lod1.size:
        geoms = footprints[lod1]
        _, coords, (ring_off, poly_off, multi_off) = shapely.to_ragged_array(geoms)
        poly_feature = np.repeat(lod1, np.diff(multi_off))
        rows = idx[poly_feature]
        try:
            mesh = extrude_footprints(
                coords, ring_off, poly_off, data.ground_z[rows], data.roof_z[rows], feature_ids=poly_feature
            )
        except ValueError:
            mesh = _extrude_each(data, idx, lod1, footprints)
        if mesh is not None:
            meshes.append((mesh, WALLS))
    if is_lod2.any():
        mesh = _lod2_mesh([(int(k), data.lod2[int(idx[k])]) for k in np.flatnonzero(is_lod2)])
        if mesh is not None:
            meshes.append((mesh, LOD2_SURFACES))
    allpos = np.concatenate([m.positions for m, _ in meshes])
    georef = TileGeoref.fit(frame, (allpos[:, 0].min(), allpos[:, 1].min(), allpos[:, 0].max(), allpos[:, 1].max()))
    axes = georef.local_axes()
    ecef_parts = [georef.to_ecef(m.positions[:, 0], m.positions[:, 1], m.positions[:, 2]) for m, _ in meshes]
    ecef = np.concatenate(ecef_parts)
    lo, hi = ecef.min(axis=0), ecef.max(axis=0)
    centre = (lo + hi) / 2.0
    primitives = [
        Primitive(
            positions=e - centre,
            indices=m.indices,
            feature_ids=m.feature_ids,
            normals=m.normals.astype(np.float64) @ axes.T,
            material=material,
        )
        for e, (m, material) in zip(ecef_parts, meshes)
    ]
    height = data.roof_z[idx] - data.ground_z[idx]
    properties = {
        "name": data.name[idx].tolist(),
        "use": data.use[idx].tolist(),
        "storeys": data.storeys[idx],
        "year": data.year[idx],
        "height": np.round(height, 2),
        "ground_z": np.round(data.ground_z[idx], 2),
        "roof_z": np.round(data.roof_z[idx], 2),
        "lod": np.where(is_lod2, 2, 1).astype(np.uint8),
    }
    glb = write_glb(primitives, data.source_ids[idx].tolist(), properties, class_name="building")
    return glb, region_from_ecef(ecef), tuple(float(c) for c in centre)


def salt(frame: HeightFrame) -> str:
    return f"{WRITER_VERSION}|{GLB_WRITER_VERSION}|{frame.srid}|{frame.grid}"


def makers(data: BuildingArrays, frame: HeightFrame) -> tuple[TileMaker, ParentMaker]:
    """What writes a leaf tile and a parent tile of these buildings."""
    return (
        lambda key, idx: tile_glb(data, idx, frame),
        lambda key, idx, tolerance: tile_glb(data, idx, frame, tolerance),
    )


def plan(build: LayerBuild, frame: HeightFrame, layer: FeatureLayer) -> TilePlan:
    """The tiles of the layer (tiles.builders.base.plan_tiles); unchanged ones are linked from the published build.

    layer: feature_layer() of the buildings (or layer_of() their parts' layer_columns())."""
    if not len(layer):
        raise NothingToBuild(
            "There are no buildings to tile: import a buildings file first "
            "(`manage.py import_file … --kind buildings`, or `manage.py load_demo`)."
        )
    return plan_tiles(
        build,
        layer,
        salt=salt(frame),
        max_features=MAX_FEATURES,
        error_factor=ERROR_FACTOR,
        min_error=MIN_ERROR_M,
        with_parents=True,
        parent_features=PARENT_FEATURES,
    )


def build(
    build: LayerBuild,
    frame: HeightFrame,
    progress: Progress,
    data: BuildingArrays | None = None,
    workers: int | None = None,
) -> LayerStats:
    """Write the buildings layer into build.path."""
    data = fetch() if data is None else data
    if not len(data):
        raise NothingToBuild(
            "There are no buildings to tile: import a buildings file first "
            "(`manage.py import_file … --kind buildings`, or `manage.py load_demo`)."
        )
    progress(f"  buildings: {len(data)} buildings fetched")
    make_tile, make_parent = makers(data, frame)
    return write_feature_tiles(
        build,
        feature_layer(data),
        make_tile,
        salt=salt(frame),
        max_features=MAX_FEATURES,
        error_factor=ERROR_FACTOR,
        min_error=MIN_ERROR_M,
        progress=progress,
        workers=cpu_workers() if workers is None else workers,
        make_parent=make_parent,
        parent_features=PARENT_FEATURES,
    )
