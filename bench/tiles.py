"""Benchmark: 20,000 buildings → 3D Tiles, ours against `py3dtiles export` on the same PostGIS table, in one run
(and ours alone on SpatiaLite). Throwaway databases only; writes bench/results/tiles.json.

    .venv/bin/python bench/tiles.py [--buildings 20000]

PostGIS: postgres@127.0.0.1:5432 (trust) unless BENCH_POSTGRES_URL says otherwise.

What is timed
- ours: read the table through Django (footprint WKB + columns), LOD1 extrusion, geoid-aware ECEF transform,
  quadtree, glb (EXT_mesh_features + EXT_structural_metadata) and tileset.json writing; two processes.
- py3dtiles: `py3dtiles export` on a table of closed solids already in EPSG:4978, as it requires. Making that
  table (ST_Extrude + ST_Transform in PostGIS) is timed too and printed, but not charged to py3dtiles' rate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "tiles.json"
X0, Y0, WIDTH, HEIGHT = 1030200.0, 6279200.0, 6000.0, 8000.0  # the city extent, Lambert-93 metres
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgis://postgres@127.0.0.1:5432/postgres")

# psycopg 3 dressed as the psycopg2 that `py3dtiles export` imports (py3dtiles[postgres] is not installed).
PSYCOPG2_SHIM = """
import sys, types, psycopg
shim = types.ModuleType("psycopg2")
shim.connect = lambda info: psycopg.connect(info)
shim.OperationalError = psycopg.OperationalError
shim.extensions = types.SimpleNamespace(connection=psycopg.Connection)
sys.modules["psycopg2"] = shim
from py3dtiles.command_line import main
sys.argv = ["py3dtiles"] + sys.argv[1:]
main()
"""


def buildings(n: int, seed: int = 7) -> list[tuple]:
    """n rectangular and L-shaped footprints on a jittered grid over the city, with heights; Lambert-93."""
    import numpy as np

    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n * WIDTH / HEIGHT)))
    rows = int(np.ceil(n / side))
    sx, sy = WIDTH / side, HEIGHT / rows
    out = []
    for i in range(n):
        cx = X0 + (i % side + 0.5) * sx + rng.uniform(-0.1, 0.1) * sx
        cy = Y0 + (i // side + 0.5) * sy + rng.uniform(-0.1, 0.1) * sy
        w, d = rng.uniform(0.15, 0.35) * sx, rng.uniform(0.15, 0.35) * sy
        if i % 4 == 0:  # an L
            ring = [(cx - w, cy - d), (cx + w, cy - d), (cx + w, cy), (cx, cy), (cx, cy + d), (cx - w, cy + d)]
        else:
            ring = [(cx - w, cy - d), (cx + w, cy - d), (cx + w, cy + d), (cx - w, cy + d)]
        ring.append(ring[0])
        wkt = "MULTIPOLYGON(((" + ",".join(f"{x:.2f} {y:.2f}" for x, y in ring) + ")))"
        ground = 5.0 + 30.0 * (cy - Y0) / HEIGHT
        storeys = int(rng.integers(1, 9))
        out.append((f"BATIMENT{i:010d}", wkt, round(ground, 2), round(ground + 3.0 * storeys + 1.0, 2), storeys))
    return out


# --- worker side: one process per database, Django configured for it -----------------------------------------


def insert_buildings(rows: Iterable[Sequence]) -> None:
    """Rows of `buildings` (source id, footprint WKT, ground z, roof z, storeys) as twin Buildings of source "bench",
    in the database Django is set up with. bench/jobs.py and tests/jobs load their city with it too."""
    from django.contrib.gis.geos import GEOSGeometry

    from twin.models import Building

    Building.objects.bulk_create(
        [
            Building(
                source_key="bench",
                source_id=sid,
                footprint=GEOSGeometry(wkt, srid=2154),
                ground_z=gz,
                roof_z=rz,
                storeys=st,
                use="Résidentiel",
                year=1970,
            )
            for sid, wkt, gz, rz, st in rows
        ],
        batch_size=2000,
    )


def load_city(n: int) -> None:
    """Migrate the database Django is set up with, then insert `n` generated buildings."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    insert_buildings(buildings(n))


def _ours(tiles_dir: Path) -> dict:
    from tiles.builders import buildings as builder
    from tiles.publish import LayerBuild
    from twin.geoid import city_frame

    frame = city_frame()
    frame.to_ecef([X0], [Y0], [0.0])  # load PROJ and the geoid grid outside the timing
    started = time.perf_counter()
    with LayerBuild(tiles_dir, "buildings") as build:
        stats = builder.build(build, frame, progress=lambda m: None)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "tiles": stats.tiles, "bytes": stats.bytes, "features": stats.features}


