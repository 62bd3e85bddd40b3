"""The products the apps derive from the city model, by name, so that a sync can say which it made stale without
knowing who keeps them (the project package queues their jobs, jumeau/rebuilds.py).

Tile layers are the other thing a sync makes stale: those are named by the change log's layers. A derived product
has no tile layer and no change-log entry; it is rebuilt whole, or checks itself what changed (the surface model
patches from the buildings' change-log entries, the shade compares fingerprints, each impact report its inputs)."""

from __future__ import annotations

import re

# viewshed's surface model, cast from the terrain and the buildings. The shade on the streets and the impact
# reports are read from it: they follow it.
SURFACE = "surface"
# realtime's share in shade of each street edge, cast from the surface model and the trees' crowns.
SHADE = "shade"

_IMPACT = re.compile(r"impact-(?P<variant>[1-9][0-9]{0,17})")


def impact(variant_pk: int) -> str:
    """viewshed's impact report of one project variant, cast from its model on the surface model."""
    return f"impact-{int(variant_pk)}"


def impact_variant(name: str) -> int | None:
    """The project variant whose impact report `name` is, or None when it names another product."""
    match = _IMPACT.fullmatch(name)
    return int(match["variant"]) if match else None
