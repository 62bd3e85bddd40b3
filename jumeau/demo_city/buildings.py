"""Building footprints in the IGN BD TOPO v3 `batiment` schema, placed along the streets by quarter."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely import Polygon, STRtree
from shapely.affinity import rotate, translate

from .coastline import Coastline
from .extent import to_l93
from .landmarks import LANDMARKS
from .streets import StreetNetwork
from .terrain import Terrain
from .vector_files import feature, write_gpkg_layer


@dataclass(frozen=True)
class Typology:
    """How a quarter builds: frontage, depth, setback from the axis (m), gap between lots (m), storeys."""

    frontage: tuple[float, float]
    depth: tuple[float, float]
    setback: float
    gap: tuple[float, float]
    storeys: tuple[int, int]
    years: tuple[int, int]
    walls: tuple[str, ...]  # BD TOPO MAT_MURS codes: 01 pierre, 03 béton, 04 briques, 05 agglomérés
    roofs: tuple[str, ...]  # MAT_TOITS: 01 tuiles, 04 béton
    usages: tuple[str, ...]
    irregular: float


_TYPES: dict[str, list[tuple[float, Typology]]] = {
    "vieil_antibes": [
        (
            1.0,
            Typology(
                (5, 11),
                (7, 13),
                3.0,
                (0.0, 0.4),
                (3, 5),
                (1550, 1890),
                ("01", "01", "12"),
                ("01",),
                ("Résidentiel",) * 4 + ("Commercial et services",),
                0.7,
            ),
        )
    ],
    "port": [
        (
            1.0,
            Typology(
                (14, 36),
                (12, 24),
                7.0,
                (4, 12),
                (2, 5),
                (1960, 2015),
                ("03", "05"),
                ("04", "03"),
                ("Commercial et services", "Industriel", "Résidentiel"),
                0.0,
            ),
        )
    ],
    "centre": [
        (
            0.75,
            Typology(
                (14, 30),
                (12, 18),
                6.5,
                (20, 40),
                (5, 10),
                (1950, 2015),
                ("03", "05"),
                ("04", "01"),
                ("Résidentiel",) * 3 + ("Commercial et services",),
                0.0,
            ),
        ),
        (
            0.25,
            Typology(
                (9, 14), (9, 12), 6.0, (4, 12), (2, 4), (1880, 1950), ("01", "12"), ("01",), ("Résidentiel",), 0.3
            ),
        ),
    ],
    "nord": [
        (
            0.6,
            Typology(
                (10, 15), (9, 13), 9.0, (35, 60), (1, 2), (1955, 2020), ("05", "03"), ("01",), ("Résidentiel",), 0.0
            ),
        ),
        (
            0.4,
            Typology((18, 34), (12, 16), 10.0, (45, 80), (5, 8), (1965, 2015), ("03",), ("04",), ("Résidentiel",), 0.0),
        ),
    ],
    "juan_les_pins": [
        (
            0.55,
            Typology(
                (14, 28),
                (12, 18),
                7.0,
                (18, 34),
                (4, 8),
                (1925, 2010),
                ("03", "05", "01"),
                ("04", "01"),
                ("Résidentiel",) * 3 + ("Commercial et services",),
                0.0,
            ),
        ),
        (
            0.45,
            Typology(
                (10, 15), (9, 13), 8.0, (30, 55), (1, 2), (1900, 2005), ("01", "05"), ("01",), ("Résidentiel",), 0.2
            ),
        ),
    ],
    "cap": [
        (
            1.0,
            Typology(
                (13, 24),
                (11, 18),
                14.0,
                (40, 80),
                (1, 2),
                (1880, 2020),
                ("01", "05", "03"),
                ("01",),
                ("Résidentiel",),
                0.1,
            ),
        )
    ],
    "fort_carre": [],
}


@dataclass
class Building:
    """One BD TOPO building, footprint in EPSG:2154, altitudes in metres NGF-IGN69."""

    footprint: Polygon
    nature: str
    usage: str
    storeys: int
    height: float
    year: int
    walls: str
    roofs: str
    dwellings: int | None


def _rect(cx: float, cy: float, w: float, d: float, angle_deg: float) -> Polygon:
    poly = Polygon([(-w / 2, -d / 2), (w / 2, -d / 2), (w / 2, d / 2), (-w / 2, d / 2)])
    return translate(rotate(poly, angle_deg, origin=(0, 0)), cx, cy)


def _pick(rng: np.random.Generator, options: list[tuple[float, Typology]]) -> Typology:
    weights = np.array([w for w, _ in options])
    return options[int(rng.choice(len(options), p=weights / weights.sum()))][1]


def _landmark_buildings() -> list[Building]:
    out = []
    for lm in LANDMARKS:
        if lm.building is None:
            continue
        w, d, storeys, height, nature, usage = lm.building
        x, y = to_l93(lm.lon, lm.lat)
        if nature.startswith("Fort") and w > 50:
            # the Fort Carré: a square keep with four arrow-head bastions
            core = _rect(x, y, w * 0.55, d * 0.55, 45)
            star = [core] + [
                _rect(x + math.cos(a) * w * 0.33, y + math.sin(a) * w * 0.33, 16, 16, 45)
                for a in np.radians([0, 90, 180, 270])
            ]
            fp = shapely.unary_union(star)
        else:
            fp = _rect(x, y, w, d, 20.0)
        out.append(Building(fp, nature, usage, storeys, height, 1600, "01", "01", None))
    return out


def build_buildings(coast: Coastline, terrain: Terrain, streets: StreetNetwork, seed: int) -> list[Building]:
    """Lots along both sides of each street, kept off the streets, the sea and each other."""
    rng = np.random.default_rng(seed + 2)
    cands: list[tuple[Polygon, Typology]] = []
    for street in streets.streets:
        if street.nature in ("Sentier", "Escalier"):
            continue
        options = _TYPES.get(street.quarter) or []
        if not options:
            continue
        line = shapely.force_2d(street.geom)
        length = line.length
        for side in (-1.0, 1.0):
            s = rng.uniform(0.0, 4.0)
            while s < length:
                t = _pick(rng, options)
                w = rng.uniform(*t.frontage)
                d = rng.uniform(*t.depth)
                mid = s + w / 2
                if mid > length - 2.0:
                    break
                p = line.interpolate(mid)
                q = line.interpolate(min(mid + 1.0, length))
                o = line.interpolate(max(mid - 1.0, 0.0))
                ang = math.atan2(q.y - o.y, q.x - o.x)
                nx_, ny_ = -math.sin(ang) * side, math.cos(ang) * side
                off = t.setback + d / 2
                poly = _rect(p.x + nx_ * off, p.y + ny_ * off, w, d, math.degrees(ang))
                if t.irregular:
                    xy = np.asarray(poly.exterior.coords)[:-1]
                    xy += rng.uniform(-t.irregular, t.irregular, xy.shape)
                    poly = Polygon(xy)
                cands.append((poly, t))
                s += w + rng.uniform(*t.gap)

    polys = np.array([c[0] for c in cands], dtype=object)
    inland = coast.buildable.buffer(-3.0)
    shapely.prepare(inland)
    ok = shapely.contains(inland, polys) & shapely.is_valid(polys)
    # keep lots off every street axis (lanes 2.5 m, streets 4.5 m, main roads 6 m)
    lines = [shapely.force_2d(s.geom) for s in streets.streets]
    half = np.array([2.5 if s.importance >= 5 or s.nature != "Route à 1 chaussée" else 4.5 for s in streets.streets])
    half[[s.importance <= 2 for s in streets.streets]] = 6.0
    tree = STRtree(lines)
    for dist in (2.5, 4.5, 6.0):
        cand_idx, line_idx = tree.query(polys, predicate="dwithin", distance=dist)
        hit = half[line_idx] >= dist - 1e-6
        ok[cand_idx[hit]] = False

    fixed = []
    for b in _landmark_buildings():
        # a bastion or a fort on the shore keeps only what stands on dry land in this coastline
        fp = b.footprint.intersection(coast.land.buffer(-6.0))
        if fp.is_empty:
            continue
        b.footprint = max(getattr(fp, "geoms", [fp]), key=lambda g: g.area)
        fixed.append(b)
    accepted: list[Polygon] = [b.footprint for b in fixed]
    out: list[Building] = list(fixed)
    occupied = STRtree(accepted)
    inner = shapely.buffer(polys, -0.25)
    fixed_hits = set(occupied.query(inner, predicate="intersects")[0].tolist())
    pairs = STRtree(inner).query(inner, predicate="intersects")
    neighbours: dict[int, list[int]] = {}
    for a, b in zip(*pairs):
        if a != b:
            neighbours.setdefault(int(a), []).append(int(b))
    taken = np.zeros(len(polys), dtype=bool)
    for i in np.flatnonzero(ok):
        if i in fixed_hits or any(taken[j] for j in neighbours.get(int(i), [])):
            continue
        taken[i] = True
    for i in np.flatnonzero(taken):
        poly, t = cands[i]
        xy = np.asarray(poly.exterior.coords)
        if terrain.heights_at(xy[:, 0], xy[:, 1]).min() < 0.3:
            continue
        storeys = int(rng.integers(t.storeys[0], t.storeys[1] + 1))
        usage = str(rng.choice(t.usages))
        height = storeys * (3.2 if t.years[1] <= 1900 else 2.9) + rng.uniform(0.3, 1.2)
        dwellings = None if usage != "Résidentiel" else max(1, int(poly.area * storeys / 70.0))
        out.append(
            Building(
                poly,
                "Indifférenciée",
                usage,
                storeys,
                round(height, 1),
                int(rng.integers(t.years[0], t.years[1] + 1)),
                str(rng.choice(t.walls)),
                str(rng.choice(t.roofs)),
                dwellings,
            )
        )
    return out


def write_buildings(buildings: list[Building], terrain: Terrain, path: Path, seed: int) -> Path:
    """buildings.gpkg, layer batiment: 2D MultiPolygon EPSG:2154, BD TOPO v3 attributes."""
    rng = np.random.default_rng(seed + 3)
    feats = []
    for k, b in enumerate(buildings):
        xy = np.asarray(b.footprint.exterior.coords)
        ground = terrain.heights_at(xy[:, 0], xy[:, 1])
        zmin, zmax = float(ground.min()), float(ground.max())
        roof = 0.0 if b.roofs == "04" else min(2.5, 0.12 * math.sqrt(b.footprint.area))
        feats.append(
            feature(
                shapely.MultiPolygon([b.footprint]),
                {
                    "ID": f"BATIMENT0000000{312000000 + k * 7 + int(rng.integers(0, 7)):09d}",
                    "NATURE": b.nature,
                    "USAGE1": b.usage,
                    "USAGE2": None,
                    "CONSTRUCT": "Non",
                    "NB_LOGTS": b.dwellings,
                    "NB_ETAGES": b.storeys,
                    "MAT_MURS": b.walls,
                    "MAT_TOITS": b.roofs,
                    "HAUTEUR": b.height,
                    "Z_MIN_SOL": round(zmin, 1),
                    "Z_MAX_SOL": round(zmax, 1),
                    "Z_MIN_TOIT": round(zmin + b.height, 1),
                    "Z_MAX_TOIT": round(zmin + b.height + roof, 1),
                    "ORIGIN_BAT": "Cadastre",
                    "APP_FF": 0.9 if b.usage == "Résidentiel" else None,
                    "DATE_CREAT": "2012-03-21",
                    "DATE_MAJ": "2024-06-14",
                    "DATE_APP": f"{b.year:04d}-01-01",
                    "DATE_CONF": None,
                    "SOURCE": "BDTOPO",
                    "PREC_PLANI": 2.5,
                    "PREC_ALTI": 1.5,
                },
                ndigits=2,
            )
        )
    path.unlink(missing_ok=True)
    write_gpkg_layer(path, "batiment", feats, "MULTIPOLYGON")
    return path
