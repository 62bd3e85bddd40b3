"""Heights of a source versus the twin's orthometric storage: ellipsoidal heights go through the geoid grid."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import shapely

from gis_sync import crs as crs_mod
from gis_sync.errors import CRSError
from twin import geodesy
from twin.depth import compute_axis
from twin.geoid import GeoidGridMissing, city_frame

# Observations whose altitude is measured in the source's coordinates (StaR-DT survey points), not in a field
# that a standard defines as NGF (RAEPA zamont, StaR-Eau cote_*).
COORDINATE_ALTITUDES = {"top", "axis", "invert", "survey"}


def carries_z(records: list[Any]) -> bool:
    """Whether the records bring heights from the source's coordinates (not from attributes or the terrain)."""
    for rec in records:
        kind = rec.record_type
        if kind == "segment" and any(len(c) > 2 for c in rec.coords[:1]):
            return True
        if kind == "node" and rec.z is not None and rec.z_kind in ("unknown", None):
            return True
        if kind == "node" and rec.z is None and _is_3d(rec.geometry_wkt):
            return True
        if kind == "street" and _is_3d(rec.geometry_wkt):
            return True
        if kind in ("pointcloud",):
            return True
        if kind == "building" and (rec.lod2_surfaces or rec.z_from_coordinates):
            return True
    return False


def is_ellipsoidal(srid: int) -> bool:
    """A geocentric CRS, or a geographic one without a vertical part (RFC 7946 GeoJSON, EPSG:4979)."""
    crs = crs_mod.crs_for(srid)
    return crs.is_geocentric or (crs.is_geographic and not crs.is_compound)


def check_heights(
    source_srid: int | None,
    records: list[Any],
    *,
    file: str,
    terrain_z: Callable | None = None,
    frame: Any = None,
    heights_moved: bool = False,
) -> str | None:
    """Bring the source's heights to the twin's orthometric storage, in place, and return a note for the run.

    Ellipsoidal heights (a geographic 3D or geocentric CRS) become orthometric through the configured geoid grid
    (twin.geoid.HeightFrame, JUMEAU_GEOID_GRID): h_ortho = h_ellipsoid - N(lon, lat). A missing grid is a CRSError,
    never PROJ's silent 'ballpark' that would keep them (~50 m off near Antibes). Point clouds, whose files the
    tiler reads as they are, are refused. An orthometric datum other than NGF-IGN69 is kept with a warning.
    frame: the HeightFrame to use (the city's by default); terrain_z: the ground sampler, for recomputing axes.
    heights_moved: the reader already brought them to the storage height system (twin.geodesy, recorded)."""
    if not source_srid or not carries_z(records) or heights_moved or crs_mod.heights_moved_in_session(source_srid):
        return None
    if is_ellipsoidal(source_srid):
        return _convert(source_srid, records, file=file, terrain_z=terrain_z, frame=frame)
    datum = crs_mod.vertical_datum_name(source_srid)
    if datum and "NGF" not in datum.upper() and "IGN69" not in datum.upper():
        # This reader did not move them: keeping them would be a ballpark on heights.
        session = geodesy.current_session()
        if session is None or session.allow_approximate_m is None:
            raise CRSError(
                f"the heights are in {datum} and this reader keeps heights as delivered; the twin stores NGF-IGN69",
                file=file,
                field="z",
                advice="deliver them in NGF-IGN69 (e.g. EPSG:2154+5720), or accept the difference with "
                "--allow-approximate METRES",
            )
        return (
            f"heights are in {datum}: kept as delivered, as allowed by --allow-approximate "
            f"{session.allow_approximate_m:g} (the difference to NGF-IGN69 is not computed)"
        )
    return None


