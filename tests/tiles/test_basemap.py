"""The basemap: sea blue by depth, land lit from the north-west, a valid WebP at a fraction of a PNG's bytes."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from tiles.basemap import encode_webp, render_basemap, shaded_relief


def _decode(data: bytes) -> np.ndarray:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def test_the_webp_keeps_the_relief_and_the_alpha_exactly():
    # A smooth relief (what a basemap is) survives lossy WebP within a few levels; the alpha is lossless.
    y, x = np.mgrid[0:64, 0:80].astype(float)
    z = 40.0 * np.sin(x / 15.0) * np.cos(y / 20.0) + 10.0  # hills and a sea
    rgba = shaded_relief(np.where(np.arange(80)[None, :] < 10, np.nan, z), (5.0, 5.0))
    decoded = _decode(encode_webp(rgba))
    assert decoded.shape == rgba.shape
    assert np.array_equal(decoded[..., 3], rgba[..., 3])
    opaque = rgba[..., 3] == 255
    assert np.abs(decoded[..., :3].astype(int) - rgba[..., :3].astype(int))[opaque].mean() < 3.0


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
    image, meta = render_basemap(
        lambda lon, lat: np.where(lon < 7.1, np.nan, (lat - 43.5) * 1000), (7.0, 43.5, 7.2, 43.6), width=64
    )
    img = _decode(image)
    assert meta["format"] == "webp"
    assert meta["rectangle"] == [7.0, 43.5, 7.2, 43.6]
    assert img.shape == (meta["height"], 64, 4)
    assert img[:, :10, 3].max() == 0 and img[:, -10:, 3].min() == 255