def _py3dtiles(database_url: str, out: Path) -> dict:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis_sfcgal")  # ST_Extrude
        cur.execute("DROP TABLE IF EXISTS bench_solids")
        cur.execute(
            "CREATE TABLE bench_solids AS SELECT id, ST_Transform(ST_SetSRID(ST_Extrude("
            "ST_Translate(ST_Force3D(ST_GeometryN(footprint, 1)), 0.0, 0.0, ground_z), 0.0, 0.0, roof_z - ground_z), "
            "2154), 4978) AS geom "
            "FROM twin_building"
        )
    prep = time.perf_counter() - started
    parts = urlparse(database_url)
    info = f"dbname={parts.path.lstrip('/')} host={parts.hostname} port={parts.port or 5432} user={parts.username}"
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PSYCOPG2_SHIM,
            "export",
            "-D",
            info,
            "-t",
            "bench_solids",
            "-c",
            "geom",
            "-i",
            "id",
            "-s",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"py3dtiles export failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    files = [p for p in out.rglob("*") if p.is_file()]
    return {
        "seconds": seconds,
        "prep_seconds": prep,
        "tiles": sum(1 for p in files if p.suffix == ".b3dm"),
        "bytes": sum(p.stat().st_size for p in files),
    }


def worker(kind: str, data: Path, result: Path, tmp: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    insert_buildings(json.loads(data.read_text()))
    out: dict = {"ours": _ours(tmp / "tiles")}
    if kind == "postgis":
        out["py3dtiles"] = _py3dtiles(os.environ["DATABASE_URL"], tmp / "py3dtiles")
    from django.db import connections

    connections.close_all()
    result.write_text(json.dumps(out))


# --- orchestrator -------------------------------------------------------------------------------------------


def _run_worker(kind: str, env: dict, data: Path, tmp: Path) -> dict:
    result = tmp / f"{kind}.json"
    work = tmp / kind
    work.mkdir()
    done = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--data", str(data), "--result", str(result), "--tmp", str(work)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=7200,
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(result.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=20_000)
    parser.add_argument("--worker", choices=["postgis", "spatialite"])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--result", type=Path)
    parser.add_argument("--tmp", type=Path)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.data, args.result, args.tmp)
        return

    import psycopg

    n = args.buildings
    tmp = Path(tempfile.mkdtemp(prefix="jumeau-bench-tiles-"))
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SPATIALITE_NAME")}
    base.update(DJANGO_SETTINGS_MODULE="jumeau.settings", LOG_LEVEL="WARNING", JUMEAU_TILES_DIR=str(tmp / "unused"))
    name = f"jumeau_bench_tiles_{os.getpid()}"
    parts = urlparse(POSTGRES)
    admin = urlunparse(parts._replace(scheme="postgresql", path="/postgres"))
    try:
        data = tmp / "buildings.json"
        data.write_text(json.dumps(buildings(n)))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        pg = _run_worker("postgis", dict(base, DATABASE_URL=urlunparse(parts._replace(path=f"/{name}"))), data, tmp)
        sl = _run_worker("spatialite", dict(base, SPATIALITE_NAME=str(tmp / "bench.sqlite3")), data, tmp)
    finally:
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    ours_pg = n / pg["ours"]["seconds"]
    theirs = n / pg["py3dtiles"]["seconds"]
    ours_sl = n / sl["ours"]["seconds"]
    rows = [
        ("ours (PostGIS)", pg["ours"]["seconds"], ours_pg, pg["ours"]["tiles"], pg["ours"]["bytes"]),
        (
            "py3dtiles export (PostGIS)",
            pg["py3dtiles"]["seconds"],
            theirs,
            pg["py3dtiles"]["tiles"],
            pg["py3dtiles"]["bytes"],
        ),
        ("ours (SpatiaLite)", sl["ours"]["seconds"], ours_sl, sl["ours"]["tiles"], sl["ours"]["bytes"]),
    ]
    print(
        f"{n} buildings → 3D Tiles, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    print(f"{'':<30} {'seconds':>8} {'buildings/s':>12} {'tiles':>6} {'MB':>7}")
    for label, seconds, rate, tiles, size in rows:
        print(f"{label:<30} {seconds:>8.2f} {rate:>12.0f} {tiles:>6} {size / 1e6:>7.1f}")
    print(
        f"py3dtiles' input table (ST_Extrude + ST_Transform to EPSG:4978 in PostGIS): "
        f"{pg['py3dtiles']['prep_seconds']:.2f} s, not charged to it"
    )
    print(f"ratio ours / py3dtiles on PostGIS: {ours_pg / theirs:.1f}×")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "buildings": n,
                "ours_per_s": round(ours_pg, 1),
                "py3dtiles_per_s": round(theirs, 1),
                "ratio": round(ours_pg / theirs, 2),
                "ours_spatialite_per_s": round(ours_sl, 1),
                "py3dtiles_prep_seconds": round(pg["py3dtiles"]["prep_seconds"], 2),
                "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
            },
            indent=1,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
