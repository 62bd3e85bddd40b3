"""Street trees as a city's inventory publishes them: GeoJSON points (EPSG:2154) with species, height, crown.

Plane trees on the boulevards of the centre and Juan-les-Pins, hackberries in the port, stone pines on the
Cap: every ~15 m on alternate sides of the vehicle streets, 5.5 m off their axis, never in a building.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Point

from jumeau.demo_city.buildings import Building
from jumeau.demo_city.streets import VEHICLE_NATURES, StreetNetwork

# species, (height m), (crown diameter m), (trunk height m, the crown's base)
SPECIES = {
    "centre": ("Platane", (12.0, 18.0), (8.0, 12.0), (3.0, 4.5)),
    "juan_les_pins": ("Platane", (12.0, 18.0), (8.0, 12.0), (3.0, 4.5)),
    "nord": ("Micocoulier", (8.0, 12.0), (5.0, 8.0), (2.5, 3.5)),
    "port": ("Micocoulier", (8.0, 12.0), (5.0, 8.0), (2.5, 3.5)),
    "cap": ("Pin parasol", (10.0, 15.0), (8.0, 12.0), (5.0, 8.0)),
}
SPACING_M = 15.0
SIDE_OFFSET_M = 5.5
MAX_TREES = 1500


def build_trees(streets: StreetNetwork, buildings: list[Building], seed: int) -> list[dict]:
    """GeoJSON features of the street trees, deterministic for a seed."""
    rng = np.random.default_rng(seed + 19)
    tree_index = shapely.STRtree([b.footprint.buffer(1.0) for b in buildings])
    features: list[dict] = []
    # Streets in a shuffled order: the cap then thins every quarter alike instead of filling the first one.
    for i in rng.permutation(len(streets.streets)):
        street = streets.streets[int(i)]
        species = SPECIES.get(street.quarter)
        if species is None or street.nature not in VEHICLE_NATURES or street.geom.length < 2 * SPACING_M:
            continue
        name, height_range, crown_range, trunk_range = species
        line = shapely.force_2d(street.geom)
        for k, along in enumerate(np.arange(SPACING_M / 2, line.length, SPACING_M)):
            a, b = line.interpolate(max(along - 1.0, 0.0)), line.interpolate(min(along + 1.0, line.length))
            dx, dy = b.x - a.x, b.y - a.y
            norm = float(np.hypot(dx, dy)) or 1.0
            side = 1.0 if k % 2 == 0 else -1.0
            at = line.interpolate(along)
            spot = Point(at.x - side * dy / norm * SIDE_OFFSET_M, at.y + side * dx / norm * SIDE_OFFSET_M)
            if len(tree_index.query(spot, predicate="intersects")):
                continue
            height = round(float(rng.uniform(*height_range)), 1)
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [round(spot.x, 2), round(spot.y, 2)]},
                    "properties": {
                        "idbase": len(features) + 1,
                        "libellefrancais": name,
                        "hauteur": height,
                        "diametre_couronne": round(float(rng.uniform(*crown_range)), 1),
                        "hauteur_fut": round(min(float(rng.uniform(*trunk_range)), height - 2.0), 1),
                    },
                }
            )
            if len(features) >= MAX_TREES:
                return features
    return features


def write_trees(streets: StreetNetwork, buildings: list[Building], path: Path, seed: int) -> Path:
    """trees.geojson in EPSG:2154, as the parks service's open-data export."""
    doc = {
        "type": "FeatureCollection",
        "name": "arbres",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
        "features": build_trees(streets, buildings, seed),
    }
    path.write_text(json.dumps(doc, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
