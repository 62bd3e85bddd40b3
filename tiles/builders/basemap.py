"""The basemap layer: a shaded-relief image of the active terrain, draped by the app under everything."""

from __future__ import annotations

import numpy as np

from tiles.basemap import render_basemap
from tiles.builders.base import LayerStats, Progress, write_json
from tiles.errors import NothingToBuild
from tiles.publish import LayerBuild
from twin.geoid import HeightFrame
from twin.models import Terrain


def build(build: LayerBuild, frame: HeightFrame, progress: Progress) -> LayerStats:
    """Write basemap.webp and basemap.json (rectangle in degrees, versioned image URL) into build.path."""
    terrain = Terrain.current()
    if terrain is None or not terrain.path.is_file():
        raise NothingToBuild("There is no active terrain to draw a basemap from: import a DEM GeoTIFF first.")
    sampler = terrain.sampler()
    xmin, ymin, xmax, ymax = terrain.extent.extent
    # The rectangle inside the DEM: the four corners' inner bounds, so no edge falls outside it.
    lon, lat = frame.to_lonlat([xmin, xmax, xmin, xmax], [ymin, ymin, ymax, ymax])
    rectangle = (
        float(max(lon[0], lon[2])),
        float(max(lat[0], lat[1])),
        float(min(lon[1], lon[3])),
        float(min(lat[2], lat[3])),
    )

    def heights_at(lo: np.ndarray, la: np.ndarray) -> np.ndarray:
        x, y = frame.from_lonlat(lo, la)
        return sampler(x, y)

    width = int(min(4096, max(512, (xmax - xmin) / max(terrain.pixel_size / 2, 1.0))))
    image, meta = render_basemap(heights_at, rectangle, width=width)
    (build.path / "basemap.webp").write_bytes(image)
    meta["url"] = f"@{build.version}/basemap.webp"
    stats = LayerStats(features=1, tiles=1, tiles_rewritten=1)
    stats.bytes = len(image) + write_json(build.path / "basemap.json", meta)
    progress(f"  basemap: {meta['width']}×{meta['height']} px shaded relief, {len(image) / 1e3:.0f} kB WebP")
    return stats