def _convert(source_srid: int, records: list[Any], *, file: str, terrain_z: Callable | None, frame: Any) -> str:
    name = crs_mod.crs_for(source_srid).name
    if any(r.record_type == "pointcloud" for r in records):
        raise CRSError(
            f"the point heights are ellipsoidal (EPSG:{source_srid}, {name}); the twin stores orthometric heights "
            "and tiles point clouds from the file as delivered",
            file=file,
            field="z",
            advice="convert the cloud to NGF-IGN69 heights (e.g. PDAL with the RAF20 grid) and deliver it again",
        )
    frame = frame or city_frame()
    try:
        frame.grid_path  # noqa: B018 - raises GeoidGridMissing before anything is touched
    except GeoidGridMissing as exc:
        raise CRSError(
            f"the heights are ellipsoidal (EPSG:{source_srid}, {name}) and {exc}",
            file=file,
            field="z",
            advice="install the grid, or deliver heights in NGF-IGN69 (e.g. EPSG:2154+5720)",
        ) from None
    geoid = _Undulation(frame, file=file)
    session = geodesy.current_session()
    if session is not None:
        # An explicit grid, not a PROJ CRS-to-CRS operation: PROJ states no accuracy for it against NGF-IGN69.
        session.record(
            geodesy.Operation(
                name,
                f"{name} with orthometric heights",
                f"h - N(lon, lat) with the geoid grid {frame.grid} (vgridshift)",
                None,
            )
        )
    for rec in records:
        kind = rec.record_type
        if kind == "segment":
            _segment(rec, geoid, terrain_z)
        elif kind == "node":
            if rec.z is not None and rec.z_kind in ("unknown", None):
                x, y = _first_xy(rec.geometry_wkt)
                rec.z = float(rec.z - geoid([x], [y])[0])
            elif rec.z is None and _is_3d(rec.geometry_wkt):
                rec.geometry_wkt = _shift_wkt(rec.geometry_wkt, geoid)
        elif kind == "street" and _is_3d(rec.geometry_wkt):
            rec.geometry_wkt = _shift_wkt(rec.geometry_wkt, geoid)
        elif kind == "building" and (rec.lod2_surfaces or rec.z_from_coordinates):
            _building(rec, geoid)
    return f"heights were ellipsoidal (EPSG:{source_srid}, {name}): made orthometric with the geoid grid {frame.grid}"


class _Undulation:
    """Geoid heights N (m) at storage-CRS x, y, checked finite (a regional grid such as RAF20 ends somewhere)."""

    def __init__(self, frame: Any, *, file: str) -> None:
        self.frame, self.file = frame, file

    def __call__(self, xs, ys) -> np.ndarray:
        lon, lat = self.frame.to_lonlat(np.asarray(xs, float), np.asarray(ys, float))
        n = np.asarray(self.frame.undulation(lon, lat), float)
        if not np.isfinite(n).all() or (np.abs(n) > 200).any():
            raise CRSError(
                f"part of the data lies outside the geoid grid {self.frame.grid}",
                file=self.file,
                field="z",
                advice="use a grid that covers the whole delivery (JUMEAU_GEOID_GRID)",
            )
        return n


def _segment(rec: Any, geoid: _Undulation, terrain_z: Callable | None) -> None:
    if rec.coords and len(rec.coords[0]) > 2:
        n = geoid([c[0] for c in rec.coords], [c[1] for c in rec.coords])
        rec.coords = [(c[0], c[1], float(c[2] - dn), *c[3:]) for c, dn in zip(rec.coords, n)]
        if _is_3d(rec.geometry_wkt):
            rec.geometry_wkt = _shift_wkt(rec.geometry_wkt, geoid)
    observations = []
    for obs in rec.depth_observations:
        if obs.kind in COORDINATE_ALTITUDES and obs.source == "survey" and obs.point is not None:
            obs = replace(obs, value=float(obs.value - geoid([obs.point[0]], [obs.point[1]])[0]))
        observations.append(obs)
    rec.depth_observations = observations
    rec.axis = compute_axis(
        rec.coords,
        rec.depth_observations,
        outer_diameter_mm=rec.outer_diameter_mm,
        inner_diameter_mm=rec.inner_diameter_mm,
        network_type=rec.network_type,
        standard_cover_m=rec.standard_depth_m,
        precision_z=rec.precision_z,
        terrain_z=terrain_z,
    )


def _building(rec: Any, geoid: _Undulation) -> None:
    # LOD2 surfaces, and the ground and roof altitudes read from the same vertices (the footprint's for LOD1).
    pts = [p for s in rec.lod2_surfaces or [] for ring in s["rings"] for p in ring]
    if not pts:
        pts = [(*xy, 0.0) for xy in shapely.get_coordinates(shapely.from_wkt(rec.footprint_wkt))]
    n = geoid([p[0] for p in pts], [p[1] for p in pts])
    shift = float(np.mean(n)) if len(n) else 0.0
    it = iter(n)
    if rec.lod2_surfaces:
        rec.lod2_surfaces = [
            dict(s, rings=[[(p[0], p[1], float(p[2] - next(it))) for p in ring] for ring in s["rings"]])
            for s in rec.lod2_surfaces
        ]
    if rec.ground_z is not None:
        rec.ground_z -= shift
    if rec.roof_z is not None:
        rec.roof_z -= shift


_NUMBERS = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _is_3d(wkt: str) -> bool:
    return " Z " in f" {wkt.split('(', 1)[0]} "


def _first_xy(wkt: str) -> tuple[float, float]:
    nums = _NUMBERS.findall(wkt.split("(", 1)[1])
    return float(nums[0]), float(nums[1])


def _shift_wkt(wkt: str, geoid: _Undulation) -> str:
    geom = shapely.from_wkt(wkt)
    xyz = shapely.get_coordinates(geom, include_z=True)
    xyz[:, 2] -= geoid(xyz[:, 0], xyz[:, 1])
    return shapely.set_coordinates(geom, xyz).wkt
