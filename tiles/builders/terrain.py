"""The terrain layer: the active DEM as Cesium quantized-mesh tiles (EPSG:4326 TMS), ellipsoidal heights via twin.geoid.

Tiles follow Cesium's geographic tiling scheme: level z has 2^(z+1) × 2^z tiles of 180/2^z degrees,
y counted from the south ("scheme": "tms"). Level 0 covers the world at sea level (orthometric 0,
i.e. the geoid undulation); from level 1 on only the tiles over the DEM are written, and layer.json's
"available" ranges say so, so Cesium upsamples elsewhere instead of asking.

A rebuild is incremental: each tile's digest is taken over what shapes it (the writer's salt, its key, its
error and the DEM pixels its samples can read), kept in manifest.json, and a tile whose digest is unchanged is
linked from the published build instead of being triangulated again. A new DEM that differs in one district
rewrites the tiles over that district and their ancestors only.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import math
from dataclasses import dataclass

import numpy as np
from pymartini import Martini
from quantized_mesh_encoder.encode import (
    compute_header,
    encode_header,
    write_edge_indices,
    write_indices,
    write_vertices,
)
from quantized_mesh_encoder.extensions import VertexNormalsExtension

from tiles.builders.base import MANIFEST, LayerStats, Progress, read_manifest, reusable_tiles, write_json
from tiles.errors import NothingToBuild
from tiles.publish import LayerBuild
from twin.geoid import HeightFrame
from twin.models import Terrain

LAYER = "terrain"
GRID = 129  # samples per tile side: 2^7 + 1, as RTIN (Martini) wants
MAX_LEVEL_CAP = 17
# Cesium's own estimate of a level-0 tile's geometric error for a 65-sample heightmap; halves per level.
LEVEL_ZERO_ERROR_M = 6378137.0 * 2 * math.pi * 0.25 / (65 * 2)
FINEST_ERROR_M = 0.2
# With a translucent globe (the field agents' see-through ground), Cesium draws no skirts and also draws tiles of
# the first levels, each a quarter of the Earth. Triangulated to their own error, in a few long triangles, those
# leaked fans of white dots through the sea near the city, and free (Delatin) meshes left stray dots too (seen in
# screenshots of the demo; sampling the first levels in full removed the fans). Hence RTIN meshes (Martini: right
# isosceles triangles from one regular binary split, no slivers), and every grid sample a vertex on the first
# COARSE_LEVELS levels: 4 tiles whatever the city, about 0.3 MB.
COARSE_LEVELS = 3
QMAX = 32767
EARTH_RADIUS_M = 6371000.0
# Anything besides a tile's heights that shapes its bytes; change it when the encoding changes.
WRITER = "qm-rtin-curved-2"


@dataclass(frozen=True)
class TileKey:
    z: int
    x: int
    y: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees."""
        size = 180.0 / (1 << self.z)
        return (
            -180.0 + self.x * size,
            -90.0 + self.y * size,
            -180.0 + (self.x + 1) * size,
            -90.0 + (self.y + 1) * size,
        )

    @property
    def path(self) -> str:
        return f"{self.z}/{self.x}/{self.y}.terrain"


def max_error(z: int, max_level: int) -> float:
    """The mesh error allowed at level z, metres: half of what Cesium expects of the level, finest at the top;
    0 (every grid sample) on the continent-sized tiles of the first COARSE_LEVELS levels."""
    if z < COARSE_LEVELS:
        return 0.0
    if z >= max_level:
        return FINEST_ERROR_M
    return max(FINEST_ERROR_M, 0.5 * LEVEL_ZERO_ERROR_M / (1 << z))


def max_level_for(pixel_size_m: float, lat_deg: float) -> int:
    """The level whose grid spacing first matches the DEM's pixels."""
    width0 = 180.0 * 111320.0 * math.cos(math.radians(lat_deg)) / (GRID - 1)
    return int(min(MAX_LEVEL_CAP, max(1, math.ceil(math.log2(width0 / max(pixel_size_m, 0.1))))))


