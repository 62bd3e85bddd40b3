"""Where the eye stands: in front of a facade at a floor's height, on open ground, or at a clicked facade point."""

from __future__ import annotations

import math

import pytest
from django.contrib.gis.geos import Point

from tests.viewshed.conftest import LAND_Z, X0, Y0
from viewshed import observer as obs
from viewshed.dsm import ensure_surface
from viewshed.errors import ObserverError
from viewshed.eye import FACADE_OFFSET_M


def test_the_eye_stands_in_front_of_the_facade_at_floor_height(city) -> None:
    grid = ensure_surface().grid
    eye = obs.from_facade(city.home, 2, 1.6, grid, facade_azimuth=180.0)
    assert eye.facing_deg == pytest.approx(180.0)
    assert eye.x == pytest.approx(X0 + 200.0)
    assert Y0 + 200.0 - 2.0 <= eye.y <= Y0 + 200.0 - 0.5  # out of the south facade, not on the roof
    assert eye.z == pytest.approx(LAND_Z + 2 * 3.0 + 1.6)
    assert (eye.building_id, eye.floor, eye.facade) == (city.home.pk, 2, 0)
    centre = Point(*(float(v) for v in grid.centre(*grid.cell_of(eye.x, eye.y))), srid=2154)
    assert not city.home.footprint.contains(centre)  # the eye's DSM cell is open air


def test_a_floor_or_facade_that_does_not_exist_is_refused(city) -> None:
    grid = ensure_surface().grid
    with pytest.raises(ObserverError, match="floors 0 to 4"):
        obs.from_facade(city.home, 7, 1.6, grid)
    with pytest.raises(ObserverError, match="facades 0 to 3"):
        obs.from_facade(city.home, 1, 1.6, grid, facade=9)


def test_a_point_inside_a_building_or_outside_the_city_is_refused(city) -> None:
    from twin.geoid import city_frame

    frame = city_frame()
    lon, lat = frame.to_lonlat(X0 + 200.0, Y0 + 210.0)
    with pytest.raises(ObserverError, match="inside a building"):
        obs.from_lonlat(float(lon), float(lat), 1.6)
    lon, lat = frame.to_lonlat(X0 - 500.0, Y0 + 210.0)
    with pytest.raises(ObserverError, match="outside"):
        obs.from_lonlat(float(lon), float(lat), 1.6)


def test_a_ground_eye_stands_on_the_terrain(city) -> None:
    from twin.geoid import city_frame

    lon, lat = city_frame().to_lonlat(X0 + 300.0, Y0 + 300.0)
    eye = obs.from_lonlat(float(lon), float(lat), 1.6, height_above_ground=2.0)
    assert eye.z == pytest.approx(LAND_Z + 3.6)
    assert eye.facing_deg is None


def test_a_click_on_a_facade_snaps_to_it_and_finds_the_floor(city) -> None:
    from twin.geoid import city_frame

    frame = city_frame()
    grid = ensure_surface().grid
    # A click on the east facade, 7.5 m above the ground: floor 2 (slabs every 3 m).
    lon, lat = frame.to_lonlat(X0 + 220.05, Y0 + 205.0)
    z = LAND_Z + 7.5
    h = z + float(frame.undulation(lon, lat))
    eye = obs.from_pick(float(lon), float(lat), h, 1.6, grid)
    assert eye.building_id == city.home.pk and eye.floor == 2
    assert eye.facing_deg == pytest.approx(90.0)
    assert eye.x > X0 + 220.0 and eye.y == pytest.approx(Y0 + 205.0, abs=1e-6)
    assert eye.z == pytest.approx(LAND_Z + 6.0 + 1.6)
    assert math.isclose(eye.x - (X0 + 220.0), FACADE_OFFSET_M, abs_tol=1.3)


def test_a_click_beside_an_overlapping_neighbour_still_gives_an_eye(city) -> None:
    # Real footprints overlap (an annexe drawn over a corner of the main block, two sources for one terrace): the
    # eye's cell must be free of both, and the overlap must not make the geometry test fail.
    from tests.viewshed.conftest import box
    from twin.geoid import city_frame
    from twin.models import Building

    annexe = box(X0 + 209, Y0 + 195, X0 + 228, Y0 + 212)
    Building.objects.create(
        source_key="test", source_id="ANNEXE", footprint=annexe, ground_z=LAND_Z, roof_z=LAND_Z + 6.0, storeys=2
    )
    frame = city_frame()
    grid = ensure_surface().grid
    lon, lat = frame.to_lonlat(X0 + 206.0, Y0 + 199.95)  # the home's south facade, 3 m from the annexe
    z = LAND_Z + 4.5
    eye = obs.from_pick(float(lon), float(lat), z + float(frame.undulation(lon, lat)), 1.6, grid, city.home.pk)
    centre = Point(*(float(v) for v in grid.centre(*grid.cell_of(eye.x, eye.y))), srid=2154)
    assert not city.home.footprint.contains(centre) and not annexe.contains(centre)
    assert eye.y < Y0 + 200.0 and eye.facing_deg == pytest.approx(180.0) and eye.floor == 1
