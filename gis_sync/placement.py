"""Where a model drawn in local metres goes: placement options read against their rotation convention, and the
placement a georeferenced model states (a reference point with its north, or a map conversion)."""

from __future__ import annotations

import math
import re
from typing import Any

from pyproj import Proj

from gis_sync import crs as crs_mod
from gis_sync.errors import PlacementError
from gis_sync.records import Placement

# Our convention (records.Placement, ProjectVariant.rotation_deg): degrees counter-clockwise about the
# vertical axis, from east (the storage CRS's x axis) — the maths convention, as in IfcMapConversion.
CCW_FROM_EAST = "ccw_from_east"
CW_FROM_NORTH = "cw_from_north"


def convention_of(text: str | None) -> str:
    """Which of the two conventions a free-text description names; empty means ours."""
    t = (text or "").lower().replace("-", " ").replace("_", " ")
    if not t.strip():
        return CCW_FROM_EAST
    ccw = bool(re.search(r"counter ?clockwise|anti ?clockwise|\bccw\b|trigonom", t))
    cw = not ccw and bool(re.search(r"\bclockwise\b|\bcw\b|azimuth|bearing|heading", t))
    east = bool(re.search(r"\beast\b|\bx axis\b|\best\b", t))
    north = bool(re.search(r"\bnorth\b|\bnord\b|\by axis\b", t))
    if ccw and (east or not north):
        return CCW_FROM_EAST
    if cw and (north or not east):
        return CW_FROM_NORTH
    raise PlacementError(
        f"rotation convention {text!r} is neither counter-clockwise from east nor clockwise from north",
        field="rotation_convention",
        advice="say 'degrees, counter-clockwise about the vertical axis, from east' or "
        "'degrees, clockwise from grid north'",
    )


def placement_from_options(options: dict[str, Any]) -> Placement | None:
    """A Placement from {"placement": {"origin": [x, y], "rotation_deg": r, "elevation": z}, "rotation_convention"}.

    origin in the storage CRS (m), elevation orthometric (m); the rotation is turned into ours."""
    raw = options.get("placement")
    if not raw:
        return None
    if isinstance(raw, Placement):
        return raw
    try:
        x, y = (float(v) for v in raw["origin"][:2])
        rotation = float(raw.get("rotation_deg", 0.0))
        elevation = float(raw.get("elevation", raw.get("elevation_m", 0.0)))
        scale = float(raw.get("scale", 1.0))
    except (KeyError, TypeError, ValueError) as exc:
        raise PlacementError(f"the placement {raw!r} is incomplete ({exc})", field="placement") from None
    if convention_of(options.get("rotation_convention")) == CW_FROM_NORTH:
        # Both leave the model unturned at 0: a bearing of its north axis r is a turn of -r counter-clockwise.
        rotation = -rotation
    return Placement(x=x, y=y, rotation_deg=rotation % 360.0, elevation=elevation, scale=scale, source="given")


def grid_north_at(srid: int, lon: float, lat: float) -> tuple[float, float]:
    """(grid azimuth of true north in degrees clockwise, point scale factor) of EPSG:srid at lon, lat (WGS84 deg).

    PROJ's meridian_convergence is the opposite of the grid azimuth of the meridian (at Antibes in Lambert-93 it is
    +2.99° while a point carried north along the meridian lands 2.99° west of grid north); the tests check it by
    carrying such a point. The scale is the meridional one (conformal projections: the same in every direction)."""
    crs = crs_mod.crs_for(crs_mod.horizontal_srid(srid))
    if crs.is_geographic:
        raise PlacementError(
            f"EPSG:{srid} is geographic: a model cannot be placed in degrees",
            advice="store and place models in a projected CRS (metres)",
        )
    factors = Proj(crs).get_factors(lon, lat)
    return -float(factors.meridian_convergence), float(factors.meridional_scale)


def placement_from_reference_point(
    lon: float,
    lat: float,
    height: float,
    north_azimuth_deg: float,
    reference: tuple[float, float, float],
    storage_srid: int,
    source: str = "IfcSite",
) -> Placement:
    """The placement of a model whose point `reference` (model metres, x, y, z) lies at lon, lat (WGS84 degrees)
    and `height` (metres, orthometric), its +Y axis pointing `north_azimuth_deg` clockwise from true north.

    In EPSG:storage_srid the model turns by its azimuth plus the grid azimuth of true north (the meridian
    convergence there) and grows by the projection's scale factor (0.34 mm/m at Antibes in Lambert-93)."""
    ox, oy = crs_mod.lonlat_to(storage_srid, lon, lat)
    north, k = grid_north_at(storage_srid, lon, lat)
    # Grid azimuth of +Y is azimuth + north; +X is 90° clockwise of it, and our rotation counts from east, CCW.
    rotation = -(north_azimuth_deg + north)
    c, s = math.cos(math.radians(rotation)), math.sin(math.radians(rotation))
    rx, ry, rz = reference
    return Placement(
        x=ox - k * (c * rx - s * ry),
        y=oy - k * (s * rx + c * ry),
        rotation_deg=rotation % 360.0,
        elevation=height - rz,
        scale=k,
        scale_z=1.0,
        source=source,
    )


def placement_from_map_conversion(
    eastings: float,
    northings: float,
    height: float,
    x_axis: tuple[float, float],
    scale: float,
    map_srid: int,
    storage_srid: int,
) -> Placement:
    """The placement given by an IfcMapConversion: model metres (x, y) become map metres E + scale * R(x_axis) * (x,
    y) in EPSG:map_srid, heights height + z. eastings, northings, height in metres; scale model → map metres.

    A map CRS other than storage is carried over by transforming the origin and a point 100 m along the model's
    x axis: the two grids differ in north (their convergences) and in scale factor, both taken from that pair."""
    ax, ay = x_axis
    if not (math.isfinite(ax) and math.isfinite(ay)) or math.hypot(ax, ay) == 0:
        raise PlacementError(
            f"the IfcMapConversion x axis ({ax}, {ay}) has no direction",
            field="XAxisAbscissa",
            advice="give XAxisAbscissa/XAxisOrdinate as cos/sin of the turn",
        )
    rotation = math.degrees(math.atan2(ay, ax))
    x, y = eastings, northings
    if crs_mod.horizontal_srid(map_srid) != crs_mod.horizontal_srid(storage_srid):
        step = 100.0 / math.hypot(ax, ay)
        xs, ys = crs_mod.transform_xy([x, x + step * ax], [y, y + step * ay], map_srid, storage_srid)
        if not all(math.isfinite(v) for v in xs + ys):
            raise PlacementError(
                f"EPSG:{map_srid} → EPSG:{storage_srid} gives no coordinates at {x}, {y}",
                field="IfcMapConversion",
                advice="check Eastings/Northings and the target CRS",
            )
        x, y = xs[0], ys[0]
        rotation = math.degrees(math.atan2(ys[1] - ys[0], xs[1] - xs[0]))
        scale *= math.hypot(xs[1] - xs[0], ys[1] - ys[0]) / 100.0
    return Placement(
        x=x, y=y, rotation_deg=rotation % 360.0, elevation=height, scale=scale, scale_z=1.0, source="IfcMapConversion"
    )
