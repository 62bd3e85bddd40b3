"""The demo city generator writes real-format files that the real tools open and that agree with each other."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import networkx as nx
import numpy as np
import pygltflib
import pytest
import shapely
from django.contrib.gis.gdal import GDALRaster
from shapely import wkb

from jumeau.demo_city import DEMO_EXTENT, DEMO_SRID, generate
from jumeau.demo_city.gtfs import public_holidays, service_years
from realtime.feed_clock import DepartureClock
from realtime.gtfs_feed import read_feed
from tests.conftest import SHARED_DATA

STAR_DT = SHARED_DATA / "star-dt"


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> dict[str, Path]:
    return generate(tmp_path_factory.mktemp("demo"), seed=42)


def _ogr_layers(path: Path) -> dict[str, tuple[str, int]]:
    out = subprocess.run(["ogrinfo", "-so", "-al", str(path)], check=True, capture_output=True, text=True).stdout
    layers = {}
    for block in out.split("Layer name: ")[1:]:
        name = block.splitlines()[0].strip()
        geom = re.search(r"Geometry: (.+)", block).group(1)
        count = int(re.search(r"Feature Count: (\d+)", block).group(1))
        assert 'ID["EPSG",2154]' in block
        layers[name] = (geom, count)
    return layers


def _geoms(path: Path, layer: str) -> list[shapely.Geometry]:
    import sqlite3

    with sqlite3.connect(path) as db:
        blobs = [row[0] for row in db.execute(f'SELECT geom FROM "{layer}" ORDER BY fid')]
    out = []
    for b in blobs:
        flags = b[3]
        env = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 7]
        out.append(wkb.loads(bytes(b[8 + env :])))
    return out


def _gpkg_rows(path: Path, layer: str) -> list[dict]:
    import sqlite3

    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(f'SELECT * FROM "{layer}" ORDER BY fid')]


def _rowcol(raster: GDALRaster, x, y):
    """Row and column of the cell holding EPSG:2154 (x, y)."""
    (ox, oy), (sx, sy) = raster.origin, raster.scale
    return (np.floor((np.asarray(y) - oy) / sy).astype(int), np.floor((np.asarray(x) - ox) / sx).astype(int))


def test_it_writes_every_file(city):
    for key in (
        "terrain",
        "buildings",
        "streets",
        "water",
        "sewer",
        "gas",
        "gtfs",
        "landmarks",
        "circuits",
        "trees",
        "project",
        "project_variant_a",
        "project_variant_b",
        "draft_project",
        "draft_variant",
    ):
        assert city[key].exists() and city[key].stat().st_size > 0, key


def test_the_dem_is_lambert93_with_a_sea_below_zero(city):
    src = GDALRaster(str(city["terrain"]))
    assert src.srs.srid == DEMO_SRID
    assert tuple(src.scale) == (5.0, -5.0)
    band = src.bands[0]
    assert band.nodata_value is not None
    assert src.metadata["DEFAULT"]["VERTICAL_CRS"] == "EPSG:5720"
    assert tuple(round(v) for v in src.extent) == DEMO_EXTENT
    assert src.metadata["IMAGE_STRUCTURE"]["COMPRESSION"] == "DEFLATE"
    z = band.data()
    sea = z < 0
    assert 0.3 < sea.mean() < 0.8
    assert -70 < z.min() < -1 and 70 < z.max() < 140
    # the Garoupe plateau carries the lighthouse at 75-80 m
    row, col = _rowcol(src, 1033882.6, 6282644.1)
    assert 70 < z[row, col] < 85
    # the north-east corner is the Baie des Anges, the south-west the Golfe-Juan side
    assert z[5, -5] < 0 and z[-5, 5] < 0


def test_buildings_follow_bd_topo_and_stand_on_land(city):
    layers = _ogr_layers(city["buildings"])
    geom, count = layers["batiment"]
    assert geom == "Multi Polygon"
    assert 5000 <= count <= 9000
    rows = _gpkg_rows(city["buildings"], "batiment")
    for field in (
        "ID",
        "NATURE",
        "USAGE1",
        "NB_LOGTS",
        "NB_ETAGES",
        "HAUTEUR",
        "Z_MIN_SOL",
        "Z_MAX_TOIT",
        "DATE_APP",
        "MAT_MURS",
    ):
        assert field in rows[0]
    assert all(re.fullmatch(r"BATIMENT\d{16}", r["ID"]) for r in rows)
    assert len({r["ID"] for r in rows}) == len(rows)
    src = GDALRaster(str(city["terrain"]))
    z = src.bands[0].data()
    cents = np.array([(g.centroid.x, g.centroid.y) for g in _geoms(city["buildings"], "batiment")])
    rr, cc = _rowcol(src, cents[:, 0], cents[:, 1])
    assert (z[rr, cc] > 0).all()
    zmin = np.array([r["Z_MIN_SOL"] for r in rows])
    assert (zmin > 0).all()
    assert all(r["Z_MAX_TOIT"] > r["Z_MIN_SOL"] for r in rows)
    storeys = [r["NB_ETAGES"] for r in rows]
    assert min(storeys) == 1 and max(storeys) >= 9


def test_the_street_graph_is_connected_and_3d(city):
    geom, count = _ogr_layers(city["streets"])["troncon_de_route"]
    assert geom == "3D Line String" and count > 1000
    rows = _gpkg_rows(city["streets"], "troncon_de_route")
    natures = {r["NATURE"] for r in rows}
    assert {"Route à 1 chaussée", "Chemin", "Escalier", "Sentier"} <= natures
    names = {r["NOM_1_G"] for r in rows}
    assert {"Sentier du Littoral", "Rue du Bas-Castelet", "Promenade Amiral de Grasse"} <= names
    g = nx.Graph()
    for line in _geoms(city["streets"], "troncon_de_route"):
        c = line.coords
        assert line.has_z
        g.add_edge(c[0], c[-1])  # 3D nodes: shared exactly, z included
    assert nx.is_connected(g)


def test_raepa_networks(city):
    water = _ogr_layers(city["water"])
    assert set(water) == {"raepa_canalaep_l", "raepa_apparaep_p", "raepa_ouvraep_p"}
    assert 200 <= water["raepa_canalaep_l"][1] <= 600
    pipes = _gpkg_rows(city["water"], "raepa_canalaep_l")
    geoms = _geoms(city["water"], "raepa_canalaep_l")
    assert {p["materiau"] for p in pipes} <= {"00", "01", "02", "11", "12", "18", "27"}
    assert {p["qualglocz"] for p in pipes} == {"01", "02", "03"}
    surveyed = [g for g, p in zip(geoms, pipes) if p["qualglocz"] == "01"]
    assert surveyed and all(g.has_z for g in surveyed)
    assert all(not g.has_z for g, p in zip(geoms, pipes) if p["qualglocz"] != "01")
    assert any(p["profgen"] is None for p in pipes) and max(p["diametre"] for p in pipes) >= 250
    sewer = _ogr_layers(city["sewer"])
    assert set(sewer) == {"raepa_canalass_l", "raepa_apparass_p", "raepa_ouvrass_p"}
    for p in _gpkg_rows(city["sewer"], "raepa_canalass_l"):
        assert p["zamont"] > p["zaval"]
        assert p["typreseau"] in ("01", "02", "03")
    kinds = {r["fnouvass"] for r in _gpkg_rows(city["sewer"], "raepa_ouvrass_p")}
    assert {"02", "06"} <= kinds


def test_gas_validates_against_stardt_xsd(city):
    # The importer's own offline schema check (StaRDT.xsd with local GML copies), on the official sample and the demo.
    from gis_sync import xml_schema

    for gml in (STAR_DT / "GRDF.gml", city["gas"]):
        check = xml_schema.validate(gml)
        assert check.valid and not check.skipped, (gml.name, check.violations[:3], check.skipped)
    text = city["gas"].read_text(encoding="utf-8")
    assert 200 <= text.count("<star-dt:CanalisationHydrocarbureChimique ") <= 600
    assert text.count("<star-dt:PointLeveOuvrageReseau ") > 50


def test_gtfs_feed(city):
    with zipfile.ZipFile(city["gtfs"]) as zf:

        def rows(name):
            return list(csv.DictReader(io.TextIOWrapper(zf.open(name), encoding="utf-8")))

        assert rows("agency.txt")[0]["agency_timezone"] == "Europe/Paris"
        routes = rows("routes.txt")
        assert len(routes) == 7
        assert any("Navette" in r["route_short_name"] for r in routes)
        assert any("Noctambus" in r["route_short_name"] for r in routes)
        stop_ids = {s["stop_id"] for s in rows("stops.txt")}
        times = rows("stop_times.txt")
        assert {t["stop_id"] for t in times} <= stop_ids
        assert max(t["departure_time"] for t in times) >= "24:00:00"
        assert rows("frequencies.txt") and rows("calendar_dates.txt") and rows("shapes.txt")
        for s in rows("stops.txt"):
            assert 43.53 < float(s["stop_lat"]) < 43.61 and 7.08 < float(s["stop_lon"]) < 7.16


def test_a_bus_is_on_the_road_at_every_hour_of_today_and_of_a_holiday(city):
    """Whoever opens the demo, at 3 a.m. or on 14 July, sees a bus move: the night line covers the hours the day lines
    do not, and the calendar runs around the day the city was generated, not up to a fixed date."""
    feed = read_feed(city["gtfs"])
    today = date.today()
    first, last = service_years(today)
    assert first <= today - timedelta(days=300) and today + timedelta(days=700) <= last
    clock = DepartureClock(feed)
    paris = ZoneInfo("Europe/Paris")
    bastille = date(today.year, 7, 14)
    for day in (today, bastille, bastille + timedelta(days=(5 - bastille.weekday()) % 7)):
        start = datetime.combine(day, time(0, 0), paris)
        empty = [
            f"{at:%Y-%m-%d %H:%M}"
            for at in (start + timedelta(minutes=m) for m in range(0, 24 * 60, 5))
            if not clock.positions_at(at)
        ]
        assert not empty, f"no bus on the road at {empty[:5]}"
    # A weekday holiday runs the weekend timetable: its day-line trips are the weekend's.
    holiday = next(d for d in public_holidays(first, last) if d.weekday() < 5 and d > today)
    noon = datetime.combine(holiday, time(12, 0), paris)
    assert {p.trip_id.split("_")[1] for p in clock.positions_at(noon)} == {"WEEKEND"}


def test_a_demo_whose_timetable_ended_is_generated_again(city, tmp_path):
    """A demo generated long ago must not come back without buses: its manifest says when the timetable ends, and
    make demo generates the city again (same seed, same city) once that day has passed."""
    from jumeau.demo_loader import ensure_files

    manifest = tmp_path / "MANIFEST.json"
    files = {k: str(v) for k, v in city.items()}
    manifest.write_text(json.dumps({"seed": 42, "service_until": date.today().isoformat(), "files": files}))
    said: list[str] = []
    assert ensure_files(tmp_path, 42, said.append) == city and said == []
    ended = (date.today() - timedelta(days=1)).isoformat()
    manifest.write_text(json.dumps({"seed": 42, "service_until": ended, "files": files}))
    again = ensure_files(tmp_path, 42, said.append)
    assert said[0] == f"The demo timetable ended ({ended}): generating the city again"
    assert again["gtfs"] == tmp_path / "gtfs.zip" and again["buildings"].parent == tmp_path
    until = date.fromisoformat(json.loads(manifest.read_text())["service_until"])
    assert until == service_years(date.today())[1]
    with zipfile.ZipFile(again["gtfs"]) as zf:
        [row] = [r for r in csv.DictReader(io.TextIOWrapper(zf.open("feed_info.txt"), encoding="utf-8"))]
    assert row["feed_end_date"] == f"{until:%Y%m%d}"
    # A hand-edited manifest whose date is not a date is treated as ended, not a stack trace.
    manifest.write_text(json.dumps({"seed": 42, "service_until": "bientôt", "files": files}))
    said.clear()
    ensure_files(tmp_path, 42, said.append)
    assert said[0] == "The demo timetable ended (bientôt): generating the city again"


def test_landmarks_and_circuits(city):
    data = json.loads(city["landmarks"].read_text(encoding="utf-8"))
    assert "crs" not in data  # RFC 7946: WGS84 implied
    names = {f["properties"]["name"] for f in data["features"]}
    assert "Phare de la Garoupe" in names and "Fort Carré" in names
    for f in data["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert 7.08 < lon < 7.16 and 43.53 < lat < 43.61
    circuits = json.loads(city["circuits"].read_text(encoding="utf-8"))["circuits"]
    assert 2 <= len(circuits) <= 3
    assert all(s["landmark"] in names for c in circuits for s in c["stops"])


def test_project_variants_are_gltf_placed_near_the_port(city):
    meta = json.loads(city["project"].read_text(encoding="utf-8"))
    assert meta["status"] == "consultation"
    heights = {}
    for v in meta["variants"]:
        gltf = pygltflib.GLTF2().load(str(city["project"].parent / v["file"]))
        assert gltf.asset.version == "2.0" and gltf.meshes
        ys = [a.max[1] for a in gltf.accessors if a.type == "VEC3" and a.max]
        heights[v["id"]] = max(ys)
        x, y = v["placement"]["origin"]
        assert DEMO_EXTENT[0] < x < DEMO_EXTENT[2] and DEMO_EXTENT[1] < y < DEMO_EXTENT[3]
        assert v["placement"]["elevation"] > 0
    assert heights["variant_a"] > 40 > heights["variant_b"]


def test_the_demo_holds_a_draft_that_planners_see_and_citizens_never(city, db, settings, tmp_path, citizen, planner):
    """The draft's source imports as a draft project: listed for a planner, absent (404, no layer) for a citizen."""
    from gis_sync.importer import import_path
    from jumeau.demo_loader import demo_sources

    settings.JUMEAU_DATA_DIR = tmp_path
    [draft] = [s for s in demo_sources(city) if s["key"].startswith("demo-draft-")]
    import_path(draft["location"], format=draft["format"], options=draft["options"])
    slug = "ilot-fersen"
    [project] = planner.get("/api/projects/").json()["results"]
    assert (project["slug"], project["status"], project["accepts_comments"]) == (slug, "draft", False)
    assert project["variants"][0]["storeys"] >= 5
    assert citizen.get("/api/projects/").json()["results"] == []
    assert citizen.get(f"/api/projects/{slug}/").status_code == 404
    assert citizen.get(f"/api/projects/{slug}/comments/").status_code == 404


