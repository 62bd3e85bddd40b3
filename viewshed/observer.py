"""Where the eye stands: a ground point, a building's floor and facade, or a point clicked on a facade."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Point

from twin.geoid import city_frame
from twin.raster_sampling import RasterSampler
from viewshed.errors import ObserverError

# The eye stands this far in front of the facade (a balcony, an open window).
FACADE_OFFSET_M = 0.75
MAX_FACADE_OFFSET_M = 2.0
PICK_SNAP_M = 3.0


@dataclass(frozen=True)
class Eye:
    """The observer's eye: x, y in the storage CRS and z orthometric (metres).

    facing_deg: azimuth (clockwise from grid north, degrees) of the facade's
    outward normal when the eye stands at a facade; only the half-plane in
    front of it is looked at. None: all around.
    """

    x: float
    y: float
    z: float
    facing_deg: float | None = None
    building_id: int | None = None
    floor: int | None = None
    facade: int | None = None


@dataclass(frozen=True)
class Facade:
    """One edge of a footprint's outer ring: from (x0, y0) to (x1, y1), metres, with its outward unit normal."""

    index: int
    x0: float
    y0: float
    x1: float
    y1: float
    nx: float
    ny: float

    @property
    def azimuth_deg(self) -> float:
        """Azimuth of the outward normal, clockwise from grid north, degrees in [0, 360)."""
        return math.degrees(math.atan2(self.nx, self.ny)) % 360.0

    @property
    def length(self) -> float:
        return math.hypot(self.x1 - self.x0, self.y1 - self.y0)

    def foot(self, x: float, y: float) -> tuple[float, float, float]:
        """The point of the edge nearest (x, y), and the distance to it (metres)."""
        dx, dy = self.x1 - self.x0, self.y1 - self.y0
        t = ((x - self.x0) * dx + (y - self.y0) * dy) / (dx * dx + dy * dy)
        t = min(max(t, 0.0), 1.0)
        fx, fy = self.x0 + t * dx, self.y0 + t * dy
        return fx, fy, math.hypot(x - fx, y - fy)


def facades(coords) -> list[Facade]:
    """The facades of a footprint (MultiPolygon or Polygon coords, storage CRS), outer rings only, in order.

    Edges shorter than 10 cm are skipped but keep their index, so an index
    means the same edge for the frontend and the server.
    """
    polys = coords if coords and isinstance(coords[0][0][0], (tuple, list)) else (coords,)
    out: list[Facade] = []
    index = 0
    for poly in polys:
        ring = np.asarray(poly[0], dtype=float)[:, :2]
        if np.array_equal(ring[0], ring[-1]):
            ring = ring[:-1]
        x, y = ring[:, 0], ring[:, 1]
        # Shoelace: positive for counter-clockwise rings, whose inside is on the left of each edge.
        area2 = float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
        sign = 1.0 if area2 > 0 else -1.0
        for k in range(len(ring)):
            x0, y0 = ring[k]
            x1, y1 = ring[(k + 1) % len(ring)]
            length = math.hypot(x1 - x0, y1 - y0)
            if length >= 0.1:
                out.append(
                    Facade(
                        index,
                        float(x0),
                        float(y0),
                        float(x1),
                        float(y1),
                        sign * (y1 - y0) / length,
                        -sign * (x1 - x0) / length,
                    )
                )
            index += 1
    return out


def facade_facing(candidates: list[Facade], azimuth_deg: float) -> Facade:
    """The facade whose outward normal is closest to `azimuth_deg` (degrees clockwise from north); longest wins ties."""

    def gap(f: Facade) -> tuple[float, float]:
        d = abs((f.azimuth_deg - azimuth_deg + 180.0) % 360.0 - 180.0)
        return (round(d, 6), -f.length)

    return min(candidates, key=gap)


def eye_at_facade(facade: Facade, x: float, y: float, z: float, inside, building_id=None, floor=None) -> Eye:
    """The eye in front of `facade` near (x, y), `FACADE_OFFSET_M` out, pushed further if its cell is still the
    building's.

    inside(x, y) -> bool: is a DSM cell centre at x, y inside the building?
    cell_centre(x, y) is applied by the caller through `inside`.
    """
    fx, fy, _ = facade.foot(x, y)
    offset = FACADE_OFFSET_M
    while offset <= MAX_FACADE_OFFSET_M + 1e-9:
        ex, ey = fx + facade.nx * offset, fy + facade.ny * offset
        if not inside(ex, ey):
            return Eye(ex, ey, z, facade.azimuth_deg, building_id, floor, facade.index)
        offset += 0.25
    raise ObserverError("This facade opens on another building (a party wall): choose another facade.")


# --- Django side ----------------------------------------------------------------------
# twin.models is imported in the functions below, on call: Eye and the geometry above run without Django set up
# (the pure service, bench/viewshed.py), where the app registry is not ready.


def _frame():
    return city_frame()


@lru_cache(maxsize=2)
def _terrain_sampler(path: str, mtime_ns: int):
    return RasterSampler.open(path)


def ground_z(x: float, y: float) -> float:
    """Terrain height (orthometric metres) at storage-CRS x, y; the sea counts as its surface."""
    from twin.models import Terrain

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


def _cell_inside(surface_grid, geometry):
    """inside(x, y) for `eye_at_facade`: is the centre of the DSM cell holding x, y in `geometry`?"""

    def inside(x: float, y: float) -> bool:
        cell = surface_grid.cell_of(x, y)
        if cell is None:
            raise ObserverError("This facade is at the edge of the city model: no view can be computed from it.")
        cx, cy = surface_grid.centre(*cell)
        return geometry.contains(Point(float(cx), float(cy), srid=geometry.srid))

    return inside


def _neighbours(x: float, y: float):
    from twin.models import Building

    point = Point(x, y, srid=_srid()).buffer(MAX_FACADE_OFFSET_M + 1.5)
    return Building.objects.filter(footprint__intersects=point).values_list("footprint", flat=True)


def _srid() -> int:
    return settings.JUMEAU_SRID


def _inside_any(grid, building_footprint, x: float, y: float):
    # The eye cell must be free of this building and of its neighbours (terraces, courtyards).
    geoms = [building_footprint, *list(_neighbours(x, y))]
    union = MultiPolygon([p for g in geoms for p in g], srid=building_footprint.srid)
    return _cell_inside(grid, union)


def from_lonlat(lon: float, lat: float, eye_height: float, height_above_ground: float = 0.0) -> Eye:
    """An eye standing on open ground at WGS84 lon/lat (degrees), `eye_height` m above the ground (+ a platform)."""
    from twin.models import Building

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
    from twin.models import Building

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
