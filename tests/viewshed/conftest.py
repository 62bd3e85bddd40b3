"""A small seaside city for the viewshed: a terrain GeoTIFF written here, buildings, a project and landmarks in the
test DB."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

X0, Y0 = 1033000.0, 6282000.0  # SW corner, Lambert-93, near Antibes
SIZE = 400.0  # metres
PIXEL = 2.0  # terrain GeoTIFF pixel, metres
LAND_Z = 10.0
SEA_EDGE_Y = Y0 + 160.0  # the sea is south of this line, 40 m from the home


def box(x0: float, y0: float, x1: float, y1: float, clockwise: bool = False):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    if clockwise:
        ring = ring[::-1]
    return MultiPolygon(Polygon(ring), srid=2154)


def write_terrain(path: Path) -> Path:
    from django.contrib.gis.gdal import GDALRaster

    n = int(SIZE / PIXEL)
    ys = Y0 + SIZE - (np.arange(n) + 0.5) * PIXEL
    z = np.where(ys[:, None] < SEA_EDGE_Y, -6.0, LAND_Z) * np.ones((1, n))
    raster = GDALRaster(
        {
            "driver": "GTiff",
            "name": str(path),
            "srid": 2154,
            "width": n,
            "height": n,
            "datatype": 6,
            "origin": (X0, Y0 + SIZE),
            "scale": (PIXEL, -PIXEL),
            "bands": [{"data": z.astype(np.float32), "nodata_value": -9999.0}],
        }
    )
    del raster
    return path


@dataclass
class City:
    home: object  # a 5-storey building whose south facade faces the sea
    tower: object  # a project variant: a tower between `home` and the sea
    lighthouse: object  # a point of interest out at sea
    tmp: Path


@pytest.fixture
def city(db, tmp_path, settings) -> City:
    from django.contrib.gis.geos import Point, Polygon

    from twin.models import Building, PlanningProject, PointOfInterest, ProjectVariant, Terrain

    settings.VAR_DIR = tmp_path
    settings.JUMEAU_EXTENT = (X0, Y0, X0 + SIZE, Y0 + SIZE)
    settings.JUMEAU_VIEWSHED_MAX_RADIUS_M = 3000.0
    path = write_terrain(tmp_path / "terrain.tif")
    Terrain.objects.create(
        name="test",
        file=str(path),
        extent=Polygon.from_bbox((X0, Y0, X0 + SIZE, Y0 + SIZE)),
        pixel_size=PIXEL,
        width=200,
        height=200,
        min_z=-6,
        max_z=LAND_Z,
        active=True,
    )
    home = Building.objects.create(
        source_key="test",
        source_id="HOME",
        footprint=box(X0 + 180, Y0 + 200, X0 + 220, Y0 + 220),
        ground_z=LAND_Z,
        roof_z=LAND_Z + 15.0,
        storeys=5,
        name="Résidence",
    )
    Building.objects.create(
        source_key="test",
        source_id="NEIGHBOUR",
        footprint=box(X0 + 60, Y0 + 250, X0 + 90, Y0 + 290, clockwise=True),
        ground_z=LAND_Z,
        roof_z=LAND_Z + 9.0,
        storeys=3,
    )
    project = PlanningProject.objects.create(name="Tour du port", slug="tour", status="consultation")
    tower = ProjectVariant.objects.create(
        project=project,
        name="Haute",
        slug="haute",
        model_file="none.glb",
        model_format="glb",
        footprint=box(X0 + 170, Y0 + 172, X0 + 230, Y0 + 190),
        min_z=LAND_Z,
        max_z=LAND_Z + 60.0,
    )
    lighthouse = PointOfInterest.objects.create(
        name="Phare", slug="phare", category="monument", geom=Point(X0 + 200, Y0 + 40, 12.0, srid=2154)
    )
    return City(home, tower, lighthouse, tmp_path)
