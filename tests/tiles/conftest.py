"""Fixtures of the tile build tests: a small synthetic terrain, buildings standing on it, pipes under it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.contrib.gis.gdal import GDALRaster
from django.contrib.gis.geos import LineString, MultiPolygon, Polygon

# A 2 km square inside the configured city extent (EPSG:2154 metres).
X0, Y0 = 1031000.0, 6280000.0
PIXEL = 10.0
SIZE = 200


def terrain_height(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The synthetic DEM: a slope to the sea with hills, orthometric metres."""
    u = (np.asarray(x) - X0) / 2000.0
    v = (np.asarray(y) - Y0) / 2000.0
    return 2.0 + 40.0 * v + 8.0 * np.sin(3.0 * u) * np.cos(2.0 * v)


@pytest.fixture
def terrain(db, tmp_path):
    """An active Terrain row over a GeoTIFF written in tmp_path."""
    from twin.models import Terrain

    xs = X0 + (np.arange(SIZE) + 0.5) * PIXEL
    ys = Y0 + SIZE * PIXEL - (np.arange(SIZE) + 0.5) * PIXEL
    gx, gy = np.meshgrid(xs, ys)
    z = terrain_height(gx, gy).astype(np.float32)
    path = tmp_path / "dem.tif"
    GDALRaster(
        {
            "driver": "GTiff",
            "name": str(path),
            "srid": 2154,
            "width": SIZE,
            "height": SIZE,
            "origin": [X0, Y0 + SIZE * PIXEL],
            "scale": [PIXEL, -PIXEL],
            "datatype": 6,
            "bands": [{"data": z.ravel().tolist(), "nodata_value": -9999.0}],
        }
    )
    extent = Polygon.from_bbox((X0, Y0, X0 + SIZE * PIXEL, Y0 + SIZE * PIXEL))
    extent.srid = 2154
    return Terrain.objects.create(
        name="synthetic",
        file=str(path),
        srid=2154,
        extent=extent,
        pixel_size=PIXEL,
        width=SIZE,
        height=SIZE,
        min_z=float(z.min()),
        max_z=float(z.max()),
        active=True,
    )


