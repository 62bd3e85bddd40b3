"""Tree crowns as shadow casters: which points a crown (an upright ellipsoid) hides from the sun.

Pure: arrays in, arrays out. Coordinates in the storage CRS (metres, x east, y north: the DSM grid's
frame), heights orthometric metres, the sun in that frame (viewshed.shadow.grid_azimuth). A crown floats:
the sun shines under it onto the foot of its trunk when it is high enough, which a crown burnt into the
surface model as a column would hide. So crowns are cast exactly, ray against ellipsoid, next to the
DSM's sweep; the trunk's own thin shadow is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass(frozen=True)
class Crowns:
    """Crowns: centre x, y (storage CRS, metres), base and top heights (orthometric metres), radius (metres)."""

    x: np.ndarray
    y: np.ndarray
    base_z: np.ndarray
    top_z: np.ndarray
    radius: np.ndarray

    def __post_init__(self) -> None:
        arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (self.x, self.y, self.base_z, self.top_z)]
        radius = np.ascontiguousarray(self.radius, dtype=np.float64)
        if len({len(a) for a in (*arrays, radius)}) != 1:
            raise ValueError("x, y, base_z, top_z and radius must have one value per crown")
        if len(radius) and (np.any(radius <= 0) or np.any(arrays[3] <= arrays[2])):
            raise ValueError("a crown needs a positive radius and a top above its base")
        for name, value in zip(("x", "y", "base_z", "top_z", "radius"), (*arrays, radius)):
            object.__setattr__(self, name, value)

    def __len__(self) -> int:
        return len(self.x)

    @classmethod
    def none(cls) -> Crowns:
        empty = np.zeros(0)
        return cls(empty, empty, empty, empty, empty)


def crown_shade(
    crowns: Crowns, x: np.ndarray, y: np.ndarray, z: np.ndarray, azimuth_deg: float, elevation_deg: float
) -> np.ndarray:
    """Which points (x, y storage CRS metres, z orthometric metres) see the sun through a crown: bool per point.

    azimuth_deg / elevation_deg: one sun position in the grid frame; a sun at or below the horizon shades
    nothing here (the caller knows the night is dark). A point inside a crown counts as shaded.
    """
    x, y, z = (np.ascontiguousarray(a, dtype=np.float64) for a in (x, y, z))
    out = np.zeros(len(x), dtype=np.bool_)
    if not len(crowns) or not len(x) or elevation_deg <= 0.0:
        return out
    a, e = math.radians(azimuth_deg), math.radians(elevation_deg)
    # Across the sun's direction only points within a crown's radius of its centre line can be hidden by it:
    # points sorted by that coordinate give each crown its candidates by two binary searches.
    across = x * math.cos(a) - y * math.sin(a)
    order = np.argsort(across, kind="stable")
    _cast(crowns.x, crowns.y, crowns.base_z, crowns.top_z, crowns.radius, x, y, z, across[order], order, a, e, out)
    return out


@njit(cache=True)
def _cast(cx, cy, cbase, ctop, cr, x, y, z, across_sorted, order, a, e, out):
    dx_sun = math.sin(a) * math.cos(e)  # unit vector towards the sun: east, north, up
    dy_sun = math.cos(a) * math.cos(e)
    dz_sun = math.sin(e)
    tan_e = math.tan(e)
    ca, sa = math.cos(a), math.sin(a)
    for k in range(cx.shape[0]):
        r = cr[k]
        semi_z = 0.5 * (ctop[k] - cbase[k])
        mz = 0.5 * (ctop[k] + cbase[k])
        across_c = cx[k] * ca - cy[k] * sa
        along_c = cx[k] * sa + cy[k] * ca
        lo = np.searchsorted(across_sorted, across_c - r, side="left")
        hi = np.searchsorted(across_sorted, across_c + r, side="right")
        # The ray direction in the unit sphere's frame (ellipsoid scaled to radius 1).
        ux, uy, uz = dx_sun / r, dy_sun / r, dz_sun / semi_z
        qa = ux * ux + uy * uy + uz * uz
        for j in range(lo, hi):
            i = order[j]
            if out[i]:
                continue
            # The crown must lie towards the sun, and not so far that the ray has risen over it.
            ahead = along_c - (x[i] * sa + y[i] * ca)
            if ahead < -r or ahead > (ctop[k] - z[i]) / tan_e + r:
                continue
            qx = (x[i] - cx[k]) / r
            qy = (y[i] - cy[k]) / r
            qz = (z[i] - mz) / semi_z
            qc = qx * qx + qy * qy + qz * qz - 1.0
            if qc <= 0.0:
                out[i] = True  # inside the crown
                continue
            qb = 2.0 * (qx * ux + qy * uy + qz * uz)
            # Outside, both crossings lie on one side: ahead of the point when they sum to a positive t.
            if qb < 0.0 and qb * qb - 4.0 * qa * qc >= 0.0:
                out[i] = True