def tiles_over(bbox: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) inclusive index ranges of level-z tiles touching bbox (degrees)."""
    size = 180.0 / (1 << z)
    x0 = int(math.floor((bbox[0] + 180.0) / size))
    x1 = int(math.floor((bbox[2] + 180.0) / size))
    y0 = int(math.floor((bbox[1] + 90.0) / size))
    y1 = int(math.floor((bbox[3] + 90.0) / size))
    return (max(0, x0), max(0, y0), min((2 << z) - 1, x1), min((1 << z) - 1, y1))


class HeightSource:
    """Ellipsoidal heights (m) at lon/lat (degrees): the DEM where it is, sea level (orthometric 0) elsewhere."""

    def __init__(self, frame: HeightFrame, sampler, bbox: tuple[float, float, float, float]):
        self.frame = frame
        self.sampler = sampler
        self.bbox = bbox

    def __call__(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        ortho = np.zeros(lon.shape)
        w, s, e, n = self.bbox
        inside = (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)
        if inside.any():
            # At least two points: pyproj takes a one-element array for a scalar (and warns).
            qlon, qlat = np.append(lon[inside], lon[inside][:1]), np.append(lat[inside], lat[inside][:1])
            x, y = self.frame.from_lonlat(qlon, qlat)
            z = self.sampler(x, y)[:-1]
            ortho[inside] = np.where(np.isfinite(z), z, 0.0)
        return ortho + self.frame.undulation(lon, lat)

    def digest(self, key: TileKey) -> bytes:
        """What the tile's heights are made of besides its key: the DEM pixels its samples can read (the tile
        clipped to the DEM's box, its outline mapped to the DEM's CRS, two pixels of margin). Far cheaper than
        sampling: an unchanged tile is known without reading its 129² heights."""
        w, s, e, n = key.bounds
        bw, bs, be, bn = self.bbox
        w, s, e, n = max(w, bw), max(s, bs), min(e, be), min(n, bn)
        if w > e or s > n:
            return b""
        t = np.linspace(0.0, 1.0, 17)
        lon = np.concatenate([w + (e - w) * t, w + (e - w) * t, np.full(17, w), np.full(17, e)])
        lat = np.concatenate([np.full(17, s), np.full(17, n), s + (n - s) * t, s + (n - s) * t])
        x, y = self.frame.from_lonlat(lon, lat)
        return np.array(self.bbox, "<f8").tobytes() + self.sampler.window_digest(x, y)


@functools.cache
def _rtin() -> Martini:
    return Martini(GRID)


def sample_tile(key: TileKey, heights: HeightSource) -> np.ndarray:
    """The tile's GRID × GRID ellipsoidal heights, row 0 along its northern edge (image rows, as RTIN reads them)."""
    w, s, e, n = key.bounds
    glon, glat = np.meshgrid(np.linspace(w, e, GRID), np.linspace(n, s, GRID))
    return heights(glon.ravel(), np.clip(glat.ravel(), -89.999, 89.999)).reshape(GRID, GRID)


def tile_digest(salt: str, key: TileKey, error: float, source: bytes) -> str:
    """What a tile is made of (source: HeightSource.digest): its bytes are a function of this digest alone."""
    digest = hashlib.blake2b(f"{salt}|{key.path}|{error!r}|".encode(), digest_size=16)
    digest.update(source)
    return digest.hexdigest()


def encode_heights(key: TileKey, h: np.ndarray, error: float) -> tuple[bytes, float, float]:
    """One gzipped quantized-mesh tile with octvertexnormals from sample_tile's heights; returns (bytes, min height,
    max height)."""
    w, s, e, n = key.bounds
    lon = np.linspace(w, e, GRID)
    lat = np.linspace(n, s, GRID)
    glon, glat = np.meshgrid(lon, lat)
    # Cesium draws straight lines in ECEF between vertices: over a wide, flat tile those chords sag below
    # the ellipsoid (d²/8R: ~2 km across a level-6 tile). Triangulating the heights plus the Earth's
    # curvature (a paraboloid about the tile centre) makes the mesh keep that sag within max_error too.
    lat0 = math.radians((s + n) / 2)
    dy = np.radians(glat - (s + n) / 2) * EARTH_RADIUS_M
    dx = np.radians(glon - (w + e) / 2) * EARTH_RADIUS_M * math.cos(lat0)
    curved = h + (dx * dx + dy * dy) / (2.0 * EARTH_RADIUS_M)
    px, triangles = _rtin().create_tile(curved.astype(np.float32)).get_mesh(error)
    col = px[:, 0].astype(np.int64)
    row = px[:, 1].astype(np.int64)
    triangles = triangles.astype(np.int64)
    # Counter-clockwise seen from above in lon/lat (image rows run south, which flips the winding).
    gx, gy = col.astype(np.float64), -row.astype(np.float64)
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    cross = (gx[b] - gx[a]) * (gy[c] - gy[a]) - (gx[c] - gx[a]) * (gy[b] - gy[a])
    triangles[cross < 0] = triangles[cross < 0][:, [0, 2, 1]]
    # High-water-mark index coding needs vertices numbered in order of first use (after the winding fix).
    ids, first = np.unique(triangles.ravel(), return_index=True)
    used = ids[np.argsort(first)]
    renumber = np.empty(len(px), np.int64)
    renumber[used] = np.arange(len(used))
    triangles = renumber[triangles].astype(np.uint32)
    col, row = col[used], row[used]
    vh = h[row, col]
    positions = np.column_stack([lon[col], lat[row], vh])
    hmin, hmax = float(vh.min()), float(vh.max())
    # Quantise ourselves, rounding, so edge vertices land exactly on 0 and 32767: the encoder's own
    # float32 truncation moves them off the edge and Cesium then finds no edge to hang its skirts on.
    u = np.rint(col * QMAX / (GRID - 1)).astype(np.int16)
    v = np.rint((GRID - 1 - row) * QMAX / (GRID - 1)).astype(np.int16)
    span = hmax - hmin
    q = np.rint((vh - hmin) / span * QMAX).astype(np.int16) if span > 0 else np.zeros(len(vh), np.int16)
    quantised = np.column_stack([u, v, q])
    out = io.BytesIO()
    header = compute_header(positions, "bounding_box")
    header["minimumHeight"], header["maximumHeight"] = hmin, hmax
    encode_header(out, header)
    write_vertices(out, quantised, len(quantised))
    write_indices(out, triangles, len(quantised))
    write_edge_indices(out, quantised, len(quantised))
    out.write(VertexNormalsExtension(indices=triangles, positions=positions).encode())
    return gzip.compress(out.getvalue(), compresslevel=6), hmin, hmax


