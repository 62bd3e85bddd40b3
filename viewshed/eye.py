"""The observer's eye and the facades it stands at: pure geometry in the storage CRS (metres), no Django.

The service, the impact windows and bench/viewshed.py use it without Django set up; viewshed.observer
places an eye from the database's buildings and terrain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from viewshed.errors import ObserverError

# The eye stands this far in front of the facade (a balcony, an open window).
FACADE_OFFSET_M = 0.75
MAX_FACADE_OFFSET_M = 2.0


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
