"""The basemap: sea blue by depth, land lit from the north-west, a valid PNG."""

from __future__ import annotations

import struct
import zlib

import numpy as np

from tiles.basemap import encode_png, render_basemap, shaded_relief


def _decode_png(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, w * 4 + 1)
    return raw[:, 1:].reshape(h, w, 4)


def test_the_png_decodes_to_the_same_pixels():
    rgba = np.random.default_rng(1).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    assert np.array_equal(_decode_png(encode_png(rgba)), rgba)


def test_sea_is_blue_and_land_is_not():
    z = np.array([[-20.0, -20.0, 10.0, 10.0]] * 4)
    img = shaded_relief(z, (5.0, 5.0))
    sea, land = img[1, 0].astype(int), img[1, 3].astype(int)
    assert sea[2] > sea[0] + 40
    assert land[0] > sea[0] + 60


def test_a_slope_facing_north_west_is_lighter_than_one_facing_south_east():
    x = np.arange(40.0)
    ridge = np.minimum(x, 40 - x)[None, :].repeat(20, axis=0) * 2.0 + 20.0  # west face, then east face
    img = shaded_relief(ridge, (1.0, 1.0)).astype(int)
    assert img[10, 8, :3].sum() > img[10, 32, :3].sum()


def test_outside_the_dem_is_transparent_and_the_rectangle_is_kept():
    png, meta = render_basemap(
        lambda lon, lat: np.where(lon < 7.1, np.nan, (lat - 43.5) * 1000), (7.0, 43.5, 7.2, 43.6), width=64
    )
    img = _decode_png(png)
    assert meta["rectangle"] == [7.0, 43.5, 7.2, 43.6]
    assert img.shape == (meta["height"], 64, 4)
    assert img[:, :10, 3].max() == 0 and img[:, -10:, 3].min() == 255
