"""Antibes' land and sea: an approximate real coastline and the city's quarters, in EPSG:2154."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from shapely import LineString, Point, Polygon, box, unary_union
from shapely.geometry.base import BaseGeometry

from .extent import DEMO_EXTENT, lonlats_to_l93

# Traced by hand from public maps (lon, lat), clockwise from the north-west, beyond the extent
# so that the extent's edges are never mistaken for a coast.
_LAND_LONLAT = [
    (7.060, 43.625),
    (7.1385, 43.625),
    (7.1352, 43.6075),
    (7.1325, 43.5990),
    (7.1300, 43.5940),
    # Fort Carré's headland, then back along Port Vauban's north quays
    (7.1303, 43.5918),
    (7.1312, 43.5898),
    (7.1296, 43.5884),
    (7.1270, 43.5876),
    (7.1250, 43.5864),
    (7.1246, 43.5850),
    # west and south quays of the port, then the old town's rocky front (Promenade Amiral de Grasse)
    (7.1256, 43.5840),
    (7.1280, 43.5836),
    (7.1294, 43.5828),
    (7.1302, 43.5808),
    (7.1300, 43.5786),
    (7.1293, 43.5772),
    # the Anse de la Salis
    (7.1277, 43.5758),
    (7.1258, 43.5746),
    (7.1254, 43.5730),
    (7.1266, 43.5716),
    (7.1300, 43.5703),
    # Pointe Bacon, the Anse de la Garoupe, Pointe de la Garoupe
    (7.1342, 43.5692),
    (7.1352, 43.5672),
    (7.1340, 43.5652),
    (7.1360, 43.5640),
    (7.1398, 43.5630),
    (7.1428, 43.5612),
    (7.1418, 43.5585),
    # the Cap's eastern cliffs down to the southern tip (Pointe de l'Îlette, Eilenroc, Eden-Roc)
    (7.1402, 43.5545),
    (7.1385, 43.5505),
    (7.1350, 43.5470),
    (7.1300, 43.5452),
    (7.1250, 43.5447),
    (7.1200, 43.5440),
    (7.1168, 43.5462),
    # the west side: Olivette, Port Gallice, Juan-les-Pins' beaches, towards Golfe-Juan
    (7.1163, 43.5510),
    (7.1175, 43.5560),
    (7.1185, 43.5600),
    (7.1170, 43.5630),
    (7.1130, 43.5655),
    (7.1070, 43.5663),
    (7.0980, 43.5668),
    (7.0880, 43.5672),
    (7.0600, 43.5680),
]
# Port Vauban's outer breakwater, from the old town's north tip towards the Fort Carré side
_JETTY_LONLAT = [(7.1282, 43.5828), (7.1300, 43.5852), (7.1312, 43.5868)]

# Quarters (lon, lat): they drive the building typology and street density.
QUARTER_LONLAT: dict[str, list[tuple[float, float]]] = {
    "vieil_antibes": [(7.1238, 43.5842), (7.1300, 43.5842), (7.1308, 43.5775), (7.1270, 43.5768), (7.1238, 43.5790)],
    "port": [(7.1210, 43.5905), (7.1300, 43.5920), (7.1300, 43.5842), (7.1238, 43.5842), (7.1205, 43.5860)],
    "fort_carre": [(7.1230, 43.5955), (7.1330, 43.5960), (7.1315, 43.5880), (7.1230, 43.5890)],
    "centre": [
        (7.1050, 43.6000),
        (7.1230, 43.6000),
        (7.1238, 43.5842),
        (7.1238, 43.5790),
        (7.1270, 43.5768),
        (7.1250, 43.5740),
        (7.1130, 43.5720),
        (7.1050, 43.5760),
    ],
    "nord": [
        (7.0850, 43.6080),
        (7.1360, 43.6080),
        (7.1340, 43.5960),
        (7.1230, 43.5955),
        (7.1230, 43.6000),
        (7.1050, 43.6000),
        (7.0850, 43.5900),
    ],
    "juan_les_pins": [
        (7.0850, 43.5900),
        (7.1050, 43.5760),
        (7.1130, 43.5720),
        (7.1175, 43.5640),
        (7.1130, 43.5640),
        (7.0850, 43.5660),
    ],
    "cap": [
        (7.1130, 43.5720),
        (7.1250, 43.5740),
        (7.1360, 43.5700),
        (7.1450, 43.5600),
        (7.1400, 43.5420),
        (7.1150, 43.5420),
        (7.1150, 43.5640),
        (7.1175, 43.5640),
    ],
}


@dataclass(frozen=True)
class Coastline:
    """Land, sea and quarters of the demo city, all in EPSG:2154 metres."""

    @cached_property
    def land(self) -> Polygon:
        coast = Polygon(lonlats_to_l93(_LAND_LONLAT))
        jetty = LineString(lonlats_to_l93(_JETTY_LONLAT)).buffer(14.0, cap_style="flat")
        # a small smoothing buffer rounds the hand-traced corners like a real shore
        land = unary_union([coast, jetty]).buffer(25.0).buffer(-25.0)
        return land.intersection(box(*DEMO_EXTENT).buffer(500.0))

    @cached_property
    def buildable(self) -> BaseGeometry:
        """Land inside the DEM, so that every street and building has a terrain height under it."""
        return self.land.intersection(box(*DEMO_EXTENT).buffer(-20.0))

    @cached_property
    def sea(self) -> BaseGeometry:
        return box(*DEMO_EXTENT).difference(self.land)

    @cached_property
    def quarters(self) -> dict[str, BaseGeometry]:
        out: dict[str, BaseGeometry] = {}
        taken: BaseGeometry = Polygon()
        for name, ring in QUARTER_LONLAT.items():
            poly = Polygon(lonlats_to_l93(ring)).difference(taken)
            out[name] = poly.intersection(self.land)
            taken = taken.union(poly)
        return out

    def quarter_of(self, x: float, y: float) -> str:
        p = Point(x, y)
        for name, geom in self.quarters.items():
            if geom.contains(p):
                return name
        return "centre"
