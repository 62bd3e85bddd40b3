"""The surface model's arrays: footprints burnt whole with their courtyards open, patches, terrain resampling."""

from __future__ import annotations

import numpy as np
from django.contrib.gis.geos import MultiPolygon, Polygon

from viewshed.raster_fill import burn_polygons, resample_bilinear
from viewshed.surface import Grid, footprint_patch, polygons_to_pixel_arrays, triangles_patch


def test_a_courtyard_stays_open() -> None:
    grid = Grid(0.0, 50.0, 1.0, 50, 50)
    outer = [(5, 5), (45, 5), (45, 45), (5, 45), (5, 5)]
    hole = [(15, 15), (15, 35), (35, 35), (35, 15), (15, 15)]
    block = MultiPolygon(Polygon(outer, hole))
    out = np.zeros((50, 50), dtype=np.float32)
    burn_polygons(out, *polygons_to_pixel_arrays([(block.coords, 12.0)], grid))
    assert out.sum() == 12.0 * (40 * 40 - 20 * 20)
    assert out[25, 25] == 0.0 and out[10, 10] == 12.0


def test_patches_and_resampling_follow_the_geometry() -> None:
    grid = Grid(0.0, 10.0, 1.0, 10, 10)
    p = footprint_patch((((2.0, 2.0), (5.0, 2.0), (5.0, 4.0), (2.0, 4.0)),), 9.0, grid)
    assert int(np.isfinite(p.heights).sum()) == 6
    assert triangles_patch(np.zeros((0, 3, 3)), grid) is None
    # Bilinear on a ramp is exact at every cell centre.
    src = np.tile(np.arange(10, dtype=np.float32) * 2.0, (10, 1))  # 2 m pixels, z = 2 * column
    out = resample_bilinear(src, (0.0, 20.0), (2.0, 2.0), (2.0, 18.0), 1.0, (4, 8))
    xs = 2.0 + np.arange(8) + 0.5
    assert np.allclose(out[0], (xs / 2.0 - 0.5) * 2.0)


def test_twenty_thousand_footprints_burn_whole() -> None:
    """A city's worth of footprints in one call: each covers its 15 x 12 m box, overlaps included. (How fast is
    bench/viewshed.py's business: a timed assertion here failed under a loaded CI, measuring nothing.)"""
    rng = np.random.default_rng(1)
    grid = Grid(0.0, 6000.0, 1.0, 6000, 6000)
    xs = rng.uniform(0, 5980, 20000)
    ys = rng.uniform(20, 6000, 20000)
    polys = [((((x, y), (x + 15, y), (x + 15, y - 12), (x, y - 12)),), 20.0) for x, y in zip(xs, ys)]
    out = np.zeros((6000, 6000), dtype=np.float32)
    burn_polygons(out, *polygons_to_pixel_arrays(polys, grid))
    covered = np.zeros((6000, 6000), dtype=bool)
    for x, y in zip(xs, ys):  # the same boxes by cell centres, independently of the burner
        c0, c1 = int(np.ceil(x - 0.5)), int(np.ceil(x + 15 - 0.5))
        r0, r1 = int(np.ceil(6000 - y - 0.5)), int(np.ceil(6000 - (y - 12) - 0.5))
        covered[r0:r1, c0:c1] = True
    assert np.array_equal(out == 20.0, covered)
