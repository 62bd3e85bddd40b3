"""Benchmark: gis_sync importing a 415 km RAEPA water network and 20,000 BD TOPO buildings into a throwaway
database (SpatiaLite, or PostGIS when DATABASE_URL is set); writes bench/results/sync.json."""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "sync.json"
X0, Y0, WIDTH, HEIGHT = 1030200.0, 6279200.0, 6000.0, 8000.0  # the city extent, Lambert-93 metres
NETWORK_KM = 415.0
ROWS = 70  # parallel mains
SEGMENTS_PER_ROW = 143  # 70 x 143 = 10,010 segments of about 41.5 m
BUILDINGS = 20_000


@contextmanager
def throwaway_database(tmp: Path):
    """Point Django at a database made for this run, and remove it after: never var/jumeau.sqlite3."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        os.environ["SPATIALITE_NAME"] = str(tmp / "bench.sqlite3")  # absolute: wins over VAR_DIR
        yield "SpatiaLite"
        return
    import psycopg

    parts = urlparse(url)
    name = f"jumeau_bench_{os.getpid()}"
    admin = urlunparse(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunparse(parts._replace(path=f"/{name}"))
    try:
        yield "PostGIS"
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_dem(path: Path) -> None:
    """A 10 m DEM of gentle hills over the city extent, NGF metres."""
    import numpy as np
    from django.contrib.gis.gdal import GDALRaster

    w, h = int(WIDTH / 10), int(HEIGHT / 10)
    yy, xx = np.mgrid[0:h, 0:w]
    z = 20.0 + 15.0 * np.sin(xx / 60.0) * np.cos(yy / 80.0) + yy * 0.01
    GDALRaster(
        {
            "driver": "GTiff",
            "name": str(path),
            "srid": 2154,
            "width": w,
            "height": h,
            "origin": [X0, Y0 + HEIGHT],
            "scale": [10.0, -10.0],
            "datatype": 6,
            "bands": [{"data": z.astype("float32").ravel().tolist(), "nodata_value": -9999.0}],
        }
    )


def write_water(path: Path) -> int:
    """RAEPA raepa_canalaep_l: rows of mains split into ~41.5 m pipes; half with invert levels, half with a
    cover depth (profgen)."""
    from jumeau.demo_city.vector_files import write_gpkg_layer

    run = NETWORK_KM * 1000.0 / ROWS
    step = run / SEGMENTS_PER_ROW
    feats = []
    for r in range(ROWS):
        y = Y0 + (r + 0.5) * HEIGHT / ROWS
        for s in range(SEGMENTS_PER_ROW):
            x = X0 + (WIDTH - run) / 2 + s * step
            n = r * SEGMENTS_PER_ROW + s
            props = {
                "idcana": f"AEPC{n:06d}",
                "gexploit": "Régie des Eaux",
                "enservice": "O",
                "materiau": "16" if n % 3 else "11",
                "diametre": 100 + 50 * (n % 4),
                "anfinpose": "1990",
                "qualglocxy": "02",
                "qualglocz": "02",
                "zamont": None,
                "zaval": None,
                "profgen": None,
            }
            if n % 2:
                props["zamont"], props["zaval"] = round(18.0 - s * 0.01, 2), round(18.0 - (s + 1) * 0.01, 2)
            else:
                props["profgen"] = 1.0 + (n % 5) * 0.1
            feats.append(
                {
                    "type": "Feature",
                    "properties": props,
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [
                            [round(x, 3), round(y, 3)],
                            [round(x + step / 2, 3), round(y + 0.3, 3)],
                            [round(x + step, 3), round(y, 3)],
                        ],
                    },
                }
            )
    write_gpkg_layer(path, "raepa_canalaep_l", feats, "LINESTRING")
    return len(feats)


def write_buildings(path: Path) -> int:
    """BD TOPO batiment: 20,000 footprints; a fifth without Z_MIN_SOL (ground from the terrain)."""
    from jumeau.demo_city.vector_files import write_gpkg_layer

    cols = 125
    dx, dy = WIDTH / cols, HEIGHT / (BUILDINGS // cols)
    feats = []
    for n in range(BUILDINGS):
        x, y = X0 + (n % cols) * dx + 5, Y0 + (n // cols) * dy + 5
        ring = [[x, y], [x + 14, y], [x + 14, y + 11], [x, y + 11], [x, y]]
        storeys = 1 + n % 6
        ground = None if n % 5 == 0 else 20.0
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "ID": f"BATIMENT{n:016d}",
                    "NATURE": "Indifférenciée",
                    "USAGE1": "Résidentiel",
                    "NB_ETAGES": storeys,
                    "HAUTEUR": storeys * 3.0,
                    "Z_MIN_SOL": ground,
                    "Z_MAX_TOIT": None if ground is None else ground + storeys * 3.0,
                    "DATE_APP": "1975-01-01",
                },
            }
        )
    write_gpkg_layer(path, "batiment", feats, "MULTIPOLYGON")
    return len(feats)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="jumeau-bench-sync-"))
    os.environ["JUMEAU_DATA_DIR"] = str(tmp / "data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumeau.settings")
    try:
        with throwaway_database(tmp) as engine:
            import django

            django.setup()
            from django.core.management import call_command

            from gis_sync.importer import import_path
            from twin.models import DepthObservation

            call_command("migrate", verbosity=0)
            t = time.perf_counter()
            write_dem(tmp / "dem.tif")
            n_pipes = write_water(tmp / "water.gpkg")
            n_buildings = write_buildings(tmp / "batiment.gpkg")
            print(
                f"generated {n_pipes} pipes and {n_buildings} buildings in {time.perf_counter() - t:.1f} s "
                f"({engine}, {tmp})"
            )
            import_path(tmp / "dem.tif", options={"source_key": "bench-dem"})
            rows = []
            for label, path, opts in (
                ("water network (RAEPA)", tmp / "water.gpkg", {"operator": "Régie des Eaux"}),
                ("buildings (BD TOPO)", tmp / "batiment.gpkg", {"kind": "buildings"}),
                ("water network, re-sync unchanged", tmp / "water.gpkg", {"operator": "Régie des Eaux"}),
                ("buildings, re-sync unchanged", tmp / "batiment.gpkg", {"kind": "buildings"}),
            ):
                t = time.perf_counter()
                run = import_path(path, options={**opts, "source_key": path.stem})
                seconds = time.perf_counter() - t
                count = run.created + run.updated + run.unchanged
                rows.append((label, count, seconds, run.summary()))
            observations = DepthObservation.objects.count()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    first = rows[:2]
    features = sum(r[1] for r in first)
    seconds = sum(r[2] for r in first)
    print(f"\ngis_sync import on {engine} — {platform.python_implementation()} {platform.python_version()}")
    print(f"{'source':36} {'features':>9} {'seconds':>8} {'features/s':>11}")
    for label, count, secs, _ in rows:
        print(f"{label:36} {count:9d} {secs:8.2f} {count / secs:11.0f}")
    print(f"{'total (first import)':36} {features:9d} {seconds:8.2f} {features / seconds:11.0f}")
    print(f"({observations} depth observations written with the pipes; {NETWORK_KM:.0f} km of mains)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "features": features,
                "seconds": round(seconds, 3),
                "features_per_s": round(features / seconds, 1),
                "database": engine,
                "network_segments": rows[0][1],
                "buildings": rows[1][1],
                "depth_observations": observations,
                "resync_unchanged_seconds": round(rows[2][2] + rows[3][2], 3),
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
