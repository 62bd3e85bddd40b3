"""Placement options (origin, rotation, elevation) read against the rotation convention their file states."""
from __future__ import annotations

import re
from typing import Any

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
