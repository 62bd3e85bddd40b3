"""The terrain layer: quantized-mesh tiles whose heights are the DEM plus the geoid, and a layer.json Cesium reads."""

from __future__ import annotations

import gzip
import json
import struct

import numpy as np
import pytest

from tests.tiles.conftest import terrain_height
from tests.tiles.tile_reading import resolve
from tiles.build import build_layers
from tiles.builders.terrain import FINEST_ERROR_M, GRID, TileKey
from tiles.errors import NothingToBuild
from tiles.publish import current_dir
from twin.geoid import city_frame

pytestmark = pytest.mark.django_db


def _zigzag_deltas(raw: np.ndarray) -> np.ndarray:
    v = raw.astype(np.int64)
    return np.cumsum((v >> 1) ^ -(v & 1))


def decode_quantized_mesh(data: bytes) -> dict:
    """Header, vertices (u, v, h as floats 0..1 and heights) and triangles of a quantized-mesh-1.0 tile."""
    header = struct.unpack_from("<3d2f4d3d", data, 0)
    offset = 88
    (count,) = struct.unpack_from("<I", data, offset)
    offset += 4
    arrays = []
    for _ in range(3):
        arrays.append(_zigzag_deltas(np.frombuffer(data, np.uint16, count, offset)))
        offset += 2 * count
    u, v, h = arrays
    wide = count > 65536
    if offset % (4 if wide else 2):
        offset += (4 if wide else 2) - offset % (4 if wide else 2)
    (tri_count,) = struct.unpack_from("<I", data, offset)
    offset += 4
    raw = np.frombuffer(data, np.uint32 if wide else np.uint16, tri_count * 3, offset)
    encoded = raw.astype(np.int64)
    highest, indices = 0, np.empty_like(encoded)
    for i, code in enumerate(encoded):
        indices[i] = highest - code
        if code == 0:
            highest += 1
    offset += raw.nbytes
    edges = {}
    for name in ("west", "south", "east", "north"):
        (n,) = struct.unpack_from("<I", data, offset)
        offset += 4
        edges[name] = np.frombuffer(data, np.uint32 if wide else np.uint16, n, offset)
        offset += edges[name].nbytes
    extensions = {}
    while offset < len(data):
        ext_id, length = struct.unpack_from("<BI", data, offset)
        extensions[ext_id] = data[offset + 5 : offset + 5 + length]
        offset += 5 + length
    min_h, max_h = header[3], header[4]
    return {
        "header": header,
        "u": u / 32767,
        "v": v / 32767,
        "height": min_h + h / 32767 * (max_h - min_h),
        "triangles": indices.reshape(-1, 3),
        "edges": edges,
        "extensions": extensions,
        "count": count,
    }


def test_layer_json_describes_a_tms_quantized_mesh_with_normals(terrain, tiles_root):
    [record] = build_layers(["terrain"], progress=lambda m: None)
    assert record.status == "published" and record.tiles > 10
    layer = json.loads((current_dir(tiles_root, "terrain") / "layer.json").read_text())
    assert layer["format"] == "quantized-mesh-1.0" and layer["scheme"] == "tms"
    assert layer["projection"] == "EPSG:4326" and "octvertexnormals" in layer["extensions"]
    assert layer["tiles"][0] == f"@{record.version}/{{z}}/{{x}}/{{y}}.terrain?v={{version}}"
    assert layer["available"][0] == [{"startX": 0, "startY": 0, "endX": 1, "endY": 0}]
    # Every available tile exists, and every tile's parent is available.
    for z, ranges in enumerate(layer["available"]):
        for r in ranges:
            for x in range(r["startX"], r["endX"] + 1):
                for y in range(r["startY"], r["endY"] + 1):
                    assert resolve(tiles_root, "terrain", f"@{record.version}/{z}/{x}/{y}.terrain").is_file()
                    if z:
                        parent = layer["available"][z - 1][0]
                        assert (
                            parent["startX"] <= x // 2 <= parent["endX"]
                            and parent["startY"] <= y // 2 <= parent["endY"]
                        )


