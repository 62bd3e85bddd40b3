"""Turn depth observations of a pipe or cable into a 3D axis, stating the method and its uncertainty."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DepthObservation:
    """One vertical fact about a pipe or cable, in metres.

    kind: 'top' (altitude of the upper generatrix), 'axis' (altitude of the axis), 'invert' (altitude of
    the inside bottom, fil d'eau / radier), 'cover' (depth below ground to the top of the pipe).
    position: distance along the line in metres from its first vertex, None when the fact holds for the
    whole segment. point: (x, y) in the storage CRS when the fact comes from a surveyed point.
    """

    kind: str
    value: float
    position: float | None = None
    point: tuple[float, float] | None = None
    source: str = ""  # 'survey' for survey points; otherwise the field name it came from
    precision_z: str | None = None


@dataclass
class Axis3D:
    """A 3D axis computed by twin.depth: coordinates in the storage CRS with orthometric z."""

    coords: list[tuple[float, float, float]]
    method: str  # 'survey', 'top', 'invert', 'axis', 'cover', 'vertex_z', 'standard_depth'
    uncertainty_m: float
    estimated: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def wkt(self) -> str:
        return "LINESTRING Z (" + ", ".join(f"{x!r} {y!r} {z!r}" for x, y, z in self.coords) + ")"


TerrainZ = Callable[[Sequence[float], Sequence[float]], Sequence[float | None]]

# Usual cover depths (m, ground to top of pipe) when nothing is known: French practice
# (fascicule 71 for water, NF P98-331 trench rules); an estimate, always flagged.
STANDARD_COVER_M: dict[str, float] = {
    "water": 1.0,
    "sewer": 1.5,
    "stormwater": 1.2,
    "gas": 0.8,
    "electricity": 0.8,
    "telecom": 0.6,
    "heating": 0.8,
    "lighting": 0.5,
}
# DT-DICT precision classes (arrêté du 15 février 2012): A ≤ 0.40 m (0.50 m flexible), B ≤ 1.50 m, C beyond.
CLASS_UNCERTAINTY_M: dict[str, float] = {"A": 0.4, "B": 1.5, "C": 3.0}
METHOD_UNCERTAINTY_M: dict[str, float] = {
    "survey": 0.1,
    "axis": 0.1,
    "top": 0.2,
    "invert": 0.2,
    "vertex_z": 0.5,
    "cover": 0.5,  # terrain models add their own error to a depth
    "standard_depth": 1.5,
}
# Cover depths outside this range (m) are flagged as implausible: they usually mean a unit or datum mix-up.
PLAUSIBLE_COVER_M = (-0.5, 15.0)


def _cumulative(coords: Sequence[Sequence[float]]) -> list[float]:
    dist = [0.0]
    for a, b in zip(coords, coords[1:]):
        dist.append(dist[-1] + math.hypot(b[0] - a[0], b[1] - a[1]))
    return dist


def project_point(coords: Sequence[Sequence[float]], x: float, y: float) -> tuple[float, float]:
    """Distance along a line (m from its first vertex) of the point nearest to (x, y), and the offset (m)."""
    best = (math.inf, 0.0)
    run = 0.0
    for a, b in zip(coords, coords[1:]):
        dx, dy = b[0] - a[0], b[1] - a[1]
        seg = math.hypot(dx, dy)
        t = 0.0 if seg == 0 else max(0.0, min(1.0, ((x - a[0]) * dx + (y - a[1]) * dy) / (seg * seg)))
        px, py = a[0] + t * dx, a[1] + t * dy
        off = math.hypot(x - px, y - py)
        if off < best[0]:
            best = (off, run + t * seg)
        run += seg
    return best[1], best[0]


def _interpolate(stations: list[tuple[float, float]], at: float) -> float:
    """Linear interpolation of (position, z) stations; constant beyond the ends."""
    if at <= stations[0][0]:
        return stations[0][1]
    if at >= stations[-1][0]:
        return stations[-1][1]
    for (p0, z0), (p1, z1) in zip(stations, stations[1:]):
        if p0 <= at <= p1:
            return z0 if p1 == p0 else z0 + (z1 - z0) * (at - p0) / (p1 - p0)
    return stations[-1][1]


def compute_axis(
    coords: Sequence[Sequence[float]],
    observations: Sequence[DepthObservation] = (),
    *,
    outer_diameter_mm: float | None = None,
    inner_diameter_mm: float | None = None,
    network_type: str | None = None,
    standard_cover_m: float | None = None,
    precision_z: str | None = None,
    terrain_z: TerrainZ | None = None,
) -> Axis3D | None:
    """The 3D axis of a segment.

    coords: the line's vertices (x, y[, z]) in a projected CRS in metres; a z on the vertices is taken as
    the axis altitude when nothing better is known. observations: DepthObservation values in metres
    (altitudes in the terrain's vertical datum). Diameters in millimetres: the outer one reaches the axis
    from the top of the pipe, the inner one from the invert. terrain_z(xs, ys) -> ground altitudes (m, same
    CRS and datum), needed for cover depths and the standard depth.

    Order of preference: survey points, then altitudes (axis, top, invert), then vertex z, then cover
    depths, then the network's standard depth (a flagged estimate). Returns None when only terrain-based
    methods apply and no terrain is given.
    """
    if len(coords) < 2:
        return None
    notes: list[str] = []
    dist = _cumulative(coords)
    total = dist[-1]
    d_out = (outer_diameter_mm or inner_diameter_mm or 0.0) / 1000.0
    d_in = (inner_diameter_mm or outer_diameter_mm or 0.0) / 1000.0
    if not (outer_diameter_mm or inner_diameter_mm):
        notes.append("diameter unknown: top/invert/cover taken at the axis")

    def ground_at(xs: list[float], ys: list[float]) -> list[float | None] | None:
        if terrain_z is None:
            return None
        return [
            None if (z is None or (isinstance(z, float) and math.isnan(z))) else float(z) for z in terrain_z(xs, ys)
        ]

    def axis_z(obs: DepthObservation, x: float, y: float) -> float | None:
        if obs.kind == "axis":
            return obs.value
        if obs.kind == "top":
            return obs.value - d_out / 2
        if obs.kind == "invert":
            return obs.value + d_in / 2
        if obs.kind == "cover":
            g = ground_at([x], [y])
            if not g or g[0] is None:
                return None
            return g[0] - obs.value - d_out / 2
        return None

    def locate(obs: DepthObservation) -> tuple[float, float, float | None]:
        """(x, y, position) of an observation; position None means the whole line."""
        if obs.point is not None:
            pos = obs.position if obs.position is not None else project_point(coords, *obs.point)[0]
            return obs.point[0], obs.point[1], pos
        if obs.position is not None:
            pos = max(0.0, min(total, obs.position))
            x, y = _point_at(coords, dist, pos)
            return x, y, pos
        mid = total / 2
        x, y = _point_at(coords, dist, mid)
        return x, y, None

    groups = (
        ("survey", [o for o in observations if o.source == "survey"]),
        ("axis", [o for o in observations if o.kind == "axis" and o.source != "survey"]),
        ("top", [o for o in observations if o.kind == "top" and o.source != "survey"]),
        ("invert", [o for o in observations if o.kind == "invert" and o.source != "survey"]),
    )
    for method, group in groups:
        stations = _stations(group, locate, axis_z, total)
        if stations:
            return _finish(coords, dist, stations, method, precision_z, group, notes, ground_at)

    if all(len(c) > 2 and c[2] is not None and math.isfinite(c[2]) for c in coords):
        xyz = [(float(c[0]), float(c[1]), float(c[2])) for c in coords]
        return Axis3D(xyz, "vertex_z", _uncertainty("vertex_z", precision_z), False, notes)

    covers = []
    for o in (o for o in observations if o.kind == "cover"):
        if o.position is None and o.point is None:
            # A depth for the whole segment follows the ground: one station per vertex.
            covers.extend(
                DepthObservation("cover", o.value, position=d, source=o.source, precision_z=o.precision_z) for d in dist
            )
        else:
            covers.append(o)
    if covers:
        if terrain_z is None:
            return None
        stations = _stations(covers, locate, axis_z, total)
        if stations:
            return _finish(coords, dist, stations, "cover", precision_z, covers, notes, ground_at)
        notes.append("no terrain under the cover-depth observations")

    if terrain_z is None:
        return None
    cover = standard_cover_m if standard_cover_m is not None else STANDARD_COVER_M.get(network_type or "")
    if cover is None:
        notes.append("no standard depth for an unknown network type: 1.0 m used")
        cover = 1.0
    xs = [float(c[0]) for c in coords]
    ys = [float(c[1]) for c in coords]
    ground = ground_at(xs, ys) or []
    if any(g is None for g in ground):
        notes.append("terrain missing under part of the line")
        known = [g for g in ground if g is not None]
        if not known:
            return None
        fill = sum(known) / len(known)
        ground = [fill if g is None else g for g in ground]
    xyz = [(x, y, g - cover - d_out / 2) for x, y, g in zip(xs, ys, ground)]
    notes.append(f"standard cover depth {cover:.2f} m for {network_type or 'unknown'} network")
    return Axis3D(xyz, "standard_depth", _uncertainty("standard_depth", precision_z), True, notes)


def _point_at(coords: Sequence[Sequence[float]], dist: list[float], pos: float) -> tuple[float, float]:
    for i in range(1, len(coords)):
        if pos <= dist[i] or i == len(coords) - 1:
            seg = dist[i] - dist[i - 1]
            t = 0.0 if seg == 0 else (pos - dist[i - 1]) / seg
            t = max(0.0, min(1.0, t))
            a, b = coords[i - 1], coords[i]
            return a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])
    return float(coords[-1][0]), float(coords[-1][1])


def _stations(group, locate, axis_z, total: float) -> list[tuple[float, float]]:
    stations: list[tuple[float, float]] = []
    for obs in group:
        x, y, pos = locate(obs)
        z = axis_z(obs, x, y)
        if z is None:
            continue
        if pos is None:
            stations.extend([(0.0, z), (total, z)])
        else:
            stations.append((pos, z))
    stations.sort()
    return stations


def _finish(coords, dist, stations, method, precision_z, group, notes, ground_at) -> Axis3D:
    xyz = [(float(c[0]), float(c[1]), _interpolate(stations, d)) for c, d in zip(coords, dist)]
    ground = ground_at([p[0] for p in xyz], [p[1] for p in xyz])
    if ground:
        for (x, y, z), g in zip(xyz, ground):
            if g is not None and not (PLAUSIBLE_COVER_M[0] <= g - z <= PLAUSIBLE_COVER_M[1]):
                notes.append(
                    f"implausible depth {g - z:.2f} m below ground at ({x:.2f}, {y:.2f}): "
                    "check the unit and the vertical datum of the observations"
                )
                break
    classes = [o.precision_z for o in group if o.precision_z] or ([precision_z] if precision_z else [])
    worst = max(classes, key=lambda c: CLASS_UNCERTAINTY_M.get(c, 0.0)) if classes else None
    return Axis3D(xyz, method, _uncertainty(method, worst), False, notes)


def _uncertainty(method: str, precision_z: str | None) -> float:
    return max(METHOD_UNCERTAINTY_M[method], CLASS_UNCERTAINTY_M.get(precision_z or "", 0.0))
