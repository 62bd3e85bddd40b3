"""Drinking water and sewer networks as RAEPA (COVADIS/CNIG) GeoPackages, laid under the streets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
from shapely import LineString, Point

from .extent import to_l93
from .streets import StreetNetwork
from .terrain import Terrain
from .vector_files import feature, write_gpkg_layer

# RAEPA code lists (CNIG RAEPA v1.2, as shipped in the val_raepa_* tables)
MATERIAU = {
    "fonte_ductile": "11",
    "fonte_grise": "12",
    "pehd": "18",
    "pvc": "27",
    "amiante": "02",
    "beton_arme": "04",
    "gres": "13",
    "pp": "21",
    "acier": "01",
}
QUALGLOC = {"A": "01", "B": "02", "C": "03"}
MOUVRAGE = "Communauté d'Agglomération Sophia Antipolis"
GEXPLOIT = "Régie des Eaux d'Antibes"

# Offsets from the street axis (m) so that water, sewer and gas do not share one trench line.
WATER_SHIFT = (1.2, 0.9)
SEWER_SHIFT = (-1.1, -1.0)

RESERVOIR_LONLAT = (7.1325, 43.5650)  # near the top of the Garoupe plateau, feeds by gravity
PLANT_LONLAT = (7.1262, 43.5915)  # wastewater plant by the Route du Bord de Mer, north of the port


@dataclass
class Tree:
    """A rooted tree of street edges: child node -> (parent node, edge data)."""

    root: tuple[float, float]
    parent: dict[tuple[float, float], tuple[float, float]]
    edge: dict[tuple[float, float], dict]


def _street_tree(streets: StreetNetwork, root_xy: tuple[float, float], max_edges: int, weight: str = "length") -> Tree:
    g = streets.vehicle_graph()
    main = max(nx.connected_components(g), key=lambda c: (len(c), min(c)))
    g = g.subgraph(main)
    root = streets.nearest_node(*root_xy, graph=g)
    paths = nx.single_source_dijkstra_path(g, root, weight=weight)
    dist = nx.single_source_dijkstra_path_length(g, root, weight=weight)
    parent: dict[tuple[float, float], tuple[float, float]] = {}
    for node, path in paths.items():
        if len(path) > 1:
            parent[node] = path[-2]
    # prune far leaves until the tree has the wanted size: the network covers the central streets
    order = sorted(parent, key=lambda n: (dist[n], n))[:max_edges]
    keep = set(order)
    parent = {n: parent[n] for n in order if parent[n] == root or parent[n] in keep}
    edge = {n: g.edges[n, p] for n, p in parent.items()}
    return Tree(root, parent, edge)


def _edge_line(streets_by_id: dict, data: dict, start: tuple[float, float]) -> LineString:
    line = streets_by_id[data["id"]].geom
    xy = np.asarray(line.coords)[:, :2]
    if tuple(xy[0]) != start:
        xy = xy[::-1]
    return LineString(xy)


def _shift(xy: np.ndarray, shift: tuple[float, float]) -> np.ndarray:
    return xy + np.array(shift)


def _downstream_counts(tree: Tree) -> dict[tuple[float, float], int]:
    children: dict[tuple[float, float], list] = {}
    for c, p in tree.parent.items():
        children.setdefault(p, []).append(c)
    count: dict[tuple[float, float], int] = {}

    def walk(n: tuple[float, float]) -> int:
        stack = [(n, False)]
        while stack:
            node, done = stack.pop()
            if done:
                count[node] = 1 + sum(count[c] for c in children.get(node, []))
            else:
                stack.append((node, True))
                stack.extend((c, False) for c in children.get(node, []))
        return count[n]

    walk(tree.root)
    return count


def write_water(streets: StreetNetwork, terrain: Terrain, path: Path, seed: int) -> Path:
    """water.gpkg: raepa_canalaep_l, raepa_apparaep_p, raepa_ouvraep_p (EPSG:2154, z NGF-IGN69)."""
    rng = np.random.default_rng(seed + 10)
    tree = _street_tree(streets, to_l93(*RESERVOIR_LONLAT), max_edges=420)
    by_id = {s.id: s for s in streets.streets}
    down = _downstream_counts(tree)
    node_id = {n: f"AEPN{k + 1:06d}" for k, n in enumerate(sorted({tree.root, *tree.parent}))}
    pipes, fittings = [], []
    for k, (child, par) in enumerate(sorted(tree.parent.items(), key=lambda kv: node_id[kv[0]])):
        line = _edge_line(by_id, tree.edge[child], par)
        xy = _shift(np.asarray(line.coords), WATER_SHIFT)
        served = down[child]
        diam = (
            300
            if served > 150
            else 250
            if served > 80
            else 200
            if served > 40
            else 150
            if served > 12
            else 100
            if served > 3
            else 80
        )
        year = int(rng.integers(1955, 2022))
        mat = (
            MATERIAU["fonte_grise"]
            if year < 1970
            else MATERIAU["amiante"]
            if year < 1980 and diam <= 150
            else MATERIAU["fonte_ductile"]
            if diam >= 150
            else MATERIAU["pehd"]
        )
        roll = rng.random()
        cover = round(float(rng.uniform(0.8, 1.4)), 2)
        if roll < 0.2:  # surveyed in class A: the altitude of the generatrix is on each vertex
            cls_xy, cls_z, profgen = "A", "A", cover
            z = terrain.heights_at(xy[:, 0], xy[:, 1]) - cover
            geom = LineString(np.column_stack([xy, np.round(z, 2)]))
        elif roll < 0.8:
            cls_xy, cls_z, profgen = ("B" if roll < 0.6 else "C"), "B", cover
            geom = LineString(xy)
        else:  # nothing known about the depth: an importer must estimate it
            cls_xy, cls_z, profgen = "C", "C", None
            geom = LineString(xy)
        pipes.append(
            feature(
                geom,
                {
                    "idcana": f"AEPC{k + 1:06d}",
                    "mouvrage": MOUVRAGE,
                    "gexploit": GEXPLOIT,
                    "enservice": "O",
                    "relprof": "01" if profgen is not None else "00",
                    "branchemnt": "N",
                    "materiau": mat,
                    "diametre": diam,
                    "andebpose": str(year),
                    "anfinpose": str(year),
                    "modecirc": "02",
                    "contcanaep": "02",
                    "fonccanaep": "01" if diam >= 250 else "02",
                    "profgen": profgen,
                    "qualglocxy": QUALGLOC[cls_xy],
                    "qualglocz": QUALGLOC[cls_z],
                    "datemaj": "2024-11-05",
                    "sourmaj": "Régie des Eaux d'Antibes",
                    "qualannee": "02",
                    "dategeoloc": "2023-06-12" if cls_xy == "A" else None,
                    "sourgeoloc": "Géomètre expert" if cls_xy == "A" else "Plans de récolement",
                    "sourattrib": "SIG régie",
                    "idnini": node_id[par],
                    "idnterm": node_id[child],
                    "idcanppale": None,
                    "longcana": round(line.length, 2),
                    "nbranche": int(rng.integers(0, 9)),
                },
            )
        )
    children = {}
    for c, p in tree.parent.items():
        children.setdefault(p, []).append(c)
    for n in sorted(node_id, key=node_id.get):
        if n == tree.root:
            continue
        deg = len(children.get(n, [])) + 1
        kind = "03" if deg >= 3 else "06" if rng.random() < 0.25 else "04" if deg == 1 else None
        if kind is None:
            continue
        x, y = _shift(np.array([n]), WATER_SHIFT)[0]
        ground = terrain.height_at(x, y)
        fittings.append(
            feature(
                Point(x, y, round(ground, 2)),
                {
                    "idappareil": f"AEPA{len(fittings) + 1:06d}",
                    "mouvrage": MOUVRAGE,
                    "gexploit": GEXPLOIT,
                    "fnappaep": kind,
                    "diametre": 100 if kind == "06" else None,
                    "anfinpose": str(int(rng.integers(1970, 2022))),
                    "idnoeud": node_id[n],
                    "z": round(ground, 2),
                    "qualglocxy": "02",
                    "qualglocz": "02",
                    "datemaj": "2024-11-05",
                    "sourmaj": "Régie des Eaux d'Antibes",
                    "idouvrage": None,
                },
            )
        )
    rx, ry = _shift(np.array([tree.root]), WATER_SHIFT)[0]
    works = [
        ("AEPO000001", "03", (rx, ry), "Réservoir de la Garoupe", 1962),
        ("AEPO000002", "01", to_l93(7.1080, 43.5900), "Station de pompage des Terriers", 1975),
        ("AEPO000003", "04", to_l93(7.1215, 43.5840), "Chambre de comptage Soleau", 1998),
    ]
    ouvrages = []
    for oid, kind, (x, y), name, year in works:
        ground = terrain.height_at(x, y)
        ouvrages.append(
            feature(
                Point(x, y, round(ground, 2)),
                {
                    "idouvrage": oid,
                    "nom": name,
                    "mouvrage": MOUVRAGE,
                    "gexploit": GEXPLOIT,
                    "fnouvaep": kind,
                    "anfinpose": str(year),
                    "z": round(ground, 2),
                    "idnoeud": node_id[tree.root] if kind == "03" else None,
                    "qualglocxy": "01",
                    "qualglocz": "01",
                    "datemaj": "2024-11-05",
                    "sourmaj": "Régie des Eaux d'Antibes",
                },
            )
        )
    path.unlink(missing_ok=True)
    write_gpkg_layer(path, "raepa_canalaep_l", pipes, None, z_optional=True)
    write_gpkg_layer(path, "raepa_apparaep_p", fittings, "POINT25D")
    write_gpkg_layer(path, "raepa_ouvraep_p", ouvrages, "POINT25D")
    return path


def write_sewer(streets: StreetNetwork, terrain: Terrain, path: Path, seed: int) -> Path:
    """sewer.gpkg: raepa_canalass_l (gravity, inverts falling downstream), raepa_apparass_p, raepa_ouvrass_p."""
    rng = np.random.default_rng(seed + 20)
    tree = _street_tree(streets, to_l93(*PLANT_LONLAT), max_edges=380)
    by_id = {s.id: s for s in streets.streets}
    children: dict[tuple[float, float], list] = {}
    for c, p in tree.parent.items():
        children.setdefault(p, []).append(c)
    ground = {n: terrain.height_at(*(np.array(n) + SEWER_SHIFT)) for n in {tree.root, *tree.parent}}
    # invert levels from the leaves down: never higher than cover allows, always falling downstream
    invert: dict[tuple[float, float], float] = {}
    pumped: set[tuple[float, float]] = set()
    post = list(nx.dfs_postorder_nodes(nx.DiGraph([(p, c) for c, p in tree.parent.items()]), tree.root))
    for n in post:
        cap = ground[n] - 1.6
        inflow = [invert[c] - 0.004 * tree.edge[c]["length"] - 0.03 for c in children.get(n, [])]
        z = min([cap] + inflow)
        if ground[n] - z > 5.5 and n != tree.root:
            pumped.add(n)  # too deep: a lift station sends the flow back up under pressure
            z = cap
        invert[n] = round(z, 3)
    node_id = {n: f"ASSN{k + 1:06d}" for k, n in enumerate(sorted(ground))}
    pipes = []
    for k, (child, par) in enumerate(sorted(tree.parent.items(), key=lambda kv: node_id[kv[0]])):
        line = _edge_line(by_id, tree.edge[child], child)  # digitised upstream -> downstream
        xy = _shift(np.asarray(line.coords), SEWER_SHIFT)
        zam = invert[child] if child not in pumped else round(ground[child] - 1.6, 3)
        zav = invert[par]
        if zav >= zam:
            zav = round(zam - 0.01, 3)
        typ = "03" if rng.random() < 0.35 else "02"
        diam = 400 if len(children.get(child, [])) > 2 else 300 if children.get(child) else 200
        year = int(rng.integers(1950, 2020))
        mat = MATERIAU["gres"] if year < 1975 else MATERIAU["beton_arme"] if diam >= 400 else MATERIAU["pvc"]
        cls = "A" if rng.random() < 0.3 else "B"
        geom = (
            LineString(np.column_stack([xy, np.linspace(zam, zav, len(xy)).round(3)])) if cls == "A" else LineString(xy)
        )
        pipes.append(
            feature(
                geom,
                {
                    "idcana": f"ASSC{k + 1:06d}",
                    "mouvrage": MOUVRAGE,
                    "gexploit": GEXPLOIT,
                    "enservice": "O",
                    "branchemnt": "N",
                    "materiau": mat,
                    "diametre": diam,
                    "andebpose": str(year),
                    "anfinpose": str(year),
                    "modecirc": "02" if child in pumped else "01",
                    "contcanass": typ,
                    "fonccanass": "01" if diam >= 400 else "02",
                    "typreseau": typ,
                    "sensecoul": "1",
                    "zamont": zam,
                    "zaval": zav,
                    "qualglocxy": QUALGLOC[cls],
                    "qualglocz": QUALGLOC[cls],
                    "datemaj": "2024-10-21",
                    "sourmaj": "Régie Assainissement",
                    "qualannee": "02",
                    "idnini": node_id[child],
                    "idnterm": node_id[par],
                    "longcana": round(line.length, 2),
                },
            )
        )
    regards, apps = [], []
    for n in sorted(ground, key=node_id.get):
        x, y = np.array(n) + SEWER_SHIFT
        kind = "02" if n == tree.root else "01" if n in pumped else "06"
        regards.append(
            feature(
                Point(x, y, round(ground[n], 2)),
                {
                    "idouvrage": f"ASSO{len(regards) + 1:06d}",
                    "idnoeud": node_id[n],
                    "mouvrage": MOUVRAGE,
                    "gexploit": GEXPLOIT,
                    "typreseau": "02",
                    "fnouvass": kind,
                    "nom": "Station d'épuration Antibes Bord de Mer" if kind == "02" else None,
                    "z": round(ground[n], 2),
                    "ztampon": round(ground[n], 2),
                    "zradier": invert[n],
                    "profradier": round(ground[n] - invert[n], 2),
                    "anfinpose": str(int(rng.integers(1950, 2020))),
                    "qualglocxy": "02",
                    "qualglocz": "01" if rng.random() < 0.5 else "02",
                    "datemaj": "2024-10-21",
                    "sourmaj": "Régie Assainissement",
                },
            )
        )
        if n in pumped:
            apps.append(
                feature(
                    Point(x + 2.0, y, round(invert[n], 2)),
                    {
                        "idappareil": f"ASSA{len(apps) + 1:06d}",
                        "idnoeud": node_id[n],
                        "fnappass": "03",
                        "mouvrage": MOUVRAGE,
                        "gexploit": GEXPLOIT,
                        "typreseau": "02",
                        "z": round(invert[n], 2),
                        "qualglocxy": "02",
                        "qualglocz": "02",
                        "datemaj": "2024-10-21",
                        "sourmaj": "Régie Assainissement",
                    },
                )
            )
    path.unlink(missing_ok=True)
    write_gpkg_layer(path, "raepa_canalass_l", pipes, None, z_optional=True)
    write_gpkg_layer(path, "raepa_apparass_p", apps, "POINT25D")
    write_gpkg_layer(path, "raepa_ouvrass_p", regards, "POINT25D")
    return path