def test_the_same_seed_gives_the_same_city(city, tmp_path):
    again = generate(tmp_path / "again", seed=42)
    for key in ("terrain", "gas", "gtfs", "landmarks", "circuits", "trees", "project_variant_a", "project"):
        assert city[key].read_bytes() == again[key].read_bytes(), key
    for key, layer in (
        ("buildings", "batiment"),
        ("streets", "troncon_de_route"),
        ("water", "raepa_canalaep_l"),
        ("sewer", "raepa_canalass_l"),
    ):
        assert _gpkg_rows(city[key], layer) == _gpkg_rows(again[key], layer), key


def test_the_gas_delivery_imports_every_member(city, db):
    """The importer reads the demo's StaR-DT member by member while lxml parses ahead: none may be lost (a reader
    that cleared the whole root after each member lost 12 of its 399 points and refused the file)."""
    from gis_sync.importer import import_path
    from twin.models import NetworkSegment

    text = city["gas"].read_text(encoding="utf-8")
    run = import_path(city["gas"], options={"operator": "GRDF"})
    points = text.count("<star-dt:PointLeveOuvrageReseau ")
    pipes = text.count("<star-dt:CanalisationHydrocarbureChimique ")
    assert run.status == run.Status.SUCCESS and run.rejected == 0
    assert run.report["imported"] == {"CanalisationHydrocarbureChimique": pipes, "PointLeveOuvrageReseau": points}
    assert NetworkSegment.objects.count() == pipes


def test_the_street_trees_read_as_an_inventory_and_stand_beside_the_buildings(city):
    from gis_sync.formats import get
    from gis_sync.formats.base import ReadOptions

    result = get("ogr")().read(city["trees"], options=ReadOptions(kind="trees", storage_srid=2154))
    assert not result.report.rejected and not result.report.warnings
    trees = result.records
    assert 500 <= len(trees) <= 1500
    assert {t.species for t in trees} >= {"Platane", "Micocoulier", "Pin parasol"}
    assert all(0 < t.crown_base_m < t.height_m and t.crown_radius_m >= 2.5 for t in trees)
    footprints = shapely.STRtree(_geoms(city["buildings"], "batiment"))
    feet = [shapely.from_wkt(t.geometry_wkt) for t in trees]
    assert not any(len(footprints.query(p, predicate="intersects")) for p in feet)