def test_heights_are_the_dem_plus_the_geoid_at_every_vertex(terrain, tiles_root):
    [record] = build_layers(["terrain"], progress=lambda m: None)
    layer = json.loads((current_dir(tiles_root, "terrain") / "layer.json").read_text())
    top = len(layer["available"]) - 1
    frame = city_frame()
    r = layer["available"][top][0]
    worst, checked = 0.0, 0
    for x in range(r["startX"], r["endX"] + 1):
        for y in range(r["startY"], r["endY"] + 1):
            path = resolve(tiles_root, "terrain", f"@{record.version}/{top}/{x}/{y}.terrain")
            tile = decode_quantized_mesh(gzip.decompress(path.read_bytes()))
            assert 1 in tile["extensions"], "octvertexnormals (extension 1)"
            assert all(len(tile["edges"][k]) >= 2 for k in tile["edges"]), "edge vertices for skirts"
            tri = tile["triangles"]
            assert tri.max() < tile["count"]
            # Counter-clockwise from above, none degenerate: the high-water-mark coding decoded right.
            uu, vv = tile["u"], tile["v"]
            cross = (uu[tri[:, 1]] - uu[tri[:, 0]]) * (vv[tri[:, 2]] - vv[tri[:, 0]]) - (
                uu[tri[:, 2]] - uu[tri[:, 0]]
            ) * (vv[tri[:, 1]] - vv[tri[:, 0]])
            assert (cross > 0).all()
            w, s, e, n = TileKey(top, x, y).bounds
            lon = w + tile["u"] * (e - w)
            lat = s + tile["v"] * (n - s)
            px, py = frame.from_lonlat(lon, lat)
            expected = terrain_height(px, py) + frame.undulation(lon, lat)
            inside = (
                (px > terrain.extent.extent[0] + 15)
                & (px < terrain.extent.extent[2] - 15)
                & (py > terrain.extent.extent[1] + 15)
                & (py < terrain.extent.extent[3] - 15)
            )
            if inside.any():
                # The DEM is a 10 m grid of the analytic surface: bilinear resampling adds a few cm.
                worst = max(worst, float(np.abs(tile["height"][inside] - expected[inside]).max()))
                checked += int(inside.sum())
    assert checked > 100
    assert worst < FINEST_ERROR_M, f"worst {worst:.3f} m"


def test_without_an_active_terrain_the_build_says_what_to_do(db, tiles_root):
    with pytest.raises(Exception) as info:
        build_layers(["terrain"], progress=lambda m: None)
    assert "import" in str(info.value)
    assert isinstance(info.value.builds[0].error, str)
    with pytest.raises(NothingToBuild):
        from tiles.builders import terrain as builder
        from tiles.publish import LayerBuild

        with LayerBuild(tiles_root, "terrain") as build:
            builder.build(build, city_frame(), lambda m: None)


def _tile_inodes(tiles_root) -> dict[str, int]:
    folder = current_dir(tiles_root, "terrain")
    return {str(p.relative_to(folder)): p.stat().st_ino for p in folder.rglob("*.terrain")}


