"""Where the eye stands: a ground point, a building's floor and facade, or a point clicked on a facade."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import Point

from twin.geoid import city_frame
from twin.models import Building, Terrain
from twin.raster_sampling import RasterSampler
from viewshed.errors import ObserverError
from viewshed.eye import MAX_FACADE_OFFSET_M, Eye, eye_at_facade, facade_facing, facades

# A click this close to a building's footprint (metres) is taken as a click on its facade.
PICK_SNAP_M = 3.0


def _frame():
    return city_frame()


@lru_cache(maxsize=2)
def _terrain_sampler(path: str, mtime_ns: int):
    return RasterSampler.open(path)


def ground_z(x: float, y: float) -> float:
    """Terrain height (orthometric metres) at storage-CRS x, y; the sea counts as its surface."""
    terrain = Terrain.current()
    if terrain is None:
        raise ObserverError("The city has no terrain yet: no view can be computed.")
    z = float(_terrain_sampler(str(terrain.path), terrain.path.stat().st_mtime_ns)([x], [y])[0])
    return max(z, 0.0) if math.isfinite(z) else 0.0


def _check_extent(x: float, y: float) -> None:
    xmin, ymin, xmax, ymax = settings.JUMEAU_EXTENT
    if not (xmin <= x < xmax and ymin <= y < ymax):
        raise ObserverError(
            f"This point is outside {settings.JUMEAU_CITY_NAME}: the view is computed inside the city only."
        )


def _cell_inside(surface_grid, geometries):
    """inside(x, y) for `eye_at_facade`: is the centre of the DSM cell holding x, y in any of `geometries`?

    Each footprint is tested on its own: real neighbours overlap (an annexe drawn over the main block, one
    terrace from two sources), and a multipolygon made of overlapping parts is invalid, on which GEOS raises.
    """

    def inside(x: float, y: float) -> bool:
        cell = surface_grid.cell_of(x, y)
        if cell is None:
            raise ObserverError("This facade is at the edge of the city model: no view can be computed from it.")
        cx, cy = surface_grid.centre(*cell)
        return any(g.contains(Point(float(cx), float(cy), srid=g.srid)) for g in geometries)

    return inside


def _neighbours(x: float, y: float):

    point = Point(x, y, srid=_srid()).buffer(MAX_FACADE_OFFSET_M + 1.5)
    return Building.objects.filter(footprint__intersects=point).values_list("footprint", flat=True)


def _srid() -> int:
    return settings.JUMEAU_SRID


def _inside_any(grid, building_footprint, x: float, y: float):
    # The eye cell must be free of this building and of its neighbours (terraces, courtyards).
    return _cell_inside(grid, [building_footprint, *_neighbours(x, y)])


def from_lonlat(lon: float, lat: float, eye_height: float, height_above_ground: float = 0.0) -> Eye:
    """An eye standing on open ground at WGS84 lon/lat (degrees), `eye_height` m above the ground (+ a platform)."""
    x, y = (float(v) for v in _frame().from_lonlat(lon, lat))
    _check_extent(x, y)
    if Building.objects.filter(footprint__contains=Point(x, y, srid=_srid())).exists():
        raise ObserverError(
            "This point is inside a building: click one of its facades, or give building, floor and facade."
        )
    return Eye(x, y, ground_z(x, y) + height_above_ground + eye_height)


def _floor_z(building, floor: int) -> float:
    storeys = building.storeys or max(1, round(building.height / 3.0))
    if not 0 <= floor < storeys:
        raise ObserverError(f"This building has floors 0 to {storeys - 1}: floor {floor} does not exist.")
    return building.floor_z(floor)


def from_facade(
    building, floor: int, eye_height: float, grid, facade: int | None = None, facade_azimuth: float | None = None
) -> Eye:
    """An eye at floor `floor` (0: ground floor) of `building`, in front of a facade.

    facade: index of the footprint edge (see `facades`); facade_azimuth:
    degrees clockwise from north, the facade facing closest to it is taken;
    neither: the longest facade. grid: the DSM grid (for the eye's cell).
    """
    candidates = facades(building.footprint.coords)
    if not candidates:
        raise ObserverError("This building's footprint has no facade long enough to stand at.")
    if facade is not None:
        chosen = next((f for f in candidates if f.index == facade), None)
        if chosen is None:
            raise ObserverError(
                f"This building has facades 0 to {candidates[-1].index}: facade {facade} does not exist."
            )
    elif facade_azimuth is not None:
        chosen = facade_facing(candidates, facade_azimuth % 360.0)
    else:
        chosen = max(candidates, key=lambda f: f.length)
    mx, my = (chosen.x0 + chosen.x1) / 2, (chosen.y0 + chosen.y1) / 2
    z = _floor_z(building, floor) + eye_height
    eye = eye_at_facade(chosen, mx, my, z, _inside_any(grid, building.footprint, mx, my), building.pk, floor)
    _check_extent(eye.x, eye.y)
    return eye


def from_pick(lon: float, lat: float, height: float, eye_height: float, grid, building_id: int | None = None) -> Eye:
    """An eye at the facade point a user clicked: lon/lat (degrees) and ellipsoidal height (m, WGS84) as Cesium
    picks it.

    The point snaps to the nearest facade of `building_id` (or of the nearest
    building within `PICK_SNAP_M`); the floor is the one whose slab is below
    the click.
    """
    frame = _frame()
    x, y = (float(v) for v in frame.from_lonlat(lon, lat))
    _check_extent(x, y)
    z = float(height) - float(frame.undulation(lon, lat))
    point = Point(x, y, srid=_srid())
    if building_id is not None:
        building = Building.objects.filter(pk=building_id).first()
        if building is None:
            raise ObserverError(f"Building {building_id} does not exist.")
        if building.footprint.distance(point) > PICK_SNAP_M + 5.0:
            raise ObserverError("The clicked point is not on this building's facade: click on the facade itself.")
    else:
        building = Building.objects.filter(footprint__intersects=point.buffer(PICK_SNAP_M)).order_by("id").first()
        if building is None:
            raise ObserverError(
                "No building facade here: click on a facade, or give longitude and latitude without a height."
            )
    candidates = facades(building.footprint.coords)
    if not candidates:
        raise ObserverError("This building's footprint has no facade long enough to stand at.")
    chosen = min(candidates, key=lambda f: f.foot(x, y)[2])
    storeys = building.storeys or max(1, round(building.height / 3.0))
    storey_h = building.height / storeys if storeys else 3.0
    floor = int(np.clip(math.floor((z - building.ground_z) / storey_h), 0, storeys - 1)) if storey_h > 0 else 0
    eye = eye_at_facade(
        chosen,
        x,
        y,
        building.floor_z(floor) + eye_height,
        _inside_any(grid, building.footprint, x, y),
        building.pk,
        floor,
    )
    _check_extent(eye.x, eye.y)
    return eye