def make_buildings(n: int, *, seed: int = 1, source_key: str = "test") -> list:
    """n buildings on a jittered grid: rectangles, some with a courtyard, some two-part MultiPolygons."""
    from twin.models import Building

    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    spacing = 1800.0 / side
    rows = []
    for i in range(n):
        cx = X0 + 100 + (i % side) * spacing + rng.uniform(-2, 2)
        cy = Y0 + 100 + (i // side) * spacing + rng.uniform(-2, 2)
        w, d = rng.uniform(6, min(20, spacing * 0.4), 2)
        outer = ((cx - w, cy - d), (cx + w, cy - d), (cx + w, cy + d), (cx - w, cy + d), (cx - w, cy - d))
        if i % 7 == 3:
            hole = (
                (cx - w / 3, cy - d / 3),
                (cx - w / 3, cy + d / 3),
                (cx + w / 3, cy + d / 3),
                (cx + w / 3, cy - d / 3),
                (cx - w / 3, cy - d / 3),
            )
            polys = [Polygon(outer, hole)]
        elif i % 11 == 5:
            annex = ((cx + w + 1, cy), (cx + w + 4, cy), (cx + w + 4, cy + 3), (cx + w + 1, cy + 3), (cx + w + 1, cy))
            polys = [Polygon(outer), Polygon(annex)]
        else:
            polys = [Polygon(outer)]
        xy = np.array(outer)
        ground = float(terrain_height(xy[:, 0], xy[:, 1]).min())
        storeys = int(rng.integers(1, 8))
        rows.append(
            Building(
                source_key=source_key,
                source_id=f"BATIMENT{i:010d}",
                footprint=MultiPolygon(*polys, srid=2154),
                ground_z=round(ground, 2),
                roof_z=round(ground + storeys * 3.0 + rng.uniform(0, 2), 2),
                storeys=storeys,
                use=["Résidentiel", "Commercial et services", "Religieux"][i % 3],
                year=1900 + i % 120,
                name=f"Bâtiment {i}" if i % 5 == 0 else "",
            )
        )
    Building.objects.bulk_create(rows, batch_size=500)
    return list(Building.objects.order_by("pk"))


@pytest.fixture
def buildings(terrain):
    return make_buildings(120)


@pytest.fixture
def tiles_dir(tiles_root) -> Path:
    return tiles_root


def make_network(network_type: str = "water", operator: str = "Régie des Eaux"):
    from twin.models import Network, NetworkOperator

    op, _ = NetworkOperator.objects.get_or_create(name=operator)
    net, _ = Network.objects.get_or_create(operator=op, network_type=network_type, name=f"{network_type} test")
    return net


@pytest.fixture
def pipes(terrain):
    """A water main with a bend, a gas pipe, and a sewer with a vertical riser, one metre or more underground."""
    from twin.models import NetworkSegment

    water, gas, sewer = make_network("water"), make_network("gas", "GRDF"), make_network("sewer")

    def axis(points):
        pts = [(x, y, float(terrain_height(x, y)) - depth) for x, y, depth in points]
        return LineString(pts, srid=2154)

    def line(points):
        return LineString([(x, y) for x, y, _ in points], srid=2154)

    specs = [
        (
            water,
            "CAN-EAU-1",
            [(X0 + 300, Y0 + 300, 1.2), (X0 + 400, Y0 + 310, 1.2), (X0 + 420, Y0 + 400, 1.0)],
            200,
            "A",
            "B",
        ),
        (gas, "CAN-GAZ-1", [(X0 + 320, Y0 + 290, 0.8), (X0 + 600, Y0 + 290, 0.9)], 110, "B", "C"),
        (sewer, "CAN-EU-1", [(X0 + 500, Y0 + 500, 2.0), (X0 + 550, Y0 + 500, 2.1)], 400, "C", "C"),
    ]
    out = []
    for net, sid, pts, dn, pxy, pz in specs:
        out.append(
            NetworkSegment.objects.create(
                network=net,
                source_key="test",
                source_id=sid,
                feature_type="Canalisation",
                geom=line(pts),
                axis=axis(pts),
                axis_method="cover",
                material="PEHD",
                diameter_nominal_mm=dn,
                precision_xy=pxy,
                precision_z=pz,
            )
        )
    # A vertical riser: the same plan point twice, 3 m apart in height, then a horizontal run.
    x, y = X0 + 700, Y0 + 700
    g = float(terrain_height(x, y))
    riser = LineString([(x, y, g - 4.0), (x, y, g - 1.0), (x + 30, y, g - 1.0)], srid=2154)
    out.append(
        NetworkSegment.objects.create(
            network=sewer,
            source_key="test",
            source_id="CAN-EU-RISER",
            feature_type="Canalisation",
            geom=LineString([(x, y), (x + 0.001, y), (x + 30, y)], srid=2154),
            axis=riser,
            axis_method="survey",
            diameter_nominal_mm=300,
            precision_xy="A",
            precision_z="A",
        )
    )
    return out


@pytest.fixture
def nodes(pipes):
    """Manholes with and without an invert, a rectangular chamber, valves on and off their pipes, a survey point."""
    from django.contrib.gis.geos import Point

    from twin.models import NetworkNode

    water, gas, sewer = make_network("water"), make_network("gas", "GRDF"), make_network("sewer")

    def node(net, sid, node_type, x, y, *, cover=None, invert=None, attributes=None, pxy="B"):
        g = float(terrain_height(x, y))
        z = cover if cover is not None else invert if invert is not None else g
        return NetworkNode.objects.create(
            network=net,
            source_key="test",
            source_id=sid,
            node_type=node_type,
            geom=Point(x, y, z, srid=2154),
            cover_z=cover,
            invert_z=invert,
            precision_xy=pxy,
            precision_z="B",
            attributes=attributes or {},
        )

    g1 = float(terrain_height(X0 + 500, Y0 + 500))
    g4 = float(terrain_height(X0 + 800, Y0 + 300))
    return [
        # At the start of the sewer CAN-EU-1: lid and invert surveyed.
        node(sewer, "REG-1", "manhole", X0 + 500, Y0 + 500, cover=round(g1, 2), invert=round(g1 - 2.45, 2), pxy="A"),
        # At its end, nothing known: the floor is the pipe's bottom (an estimate).
        node(sewer, "REG-2", "manhole", X0 + 550, Y0 + 500.5),
        # Far from any pipe, nothing known: the network's standard depth (an estimate).
        node(water, "REG-3", "manhole", X0 + 900, Y0 + 900),
        # A rectangular chamber whose size and invert only the delivered attributes give.
        node(
            water,
            "CH-1",
            "meter_chamber",
            X0 + 800,
            Y0 + 300,
            attributes={"forme": "rectangulaire", "longueur": 2000, "largeur": 1200, "z_radier": round(g4 - 1.8, 2)},
        ),
        # A rectangular chamber on the water main's second leg (north-north-east): it lies along the pipe.
        node(
            water,
            "CH-2",
            "chamber",
            X0 + 410.3,
            Y0 + 355,
            attributes={"forme": "rectangulaire", "longueur": 2.5, "largeur": 1.0, "profondeur": 2.0},
        ),
        # A valve 30 cm off the water main: drawn on its axis.
        node(water, "V-1", "valve", X0 + 350, Y0 + 305.3),
        # A gas valve next to the water main but 15 m from any gas pipe: standard gas depth, an estimate.
        node(gas, "V-2", "valve", X0 + 350, Y0 + 305.5),
        # Survey points measured the axes; they are not objects to draw.
        node(water, "PL-1", "survey_point", X0 + 360, Y0 + 306),
    ]


@pytest.fixture
def small_tiles(monkeypatch):
    """Tiles of 12 buildings: the small test city then fills a quadtree of many leaves and parents."""
    from tiles.builders import buildings as builder

    monkeypatch.setattr(builder, "MAX_FEATURES", 12)
    monkeypatch.setattr(builder, "PARENT_FEATURES", 12)
