"""Where tiles need rebuilding: the plan boxes of changed features merged into a small MultiPolygon."""

from __future__ import annotations

import math
from collections.abc import Sequence

import shapely

# Past this many boxes a union gets slow and its outline huge: snap them to a grid of cells instead.
MAX_EXACT_BOXES = 2000
MAX_CELLS = 4000
MIN_CELL_M = 25.0
# A point or a perfectly straight line still needs an area for the tiles under it.
PAD_M = 0.5


def merge_boxes(boxes: Sequence[tuple[float, float, float, float]]) -> shapely.MultiPolygon | None:
    """The union of boxes (minx, miny, maxx, maxy, storage CRS metres), padded by PAD_M, as a MultiPolygon.

    Many boxes are snapped outward to grid cells first, so the area covers at least every box."""
    if not boxes:
        return None
    if len(boxes) <= MAX_EXACT_BOXES:
        shapes = [shapely.box(b[0] - PAD_M, b[1] - PAD_M, b[2] + PAD_M, b[3] + PAD_M) for b in boxes]
    else:
        minx = min(b[0] for b in boxes) - PAD_M
        miny = min(b[1] for b in boxes) - PAD_M
        maxx = max(b[2] for b in boxes) + PAD_M
        maxy = max(b[3] for b in boxes) + PAD_M
        cell = max(MIN_CELL_M, math.sqrt((maxx - minx) * (maxy - miny) / MAX_CELLS))
        cells: set[tuple[int, int]] = set()
        for b in boxes:
            i0, i1 = int((b[0] - PAD_M - minx) // cell), int((b[2] + PAD_M - minx) // cell)
            j0, j1 = int((b[1] - PAD_M - miny) // cell), int((b[3] + PAD_M - miny) // cell)
            cells.update((i, j) for i in range(i0, i1 + 1) for j in range(j0, j1 + 1))
        shapes = [
            shapely.box(minx + i * cell, miny + j * cell, minx + (i + 1) * cell, miny + (j + 1) * cell)
            for i, j in cells
        ]
    union = shapely.union_all(shapes)
    polys = [g for g in getattr(union, "geoms", [union]) if g.geom_type == "Polygon"]
    return shapely.MultiPolygon(polys)
