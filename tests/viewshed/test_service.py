"""The numbers of a view on synthetic surfaces with known answers: a plane, a wall, a street canyon, a tower before
the sea."""

from __future__ import annotations

import base64
import math

import numpy as np
import pytest

from viewshed.errors import ObserverError
from viewshed.eye import Eye
from viewshed.kernel import viewshed, viewshed_update, wedges_touched
from viewshed.service import Landmark, compute_view
from viewshed.surface import Grid, SurfaceModel, footprint_patch


# Pure tests: a flat "projection" (metres / 1e5 = degrees) stands in for pyproj.
def TO_LONLAT(x, y):  # noqa: N802 - named as the constants the service is given
    return np.asarray(x, float) / 1e5, np.asarray(y, float) / 1e5


def FROM_LONLAT(lon, lat):  # noqa: N802
    return np.asarray(lon, float) * 1e5, np.asarray(lat, float) * 1e5


def surface(dsm: np.ndarray, sea: np.ndarray | None = None) -> SurfaceModel:
    rows, cols = dsm.shape
    return SurfaceModel(
        Grid(0.0, float(rows), 1.0, rows, cols),
        dsm.astype(np.float32),
        sea if sea is not None else np.zeros(dsm.shape, dtype=bool),
    )


def eye_at(s: SurfaceModel, row: int, col: int, height: float, facing: float | None = None) -> Eye:
    x, y = s.grid.centre(row, col)
    return Eye(float(x), float(y), float(s.dsm[row, col]) + height, facing)


def view(s: SurfaceModel, eye: Eye, radius: float, **kw) -> dict:
    return compute_view(s, eye, radius, TO_LONLAT, FROM_LONLAT, **kw)


def test_a_flat_plane_is_seen_to_the_radius_with_a_full_sky() -> None:
    s = surface(np.full((301, 301), 5.0))
    result = view(s, eye_at(s, 150, 150, 1.7), 100.0)
    rr, cc = np.mgrid[-150:151, -150:151]
    assert result["before"]["visible_area_m2"] == float((rr**2 + cc**2 <= 100**2).sum())
    assert result["before"]["visible_area_m2"] == pytest.approx(math.pi * 100**2, rel=0.01)
    assert result["before"]["sky_view_factor"] == 1.0
    assert all(h < 0 for h in result["before"]["horizon_deg"])
    assert result["after"] is None and result["change"] is None


def test_a_single_wall_hides_what_stands_behind_it() -> None:
    dsm = np.zeros((201, 201))
    dsm[:, 120] = 30.0  # a tall wall 20 m east of the observer, across the whole raster
    s = surface(dsm)
    result = view(s, eye_at(s, 100, 100, 1.7), 90.0)
    rr, cc = np.mgrid[-100:101, -100:101]
    in_range = rr**2 + cc**2 <= 90**2
    front = in_range & (cc <= 20)
    assert result["before"]["visible_area_m2"] == float(front.sum())
    east = result["before"]["horizon_deg"][90]
    assert east == pytest.approx(math.degrees(math.atan2(30.0 - 1.7, 19.5)), abs=0.005)  # given to 0.01°


