"""RasterSampler: bilinear heights, and the digest that tells a terrain build which tiles a new DEM changes."""

from __future__ import annotations

import numpy as np

from twin.raster_sampling import RasterSampler


def _sampler(data: np.ndarray, origin=(1000.0, 2000.0)) -> RasterSampler:
    return RasterSampler(data.astype(np.float32), origin[0], origin[1], 10.0, -10.0, -9999.0)


def test_a_window_digest_changes_exactly_when_a_pixel_sampling_can_read_changes():
    rng = np.random.default_rng(5)
    data = rng.uniform(0.0, 50.0, (100, 100))
    box = (np.array([1300.0, 1500.0]), np.array([1500.0, 1700.0]))  # cols 30–50, rows 30–50
    before = _sampler(data).window_digest(*box)
    heights = _sampler(data)(np.array([1305.0, 1499.0]), np.array([1695.0, 1501.0]))

    far = data.copy()
    far[90, 90] += 5.0  # far outside the box
    assert _sampler(far).window_digest(*box) == before
    assert np.array_equal(_sampler(far)(np.array([1305.0, 1499.0]), np.array([1695.0, 1501.0])), heights)

    edge = data.copy()
    edge[50, 50] += 5.0  # a pixel that bilinear sampling at the box's corner reads
    assert not np.array_equal(_sampler(edge)(np.array([1305.0, 1499.0]), np.array([1695.0, 1501.0])), heights)
    assert _sampler(edge).window_digest(*box) != before

    moved = _sampler(data, origin=(1010.0, 2000.0))  # the same pixels, one pixel further east
    assert moved.window_digest(*box) != before

    # A box that reads no pixel has nothing to digest.
    assert _sampler(data).window_digest(np.array([0.0, 10.0]), np.array([0.0, 10.0])) == b""