def build(build: LayerBuild, frame: HeightFrame, progress: Progress) -> LayerStats:
    """Write layer.json and the quantized-mesh tiles of the active terrain into build.path."""
    terrain = Terrain.current()
    if terrain is None:
        raise NothingToBuild(
            "There is no active terrain: import a DEM GeoTIFF first "
            "(`manage.py import_file dem.tif --format terrain`, or `manage.py load_demo`)."
        )
    if not terrain.path.is_file():
        raise NothingToBuild(
            f"The active terrain {terrain.name!r} points at {terrain.file}, which does not exist: import the DEM again."
        )
    sampler = terrain.sampler()
    xmin, ymin, xmax, ymax = terrain.extent.extent
    cx = np.linspace(xmin, xmax, 9)
    cy = np.linspace(ymin, ymax, 9)
    ex = np.concatenate([cx, cx, np.full(9, xmin), np.full(9, xmax)])
    ey = np.concatenate([np.full(9, ymin), np.full(9, ymax), cy, cy])
    lon, lat = frame.to_lonlat(ex, ey)
    bbox = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    heights = HeightSource(frame, sampler, bbox)
    top = max_level_for(terrain.pixel_size, (bbox[1] + bbox[3]) / 2)
    stats = LayerStats(features=1)
    available: list[list[dict]] = []
    salt = f"{WRITER}|{GRID}|{frame.srid}|{frame.grid}|dem-window-2"
    old_tiles = reusable_tiles(read_manifest(build.previous), salt)
    digests: dict[str, str] = {}
    progress(
        f"  terrain: {terrain.name}, {terrain.width}×{terrain.height} px of {terrain.pixel_size:g} m, levels 0–{top}"
    )
    for z in range(top + 1):
        x0, y0, x1, y1 = (0, 0, 1, 0) if z == 0 else tiles_over(bbox, z)
        available.append([{"startX": x0, "startY": y0, "endX": x1, "endY": y1}])
        error = max_error(z, top)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                key = TileKey(z, x, y)
                digest = digests[key.path] = tile_digest(salt, key, error, heights.digest(key))
                path = build.path / key.path
                if old_tiles.get(key.path) == digest and build.reuse(key.path):
                    size = path.stat().st_size
                else:
                    data, _, _ = encode_heights(key, sample_tile(key, heights), error)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                    size = len(data)
                    stats.tiles_rewritten += 1
                stats.tiles += 1
                stats.bytes += size
        progress(f"  terrain: level {z} done, {stats.tiles_rewritten} of {stats.tiles} tiles written so far")
    layer = {
        "tilejson": "2.1.0",
        "name": terrain.name,
        "description": f"{terrain.name}: {terrain.vertical_datum} + geoid {frame.grid} → WGS84 ellipsoidal heights",
        "version": "1.0.0",
        "format": "quantized-mesh-1.0",
        "attribution": "",
        "scheme": "tms",
        "projection": "EPSG:4326",
        "bounds": [-180.0, -90.0, 180.0, 90.0],
        "minzoom": 0,
        "maxzoom": top,
        "extensions": ["octvertexnormals"],
        # The tiles of this build, through its immutable folder: a client holding this layer.json
        # keeps getting matching tiles after the next build is published.
        "tiles": [f"@{build.version}/{{z}}/{{x}}/{{y}}.terrain?v={{version}}"],
        "available": available,
    }
    stats.bytes += write_json(build.path / "layer.json", layer)
    write_json(build.path / MANIFEST, {"salt": salt, "tiles": digests})
    unchanged = stats.tiles - stats.tiles_rewritten
    progress(
        f"  terrain: {stats.tiles} tiles ({stats.tiles_rewritten} written, {unchanged} unchanged, reused), "
        f"max error {max_error(top, top):g} m at level {top}"
    )
    return stats
