"""The street, footpath and stairs network (BD TOPO troncon_de_route), noded into one connected graph."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import shapely
from shapely import LineString, MultiLineString, STRtree
from shapely.affinity import rotate

from .coastline import Coastline
from .extent import lonlats_to_l93
from .terrain import Terrain
from .vector_files import feature, write_gpkg_layer

# (name, nature, importance, [(lon, lat)...]) traced from public maps of Antibes.
_NAMED: list[tuple[str, str, int, list[tuple[float, float]]]] = [
    ("Rue de la République", "Route à 1 chaussée", 3, [(7.1235, 43.5808), (7.1250, 43.5810), (7.1266, 43.5811)]),
    ("Cours Masséna", "Route à 1 chaussée", 4, [(7.1266, 43.5811), (7.1273, 43.5812), (7.1281, 43.5814)]),
    ("Rue Sade", "Route à 1 chaussée", 4, [(7.1262, 43.5824), (7.1265, 43.5816), (7.1270, 43.5800)]),
    ("Rue Aubernon", "Route à 1 chaussée", 4, [(7.1252, 43.5831), (7.1265, 43.5829), (7.1278, 43.5828)]),
    ("Boulevard d'Aguillon", "Route à 1 chaussée", 3, [(7.1251, 43.5843), (7.1268, 43.5840), (7.1282, 43.5835)]),
    ("Rue Thuret", "Route à 1 chaussée", 4, [(7.1260, 43.5840), (7.1262, 43.5824), (7.1268, 43.5796)]),
    ("Rue du Haut-Castelet", "Route à 1 chaussée", 5, [(7.1281, 43.5814), (7.1284, 43.5803), (7.1287, 43.5795)]),
    ("Rue du Bas-Castelet", "Route à 1 chaussée", 5, [(7.1287, 43.5795), (7.1291, 43.5787), (7.1293, 43.5779)]),
    ("Rue du Révely", "Route à 1 chaussée", 5, [(7.1278, 43.5828), (7.1286, 43.5822), (7.1294, 43.5816)]),
    ("Rue de la Tourraque", "Route à 1 chaussée", 5, [(7.1270, 43.5800), (7.1279, 43.5790), (7.1287, 43.5795)]),
    (
        "Promenade Amiral de Grasse",
        "Route à 1 chaussée",
        4,
        [(7.1282, 43.5835), (7.1292, 43.5826), (7.1297, 43.5808), (7.1295, 43.5790), (7.1289, 43.5777)],
    ),
    ("Chemin des Remparts", "Chemin", 5, [(7.1289, 43.5777), (7.1280, 43.5770), (7.1268, 43.5762)]),
    ("Avenue Robert Soleau", "Route à 2 chaussées", 2, [(7.1196, 43.5860), (7.1215, 43.5835), (7.1235, 43.5808)]),
    (
        "Avenue de Verdun",
        "Route à 1 chaussée",
        3,
        [
            (7.1235, 43.5808),
            (7.1240, 43.5828),
            (7.1251, 43.5843),
            (7.1252, 43.5858),
            (7.1264, 43.5870),
            (7.1282, 43.5878),
        ],
    ),
    ("Avenue du 11 Novembre", "Route à 1 chaussée", 3, [(7.1282, 43.5878), (7.1276, 43.5890), (7.1268, 43.5902)]),
    (
        "Route du Bord de Mer",
        "Route à 2 chaussées",
        2,
        [(7.1268, 43.5902), (7.1278, 43.5930), (7.1300, 43.5965), (7.1318, 43.6010), (7.1330, 43.6070)],
    ),
    ("Avenue de la Libération", "Route à 2 chaussées", 2, [(7.1196, 43.5860), (7.1230, 43.5880), (7.1268, 43.5902)]),
    (
        "Route de Grasse",
        "Route à 2 chaussées",
        2,
        [(7.1196, 43.5860), (7.1150, 43.5885), (7.1090, 43.5920), (7.1000, 43.5965), (7.0880, 43.6015)],
    ),
    ("Boulevard Dugommier", "Route à 1 chaussée", 3, [(7.1235, 43.5808), (7.1180, 43.5822), (7.1100, 43.5842)]),
    ("Boulevard Albert 1er", "Route à 2 chaussées", 3, [(7.1235, 43.5808), (7.1245, 43.5785), (7.1258, 43.5762)]),
    (
        "Boulevard James Wyllie",
        "Route à 1 chaussée",
        3,
        [(7.1258, 43.5762), (7.1266, 43.5752), (7.1264, 43.5733), (7.1280, 43.5718), (7.1320, 43.5703)],
    ),
    (
        "Boulevard de la Garoupe",
        "Route à 1 chaussée",
        3,
        [(7.1320, 43.5703), (7.1336, 43.5688), (7.1340, 43.5668), (7.1348, 43.5650)],
    ),
    (
        "Boulevard du Cap",
        "Route à 1 chaussée",
        2,
        [
            (7.1258, 43.5762),
            (7.1245, 43.5730),
            (7.1240, 43.5700),
            (7.1252, 43.5640),
            (7.1250, 43.5580),
            (7.1240, 43.5520),
            (7.1232, 43.5478),
        ],
    ),
    (
        "Boulevard John F. Kennedy",
        "Route à 1 chaussée",
        3,
        [(7.1232, 43.5478), (7.1268, 43.5468), (7.1320, 43.5475), (7.1360, 43.5500), (7.1378, 43.5540)],
    ),
    (
        "Chemin de la Garoupe",
        "Route à 1 chaussée",
        4,
        [(7.1252, 43.5640), (7.1290, 43.5638), (7.1322, 43.5637), (7.1348, 43.5650)],
    ),
    ("Chemin du Calvaire", "Escalier", 5, [(7.1320, 43.5703), (7.1318, 43.5680), (7.1325, 43.5655), (7.1322, 43.5637)]),
    (
        "Sentier du Littoral",
        "Sentier",
        5,
        [
            (7.1232, 43.5478),
            (7.1250, 43.5462),
            (7.1300, 43.5464),
            (7.1346, 43.5480),
            (7.1378, 43.5512),
            (7.1393, 43.5548),
            (7.1402, 43.5585),
            (7.1398, 43.5606),
            (7.1370, 43.5633),
            (7.1348, 43.5650),
        ],
    ),
    (
        "Chemin Raymond",
        "Route à 1 chaussée",
        4,
        [(7.1160, 43.5695), (7.1195, 43.5668), (7.1225, 43.5650), (7.1252, 43.5640)],
    ),
    (
        "Avenue Guy de Maupassant",
        "Route à 1 chaussée",
        3,
        [(7.1128, 43.5670), (7.1160, 43.5695), (7.1205, 43.5712), (7.1240, 43.5700)],
    ),
    (
        "Boulevard Édouard Baudoin",
        "Route à 1 chaussée",
        3,
        [(7.1165, 43.5648), (7.1128, 43.5670), (7.1070, 43.5676), (7.0980, 43.5681), (7.0880, 43.5685)],
    ),
    (
        "Boulevard du Président Wilson",
        "Route à 1 chaussée",
        3,
        [(7.1105, 43.5673), (7.1098, 43.5692), (7.1090, 43.5730), (7.1080, 43.5780)],
    ),
    ("Chemin des Sables", "Route à 1 chaussée", 3, [(7.1080, 43.5780), (7.1150, 43.5768), (7.1258, 43.5762)]),
    (
        "Avenue Jules Grec",
        "Route à 1 chaussée",
        3,
        [(7.1080, 43.5780), (7.1090, 43.5820), (7.1100, 43.5842), (7.1150, 43.5885)],
    ),
]

# Names given to the generated streets, per quarter (real Antibes names, placed loosely).
_NAMES = {
    "vieil_antibes": [
        "Rue de l'Horloge",
        "Rue du Saint-Esprit",
        "Rue des Arceaux",
        "Rue de la Blancherie",
        "Rue du Safranier",
        "Rue Rostan",
        "Rue James Close",
        "Rue Vauban",
        "Rue Georges Clemenceau",
        "Rue Lacan",
        "Rue Barnaud",
        "Rue de l'Orme",
        "Rue des Palmiers",
        "Rue Migranier",
        "Rue Fourmillière",
        "Rue Pasteur",
        "Rue des Revennes",
        "Rue du Bateau",
    ],
    "port": ["Quai des Pêcheurs", "Quai Henri Rambaud", "Avenue de la Tour", "Rue Alexandre Ier"],
    "fort_carre": ["Sentier du Fort Carré"],
    "centre": [
        "Avenue Pasteur",
        "Rue Fontvieille",
        "Avenue Philippe Rochat",
        "Boulevard Foch",
        "Avenue Gambetta",
        "Rue Jean Joannon",
        "Avenue Thiers",
        "Rue des Trois Moulins",
        "Boulevard Chancel",
        "Avenue Saint-Roch",
        "Avenue Pelletier",
        "Rue de Fersen",
    ],
    "nord": [
        "Chemin des Combes",
        "Avenue de Nice",
        "Chemin de la Constance",
        "Chemin de Saint-Maymes",
        "Avenue des Chênes",
        "Chemin des Terriers",
        "Avenue du Val Claret",
        "Chemin du Puy",
    ],
    "juan_les_pins": [
        "Avenue Docteur Fabre",
        "Boulevard Charles Guillaumont",
        "Avenue Alexandre III",
        "Avenue de l'Estérel",
        "Rue Dautheville",
        "Avenue Maréchal Joffre",
        "Avenue Louis Gallet",
        "Chemin des Âmes du Purgatoire",
    ],
    "cap": [
        "Chemin de la Mosquée",
        "Chemin des Nielles",
        "Boulevard de la Garoupe",
        "Chemin du Tamisier",
        "Avenue Mrs Lyle Thompson",
        "Chemin de l'Ermitage",
        "Avenue Beaumont",
        "Chemin de la Colle",
        "Boulevard Francis Meilland",
        "Chemin des Contrebandiers",
    ],
}
# (spacing m, grid angle degrees, nature, importance) of the generated streets per quarter
_GRID = {
    "vieil_antibes": (38.0, 8.0, "Route à 1 chaussée", 5),
    "port": (95.0, 35.0, "Route à 1 chaussée", 4),
    "fort_carre": (160.0, 20.0, "Sentier", 5),
    "centre": (125.0, 20.0, "Route à 1 chaussée", 4),
    "nord": (175.0, 28.0, "Route à 1 chaussée", 4),
    "juan_les_pins": (125.0, 12.0, "Route à 1 chaussée", 4),
    "cap": (210.0, -15.0, "Chemin", 4),
}
VEHICLE_NATURES = ("Route à 1 chaussée", "Route à 2 chaussées")


@dataclass
class Street:
    """One noded stretch between two intersections, EPSG:2154, z in metres NGF-IGN69."""

    id: str
    nature: str
    name: str
    importance: int
    quarter: str
    geom: LineString  # 3D


@dataclass
class StreetNetwork:
    """The noded network and its graph (nodes are exact (x, y) tuples)."""

    streets: list[Street]
    graph: nx.Graph = field(default_factory=nx.Graph)

    def vehicle_graph(self) -> nx.Graph:
        edges = [(u, v) for u, v, d in self.graph.edges(data=True) if d["nature"] in VEHICLE_NATURES]
        return self.graph.edge_subgraph(edges).copy()

    def nearest_node(self, x: float, y: float, graph: nx.Graph | None = None) -> tuple[float, float]:
        g = graph if graph is not None else self.graph
        nodes = np.array(list(g.nodes))
        i = int(np.argmin((nodes[:, 0] - x) ** 2 + (nodes[:, 1] - y) ** 2))
        return (float(nodes[i, 0]), float(nodes[i, 1]))


def _jittered_grid(
    quarter: shapely.Geometry, spacing: float, angle: float, rng: np.random.Generator
) -> list[LineString]:
    if quarter.is_empty:
        return []
    c = quarter.centroid
    local = rotate(quarter, -angle, origin=c)
    xmin, ymin, xmax, ymax = local.bounds
    lines: list[LineString] = []
    step = spacing / 2.0
    for horizontal in (True, False):
        lo, hi = (ymin, ymax) if horizontal else (xmin, xmax)
        a0, a1 = (xmin, xmax) if horizontal else (ymin, ymax)
        k = lo + spacing * rng.uniform(0.3, 0.7)
        while k < hi:
            n = max(2, int((a1 - a0) / step) + 2)
            along = np.linspace(a0 - step, a1 + step, n)
            wobble = rng.normal(0.0, spacing * 0.06, n).cumsum() * 0.5
            wobble -= wobble.mean()
            pts = [(a, k + w) if horizontal else (k + w, a) for a, w in zip(along, wobble)]
            lines.append(rotate(LineString(pts), angle, origin=c))
            k += spacing * rng.uniform(0.75, 1.25)
    return lines


def _node(lines: list[LineString]) -> list[LineString]:
    merged = shapely.unary_union(shapely.MultiLineString([list(line.coords) for line in lines]))
    parts = list(merged.geoms) if isinstance(merged, MultiLineString) else [merged]
    return [p for p in parts if p.length > 0.5]


def build_streets(coast: Coastline, terrain: Terrain, seed: int) -> StreetNetwork:
    """Named streets plus generated lanes, clipped to land, noded, connected and draped on the DEM."""
    rng = np.random.default_rng(seed + 1)
    walkable = coast.buildable.buffer(-6.0)
    sources: list[tuple[LineString, str, str, int, str]] = []  # geom, name, nature, importance, quarter
    for name, nature, importance, lonlats in _NAMED:
        line = LineString(lonlats_to_l93(lonlats))
        sources.append((line, name, nature, importance, ""))
    for quarter, (spacing, angle, nature, importance) in _GRID.items():
        zone = coast.quarters[quarter]
        names = _NAMES[quarter]
        for i, line in enumerate(_jittered_grid(zone, spacing, angle, rng)):
            sources.append((line.intersection(zone), names[i % len(names)], nature, importance, quarter))

    clipped: list[tuple[LineString, str, str, int, str]] = []
    for geom, *attrs in sources:
        piece = geom.intersection(walkable)
        for part in getattr(piece, "geoms", [piece]):
            if isinstance(part, LineString) and part.length > 5.0:
                clipped.append((part, *attrs))

    pieces = _connected(_node([c[0] for c in clipped]))
    tree = STRtree([c[0] for c in clipped])
    streets: list[Street] = []
    graph = nx.Graph()
    for piece in pieces:
        mid = piece.interpolate(0.5, normalized=True)
        hits = tree.query(mid, predicate="dwithin", distance=0.05)
        # the named street wins over a generated lane drawn at the same place
        src = clipped[min(hits)] if len(hits) else (piece, "Chemin piéton", "Chemin", 5, "")
        _, name, nature, importance, quarter = src
        quarter = quarter or coast.quarter_of(mid.x, mid.y)
        dense = shapely.segmentize(piece, 8.0)
        xy = np.asarray(dense.coords)
        z = np.round(terrain.heights_at(xy[:, 0], xy[:, 1]), 2)
        slope = abs(z[-1] - z[0]) / max(piece.length, 1.0)
        if nature == "Route à 1 chaussée" and importance == 5 and slope > 0.09:
            nature = "Escalier"  # the old town's steep lanes are stepped
        geom3d = LineString(np.column_stack([xy, z]))
        sid = f"TRONROUT{len(streets) + 1:016d}"
        street = Street(sid, nature, name, importance, quarter, geom3d)
        streets.append(street)
        a = (float(xy[0, 0]), float(xy[0, 1]))
        b = (float(xy[-1, 0]), float(xy[-1, 1]))
        graph.add_edge(a, b, id=sid, nature=nature, name=name, length=float(piece.length), importance=importance)
    return StreetNetwork(streets, graph)


def _connected(pieces: list[LineString]) -> list[LineString]:
    """Bridge small islands of lanes to the main graph with short paths, then keep one component."""
    for _ in range(2):
        g = nx.Graph()
        for p in pieces:
            g.add_edge(p.coords[0][:2], p.coords[-1][:2])
        comps = sorted(nx.connected_components(g), key=lambda c: (-len(c), min(c)))
        if len(comps) == 1:
            break
        main = np.array(sorted(comps[0]))
        bridges: list[LineString] = []
        for comp in comps[1:]:
            nodes = np.array(sorted(comp))
            d = ((nodes[:, None, :] - main[None, :, :]) ** 2).sum(axis=2)
            i, j = np.unravel_index(int(np.argmin(d)), d.shape)
            if math.sqrt(d[i, j]) < 120.0:
                bridges.append(LineString([nodes[i], main[j]]))
        if not bridges:
            break
        pieces = _node(pieces + bridges)
    g = nx.Graph()
    for k, p in enumerate(pieces):
        g.add_edge(p.coords[0][:2], p.coords[-1][:2], k=k)
    main = max(nx.connected_components(g), key=lambda c: (len(c), min(c)))
    keep = sorted(d["k"] for u, v, d in g.subgraph(main).edges(data=True))
    return [pieces[k] for k in keep]


def write_streets(network: StreetNetwork, path: Path) -> Path:
    """streets.gpkg, layer troncon_de_route: LineStringZ, EPSG:2154, z NGF-IGN69."""
    feats = []
    for s in network.streets:
        coords = list(s.geom.coords)
        feats.append(
            feature(
                s.geom,
                {
                    "ID": s.id,
                    "NATURE": s.nature,
                    "NOM_1_G": s.name,
                    "NOM_1_D": s.name,
                    "IMPORTANCE": str(s.importance),
                    "SENS": "Double sens",
                    "ACCES_PED": "Libre" if s.nature not in VEHICLE_NATURES else "A pied autorisé",
                    "LARGEUR": 2.0 if s.nature in ("Escalier", "Sentier") else (9.0 if s.importance <= 2 else 5.5),
                    "INSEECOM_G": "06004",
                    "INSEECOM_D": "06004",
                    "Z_INI": round(coords[0][2], 2),
                    "Z_FIN": round(coords[-1][2], 2),
                },
                ndigits=3,
            )
        )
    path.unlink(missing_ok=True)
    write_gpkg_layer(path, "troncon_de_route", feats, "LINESTRING25D")
    return path