def test_a_new_dem_that_differs_in_one_district_rewrites_only_the_tiles_over_it(terrain, tiles_root, tmp_path):
    from django.contrib.gis.gdal import GDALRaster

    from tests.tiles.conftest import PIXEL, SIZE, X0, Y0

    [first] = build_layers(["terrain"], progress=lambda m: None)
    before = _tile_inodes(tiles_root)
    assert first.tiles_rewritten == first.tiles == len(before)

    # The same DEM again: nothing is triangulated, every tile is the published file.
    [same] = build_layers(["terrain"], progress=lambda m: None)
    assert same.tiles_rewritten == 0 and _tile_inodes(tiles_root) == before

    # A survey raises a 200 m square by 12 m (an embankment); the rest of the DEM is the same.
    raster = GDALRaster(terrain.file)
    z = np.array(raster.bands[0].data(), dtype=np.float32)
    rows, cols = slice(SIZE - 50, SIZE - 30), slice(30, 50)  # x 300–500 m, y 300–500 m from the corner
    z[rows, cols] += 12.0
    path = tmp_path / "dem-survey.tif"
    GDALRaster(
        {
            "driver": "GTiff",
            "name": str(path),
            "srid": 2154,
            "width": SIZE,
            "height": SIZE,
            "origin": [X0, Y0 + SIZE * PIXEL],
            "scale": [PIXEL, -PIXEL],
            "datatype": 6,
            "bands": [{"data": z.ravel().tolist(), "nodata_value": -9999.0}],
        }
    )
    terrain.file = str(path)
    terrain.save()
    messages: list[str] = []
    [survey] = build_layers(["terrain"], progress=messages.append)
    after = _tile_inodes(tiles_root)
    assert set(after) == set(before)
    rewritten = {name for name in after if after[name] != before[name]}
    assert len(rewritten) == survey.tiles_rewritten and 0 < len(rewritten) < len(after)
    assert any(f"{len(rewritten)} written, {len(after) - len(rewritten)} unchanged" in m for m in messages)

    # Only tiles over the square are new (give or take the two pixels of margin a tile's DEM window has).
    frame = city_frame()
    lon, lat = frame.to_lonlat(np.array([X0 + 270.0, X0 + 530.0]), np.array([Y0 + 270.0, Y0 + 530.0]))
    for name in after:
        zl, xl, yl = (int(v) for v in name[: -len(".terrain")].split("/"))
        w, s, e, n = TileKey(zl, xl, yl).bounds
        over = w <= lon.max() and e >= lon.min() and s <= lat.max() and n >= lat.min()
        if not over:
            assert name not in rewritten, f"{name} lies away from the change but was rewritten"
    top = max(int(name.split("/")[0]) for name in after)
    finest = [name for name in after if name.startswith(f"{top}/")]
    assert sum(name in rewritten for name in finest) <= len(finest) / 4, "a district, not the whole DEM"
    centre_lon, centre_lat = frame.to_lonlat(np.array([X0 + 400.0]), np.array([Y0 + 400.0]))
    sampled_levels = 0
    for zl in range(top + 1):
        size = 180.0 / (1 << zl)
        key = TileKey(zl, int((centre_lon[0] + 180.0) // size), int((centre_lat[0] + 90.0) // size))
        # A tile is its GRID × GRID samples: a coarse tile whose samples all miss the square is the same tile.
        w, s, e, n = key.bounds
        glon, glat = np.meshgrid(np.linspace(w, e, GRID), np.linspace(n, s, GRID))
        gx, gy = frame.from_lonlat(glon.ravel(), glat.ravel())
        if ((gx > X0 + 310) & (gx < X0 + 490) & (gy > Y0 + 310) & (gy < Y0 + 490)).any():
            sampled_levels += 1
            assert key.path in rewritten, f"level {zl}: the tile over the embankment was kept"
    assert sampled_levels >= 3
    # The rewritten tile shows the embankment.
    key = TileKey(
        top, int((centre_lon[0] + 180.0) // (180.0 / (1 << top))), int((centre_lat[0] + 90.0) // (180.0 / (1 << top)))
    )
    tile = decode_quantized_mesh(
        gzip.decompress(resolve(tiles_root, "terrain", f"@{survey.version}/{key.path}").read_bytes())
    )
    w, s, e, n = key.bounds
    px, py = frame.from_lonlat(w + tile["u"] * (e - w), s + tile["v"] * (n - s))
    lon, lat = w + tile["u"] * (e - w), s + tile["v"] * (n - s)
    raised = tile["height"] - (terrain_height(px, py) + frame.undulation(lon, lat))
    on_top = (px > X0 + 300) & (px < X0 + 500) & (py > Y0 + 300) & (py < Y0 + 500)
    assert on_top.any() and raised[on_top].max() > 12.0 - FINEST_ERROR_M, "the embankment is in the new tile"
    in_dem = (px > X0 + 15) & (px < X0 + SIZE * PIXEL - 15) & (py > Y0 + 15) & (py < Y0 + SIZE * PIXEL - 15)
    away = in_dem & ((px < X0 + 290) | (px > X0 + 510) | (py < Y0 + 290) | (py > Y0 + 510))
    assert away.any() and np.abs(raised[away]).max() < FINEST_ERROR_M, "and only there"


def test_tiles_are_right_triangles_and_the_first_levels_keep_every_sample(terrain, tiles_root):
    """What keeps the field agents' see-through ground free of white dots (tiles.builders.terrain.COARSE_LEVELS):
    no sliver triangle anywhere, and no continent-sized triangle on the first levels Cesium draws behind the horizon."""
    from tiles.builders.terrain import COARSE_LEVELS

    [record] = build_layers(["terrain"], progress=lambda m: None)
    folder = current_dir(tiles_root, "terrain")
    checked = 0
    for path in folder.rglob("*.terrain"):
        tile = decode_quantized_mesh(gzip.decompress(path.read_bytes()))
        u, v, tri = tile["u"], tile["v"], tile["triangles"]
        a, b, c = (np.stack([u[tri[:, k]], v[tri[:, k]]], axis=1) for k in range(3))
        longest = np.max([((a - b) ** 2).sum(1), ((b - c) ** 2).sum(1), ((c - a) ** 2).sum(1)], axis=0)
        area = 0.5 * np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))
        # A right isosceles triangle: longest edge² = 4 × area (u, v are rounded to 1/32767).
        assert np.allclose(longest, 4.0 * area, rtol=0.02), f"{path.relative_to(folder)} has a sliver"
        if int(path.relative_to(folder).parts[0]) < COARSE_LEVELS:
            assert tile["count"] == GRID * GRID, f"{path.relative_to(folder)} drops grid samples"
        checked += 1
    assert checked == record.tiles