def test_a_street_canyon_has_the_textbook_sky_view_factor() -> None:
    height, width = 15.0, 21
    dsm = np.zeros((1601, width + 80))
    dsm[:, :40] = height
    dsm[:, 40 + width :] = height
    s = surface(dsm)
    result = view(s, eye_at(s, 800, 40 + width // 2, 0.0), 790.0)
    assert result["before"]["sky_view_factor"] == pytest.approx(math.cos(math.atan(2 * height / width)), abs=0.01)


def seaside() -> tuple[SurfaceModel, Eye, object]:
    """Land 10 m high north of row 200, sea south of it; a balcony at 20 m facing south; a tower project before it."""
    dsm = np.zeros((601, 601))
    dsm[:200] = 10.0
    dsm[120:150, 250:350] = 25.0  # the balcony's own building
    sea = np.zeros(dsm.shape, dtype=bool)
    sea[200:] = True
    s = surface(dsm, sea)
    x, y = s.grid.centre(150, 300)
    eye = Eye(float(x), float(y) - 0.25, 20.0, 180.0)
    tower = footprint_patch(
        ((((270.0, 601 - 160.0), (330.0, 601 - 160.0), (330.0, 601 - 175.0), (270.0, 601 - 175.0)),),), 80.0, s.grid
    )
    return s, eye, tower


def test_a_tower_in_front_of_a_window_takes_away_sea() -> None:
    s, eye, tower = seaside()
    lighthouse = Landmark(1, "Phare", "phare", "monument", 300.5, 601 - 450.5, 15.0)
    result = view(s, eye, 500.0, patch=tower, landmarks=[lighthouse])
    before, after, change = result["before"], result["after"], result["change"]
    # The 10 m cliff 50 m away hides the sea for 100 m beyond it: within 500 m the sea shows up
    # to about 78° either side of south (cos = 100 / 500), 87 % of the half-circle in front.
    assert 0.75 < before["sea_share_of_azimuths"] < 0.9
    assert after["sea_share_of_azimuths"] < before["sea_share_of_azimuths"] - 0.2
    assert after["sea_solid_angle_sr"] < before["sea_solid_angle_sr"]
    assert change["lost_m2"] > 10_000 and change["lost_m2"] == pytest.approx(
        before["visible_area_m2"] - after["visible_area_m2"] + change["gained_m2"]
    )
    assert before["landmarks"][0]["visible"] and not after["landmarks"][0]["visible"]
    # At most half the sky (the building behind), plus the one azimuth grazing the facade plane.
    assert after["sky_view_factor"] < before["sky_view_factor"] <= 0.5 + 1 / 360 + 1e-12
    assert change["lost_geojson"]["coordinates"]


def test_nothing_behind_the_facade_is_counted() -> None:
    s, eye, _ = seaside()
    result = view(s, eye, 500.0)
    horizon = result["before"]["horizon_deg"]
    assert horizon[0] is None and horizon[45] is None and horizon[315] is None
    assert horizon[180] is not None and horizon[90] is not None and horizon[270] is not None
    # Only the southern half-disc (the facade faces south) can hold visible cells.
    rr, cc = np.mgrid[:601, :601]
    south = (rr >= 150) & ((rr - 150) ** 2 + (cc - 300) ** 2 <= 500**2)
    assert result["before"]["visible_area_m2"] <= south.sum()
    # The sea solid angle of the visible sea, from the first principles of metrics.sea_view.
    assert 0 < result["before"]["sea_solid_angle_sr"] < 2 * math.pi


def test_a_project_out_of_range_changes_nothing() -> None:
    s, eye, _ = seaside()
    far = footprint_patch(((((10.0, 20.0), (20.0, 20.0), (20.0, 10.0), (10.0, 10.0)),),), 99.0, s.grid)
    result = view(s, eye, 100.0, patch=far)
    assert result["change"]["lost_m2"] == 0 and result["change"]["gained_m2"] == 0
    assert result["after"]["visible_area_m2"] == result["before"]["visible_area_m2"]


def test_the_shapes_cover_the_visible_area_and_the_overlay_is_a_png() -> None:
    s, eye, tower = seaside()
    result = view(s, eye, 300.0, patch=tower)
    shape = result["before"]["visible_geojson"]
    assert shape["type"] == "MultiPolygon" and shape["coordinates"]

    def ring_area(ring) -> float:
        xy = np.asarray(ring) * 1e5
        return 0.5 * abs(np.dot(xy[:-1, 0], xy[1:, 1]) - np.dot(xy[1:, 0], xy[:-1, 1]))

    area = sum(ring_area(p[0]) - sum(ring_area(h) for h in p[1:]) for p in shape["coordinates"])
    assert area == pytest.approx(result["before"]["visible_area_m2"], rel=0.05)
    overlay = result["overlay"]
    for key in ("before_png", "after_png"):
        data = base64.b64decode(overlay[key])
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(data[16:20], "big") == overlay["width"]
    west, south, east, north = overlay["rectangle"]
    assert west < eye.x / 1e5 < east and south < eye.y / 1e5 < north


def test_a_coarser_resolution_gives_close_numbers() -> None:
    s, eye, tower = seaside()
    fine = view(s, eye, 400.0, patch=tower, shapes=False)
    coarse = view(s, eye, 400.0, patch=tower, shapes=False, resolution_m=2.0)
    assert coarse["resolution_m"] == 2.0 and coarse["cells"] < fine["cells"] / 3
    assert coarse["before"]["visible_area_m2"] == pytest.approx(fine["before"]["visible_area_m2"], rel=0.1)
    assert coarse["change"]["lost_m2"] == pytest.approx(fine["change"]["lost_m2"], rel=0.15)
    with pytest.raises(ObserverError, match="whole multiple"):
        view(s, eye, 400.0, resolution_m=1.5)


def test_the_update_after_a_local_change_equals_a_fresh_viewshed() -> None:
    rng = np.random.default_rng(3)
    for _ in range(30):
        rows, cols = (int(v) for v in rng.integers(5, 120, 2))
        dsm = (rng.random((rows, cols)) * 20).astype(np.float32)
        orow, ocol = int(rng.integers(0, rows)), int(rng.integers(0, cols))
        md = [None, 40.0][int(rng.integers(0, 2))]
        before = viewshed(dsm, orow, ocol, 1.7, max_distance=md)
        r0, c0 = int(rng.integers(0, rows)), int(rng.integers(0, cols))
        h, w = int(rng.integers(1, 8)), int(rng.integers(1, 8))
        changed = dsm.copy()
        changed[r0 : r0 + h, c0 : c0 + w] += 30.0
        rr, cc = np.nonzero(changed != dsm)
        new_height = 1.7 + float(dsm[orow, ocol]) - float(changed[orow, ocol])
        fresh = viewshed(changed, orow, ocol, new_height, max_distance=md)
        updated = viewshed_update(changed, before, orow, ocol, new_height, rr, cc, max_distance=md)
        assert np.array_equal(updated, fresh), (rows, cols, orow, ocol, r0, c0, h, w)


def test_a_change_on_an_axis_touches_the_wedges_on_both_sides() -> None:
    assert wedges_touched([-5], [0]).tolist() == [0, 2]  # north column: the two northern vertical wedges
    assert wedges_touched([0], [7]).tolist() == [3, 7]  # east row: the two eastern horizontal wedges
    assert wedges_touched([4], [4]).tolist() == [6, 7]  # south-east diagonal
    assert wedges_touched([9], [-2]).tolist() == [4]
    assert wedges_touched([0], [0]).tolist() == list(range(8))


def test_the_horizon_stops_early_without_changing_a_single_angle() -> None:
    from viewshed.metrics import horizon_profile

    rng = np.random.default_rng(5)
    dsm = (rng.random((301, 301)) * 40).astype(np.float32)
    dsm[140:160, 170:175] = 90.0
    for height in (1.7, 200.0):  # below the roofs, and above everything (the horizon looks down)
        exact = horizon_profile(dsm, 150, 150, height, 360, max_distance=140.0, max_height=1e9)
        fast = horizon_profile(dsm, 150, 150, height, 360, max_distance=140.0)
        assert np.array_equal(exact, fast)
