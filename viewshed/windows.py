"""Windows sampled as a surveyor would: on every facade, one per storey and every few metres, with outward normals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from viewshed.eye import facades

# A window is assessed at its centre; with no window survey the centre is taken at mid-storey.
DEFAULT_SPACING_M = 5.0
# The reference point stands this far out of the facade: beyond the cells a 1 m DSM burns for the
# building itself (a cell whose centre is inside reaches at most 0.71 m out), so its own walls never
# count as an obstruction.
FACADE_STANDOFF_M = 1.0
# Shorter edges are corners and chamfers, not facades that carry windows.
MIN_FACADE_M = 2.0
STOREY_FALLBACK_M = 3.0
# Building uses that hold dwellings (BD TOPO USAGE1, CityGML function names, OSM building tags).
RESIDENTIAL_WORDS = (
    "résidentiel",
    "residentiel",
    "residential",
    "habitat",
    "habitation",
    "logement",
    "dwelling",
    "house",
    "apartments",
    "housing",
)

WINDOW_DTYPE = np.dtype(
    [
        ("building", "<i8"),  # index into the buildings sequence given to `sample_windows`
        ("facade", "<i4"),  # edge index, as `viewshed.eye.facades` numbers them
        ("floor", "<i2"),  # 0: the ground floor
        ("x", "<f8"),
        ("y", "<f8"),
        ("z", "<f8"),  # storage CRS, orthometric metres
        ("nx", "<f8"),
        ("ny", "<f8"),  # outward unit normal, storage CRS axes
    ]
)


@dataclass(frozen=True)
class BuildingShape:
    """What sampling needs of a building: footprint coords (storage CRS, metres) and heights (orthometric m)."""

    id: int
    coords: object  # a MultiPolygon's or Polygon's .coords
    ground_z: float
    roof_z: float
    storeys: int | None = None
    use: str = ""

    @property
    def residential(self) -> bool:
        use = (self.use or "").lower()
        return any(word in use for word in RESIDENTIAL_WORDS)

    @property
    def storey_count(self) -> int:
        height = self.roof_z - self.ground_z
        return self.storeys or max(1, round(height / STOREY_FALLBACK_M))


def is_residential(use: str) -> bool:
    """Does a building use (free text from the source) name dwellings?"""
    return BuildingShape(0, (), 0.0, 0.0, use=use).residential


def window_azimuth_deg(nx: np.ndarray, ny: np.ndarray) -> np.ndarray:
    """Azimuth of outward normals, degrees clockwise from grid north, in [0, 360)."""
    return np.degrees(np.arctan2(nx, ny)) % 360.0


def sample_windows(
    buildings: Sequence[BuildingShape], spacing_m: float = DEFAULT_SPACING_M, standoff_m: float = FACADE_STANDOFF_M
) -> np.ndarray:
    """The reference points of every facade of `buildings` (WINDOW_DTYPE, one row per window).

    Each facade (outer-ring edge of at least MIN_FACADE_M metres) is cut into
    round(length / spacing_m) equal parts (at least one), a point at the middle
    of each; each point is repeated on every storey at mid-storey height and
    stands `standoff_m` metres out along the facade's outward normal.
    """
    if spacing_m <= 0:
        raise ValueError(f"window spacing must be positive metres, not {spacing_m}")
    rows: list[tuple] = []
    for index, b in enumerate(buildings):
        storeys = b.storey_count
        height = b.roof_z - b.ground_z
        storey_h = height / storeys if height > 0 else STOREY_FALLBACK_M
        zs = [b.ground_z + (floor + 0.5) * storey_h for floor in range(storeys)]
        for f in facades(b.coords):
            if f.length < MIN_FACADE_M:
                continue
            n = max(1, round(f.length / spacing_m))
            for k in range(n):
                t = (k + 0.5) / n
                x = f.x0 + t * (f.x1 - f.x0) + f.nx * standoff_m
                y = f.y0 + t * (f.y1 - f.y0) + f.ny * standoff_m
                rows.extend((index, f.index, floor, x, y, z, f.nx, f.ny) for floor, z in enumerate(zs))
    return np.array(rows, dtype=WINDOW_DTYPE) if rows else np.zeros(0, WINDOW_DTYPE)


def facade_count(buildings: Iterable[BuildingShape]) -> int:
    """How many facades sampling finds (for the report's method section)."""
    return sum(1 for b in buildings for f in facades(b.coords) if f.length >= MIN_FACADE_M)


def distance_to_box(x: np.ndarray, y: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Horizontal distance (metres) of points to an axis-aligned box (xmin, ymin, xmax, ymax); 0 inside."""
    x0, y0, x1, y1 = box
    dx = np.maximum(np.maximum(x0 - x, 0.0), x - x1)
    dy = np.maximum(np.maximum(y0 - y, 0.0), y - y1)
    return np.hypot(dx, dy)


def faces_box(windows: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Which windows have some of the box in front of their facade plane (any corner on the outward side)."""
    x0, y0, x1, y1 = box
    out = np.zeros(len(windows), dtype=bool)
    for cx, cy in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
        out |= (cx - windows["x"]) * windows["nx"] + (cy - windows["y"]) * windows["ny"] > 0.0
    return out
