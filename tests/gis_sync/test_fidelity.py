"""Geodetic fidelity: a file generated in a foreign CRS is imported, tiled, decoded back to ECEF, and lands within
5 cm of where pyproj's own best operation (no ballpark) puts its coordinates, or is refused with the reason.

The truth is computed here with pyproj alone (TransformerGroup, allow_ballpark=False, first operation of
stated accuracy) from the file's CRS to Lambert-93 + NGF-IGN69, then the twin's published height frame
(twin.geoid.HeightFrame: Lambert-93 to WGS 84 and the configured geoid grid) to ECEF. Each case prints its
worst horizontal and vertical error in centimetres (pytest -s shows them).
"""

from __future__ import annotations

import gzip
import json

import laspy
import numpy as np
import pytest
from django.contrib.gis.gdal import GDALRaster
from laspy.vlrs.known import GeoKeyDirectoryVlr, GeoKeyEntryStruct, GeoKeysHeaderStructs, WktCoordinateSystemVlr
from pyproj import CRS, Transformer
from pyproj.transformer import TransformerGroup
from scipy.spatial import cKDTree

from gis_sync.errors import CRSError
from gis_sync.formats.pointcloud import PointCloudFormat
from gis_sync.importer import import_path
from tests.tiles.test_build_pointclouds import read_pnts
from tests.tiles.test_build_terrain import decode_quantized_mesh
from tests.tiles.tile_reading import contents, decode, resolve
from tiles.build import build_layers
from tiles.builders.terrain import TileKey
from tiles.publish import current_dir
from twin import geodesy
from twin.geoid import HeightFrame
from twin.models import Building, PointCloud, Terrain

# The truth below takes pyproj's best available operation on purpose; its "best is not available" is expected.
pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:Best transformation is not available")]

TOLERANCE_M = 0.05
FRAME = HeightFrame(2154, "egm96_15.gtx")
# Near the demo city (Antibes), Lambert-93 metres.
ANTIBES = (1032700.0, 6284300.0)


def truth_ecef(src: str, x, y, z) -> np.ndarray:
    """ECEF of source coordinates by pyproj's best operation of stated accuracy, then the twin's height frame."""
    crs = CRS(src)
    target = CRS("EPSG:2154+5720") if crs.is_compound else CRS("EPSG:2154")
    group = TransformerGroup(crs, target, always_xy=True, allow_ballpark=False)
    best = next(t for t in group.transformers if t.accuracy is not None and t.accuracy >= 0)
    x, y, z = (np.asarray(a, float) for a in (x, y, z))
    if crs.is_compound:
        sx, sy, sz = best.transform(x, y, z)
    else:  # no height system stated: the twin takes the heights as NGF-IGN69
        (sx, sy), sz = best.transform(x, y), z
    return FRAME.to_ecef(np.asarray(sx), np.asarray(sy), np.asarray(sz))


def errors_cm(truth: np.ndarray, published: np.ndarray) -> tuple[float, float]:
    """Worst horizontal and vertical distance (cm) from each true point to the nearest published one."""
    _, idx = cKDTree(published).query(truth)
    diff = published[idx] - truth
    up = truth / np.linalg.norm(truth, axis=1)[:, None]  # the ellipsoid normal to within 0.2°: fine for cm
    vertical = np.abs((diff * up).sum(axis=1))
    horizontal = np.linalg.norm(diff - (diff * up).sum(axis=1)[:, None] * up, axis=1)
    return float(horizontal.max() * 100), float(vertical.max() * 100)


def report(case: str, run, h_cm: float | None, v_cm: float) -> None:
    """Print a case's errors; h_cm None where a horizontal error shows only through the heights (a DEM)."""
    ops = "; ".join(f"{t['operation']} ({t['accuracy_m']} m)" for t in run.report["transformations"])
    horizontal = "in the heights" if h_cm is None else f"{h_cm:.2f} cm"
    print(f"\nFIDELITY {case}: horizontal {horizontal}, vertical {v_cm:.2f} cm via {ops}")
    assert (h_cm or 0.0) < TOLERANCE_M * 100 and v_cm < TOLERANCE_M * 100, (case, h_cm, v_cm)


def building_vertices(tiles_root) -> np.ndarray:
    [record] = build_layers(["buildings"], progress=lambda m: None)
    assert record.status == "published"
    return np.concatenate([p.ecef for c in contents(tiles_root, "buildings") for p in decode(c)[0]])


def cityjson_box(
    path, reference: str, x0: float, y0: float, ground: float, roof: float, size: tuple[float, float] = (20.0, 12.0)
) -> np.ndarray:
    """A CityJSON 2.0 file with one LOD1 box building; returns its 8 vertices in the file's CRS."""
    w, d = size
    corners = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + d), (x0, y0 + d)]
    verts = [(x, y, ground) for x, y in corners] + [(x, y, roof) for x, y in corners]
    doc = {
        "type": "CityJSON",
        "version": "2.0",
        "metadata": {"referenceSystem": reference},
        "transform": {"scale": [1e-7, 1e-7, 0.001], "translate": [x0, y0, 0.0]},
        "vertices": [[round((x - x0) * 1e7), round((y - y0) * 1e7), round(z * 1000)] for x, y, z in verts],
        "CityObjects": {
            "b1": {
                "type": "Building",
                "attributes": {"function": "house"},
                "geometry": [
                    {
                        "type": "Solid",
                        "lod": "1",
                        "boundaries": [
                            [
                                [[0, 3, 2, 1]],
                                [[4, 5, 6, 7]],
                                [[0, 1, 5, 4]],
                                [[1, 2, 6, 5]],
                                [[2, 3, 7, 6]],
                                [[3, 0, 4, 7]],
                            ]
                        ],
                        "semantics": {
                            "surfaces": [{"type": "GroundSurface"}, {"type": "RoofSurface"}, {"type": "WallSurface"}],
                            "values": [[0, 1, 2, 2, 2, 2]],
                        },
                    }
                ],
            }
        },
    }
    path.write_text(json.dumps(doc))
    return np.array(verts)


def test_a_cityjson_in_rd_new_and_nap_lands_where_its_crs_says(tmp_path, tiles_root, twin_data):
    verts = cityjson_box(
        tmp_path / "amsterdam.city.json", "https://www.opengis.net/def/crs/EPSG/0/7415", 121000.0, 487000.0, 0.5, 12.5
    )
    run = import_path(tmp_path / "amsterdam.city.json")
    [op] = [t for t in run.report["transformations"] if t["from"].startswith("EPSG:7415")]
    # A Helmert datum shift (no RDNAPTRANS grid here) and NAP to NGF-IGN69 through EVRF2000, as PROJ states.
    assert op["accuracy_m"] == pytest.approx(0.55) and "Ballpark" not in op["operation"]
    h, v = errors_cm(truth_ecef("EPSG:7415", *verts.T), building_vertices(tiles_root))
    report("CityJSON EPSG:7415 (RD New + NAP)", run, h, v)


def test_the_rd_new_ballpark_is_refused_when_better_than_a_metre_is_required():
    with pytest.raises(geodesy.GeodesyError) as exc:
        geodesy.operation(7415, "EPSG:2154+5720", max_error_m=0.2)
    message = str(exc.value)
    assert "nl_nsgi_rdtrans2018.tif" in message and "cdn.proj.org" in message
    assert "--allow-approximate" in exc.value.advice
    # The operator's escape: the best available operation, marked approximate with the error they accepted.
    op = geodesy.operation(7415, "EPSG:2154+5720", max_error_m=0.2, allow_approximate_m=1.0)
    assert op.approximate and op.accepted_error_m == 1.0 and "Ballpark" not in op.name


def test_a_cityjson_in_lambert93_and_ngf_needs_no_transformation(tmp_path, tiles_root, twin_data):
    x0, y0 = ANTIBES
    verts = cityjson_box(
        tmp_path / "antibes.city.json", "urn:ogc:def:crs,crs:EPSG::2154,crs:EPSG::5720", x0, y0, 4.0, 19.0
    )
    run = import_path(tmp_path / "antibes.city.json")
    assert [t["operation"] for t in run.report["transformations"]] == ["identity"]
    h, v = errors_cm(truth_ecef("EPSG:2154+5720", *verts.T), building_vertices(tiles_root))
    report("CityJSON EPSG:2154+5720 (identity)", run, h, v)


def _geokeys(keys: dict[int, int]) -> GeoKeyDirectoryVlr:
    vlr = GeoKeyDirectoryVlr()
    header = GeoKeysHeaderStructs()
    header.key_directory_version, header.key_revision, header.minor_revision = 1, 1, 0
    header.number_of_keys = len(keys)
    vlr.geo_keys_header = header
    entries = []
    for key, value in keys.items():
        entry = GeoKeyEntryStruct()
        entry.id, entry.tiff_tag_location, entry.count, entry.value_offset = key, 0, 1, value
        entries.append(entry)
    vlr.geo_keys = entries
    return vlr


def write_las(path, x, y, z, *, keys: dict[int, int] | None = None, wkt: str | None = None) -> None:
    header = laspy.LasHeader(point_format=1, version="1.4")
    header.scales = np.array([0.001, 0.001, 0.001])
    header.offsets = np.array([np.floor(x.min()), np.floor(y.min()), 0.0])
    if keys:
        header.vlrs.append(_geokeys(keys))
    if wkt:
        header.vlrs.append(WktCoordinateSystemVlr(wkt))
    las = laspy.LasData(header)
    las.x, las.y, las.z = x, y, z
    las.write(str(path))


def cloud(seed: int, x0: float, y0: float, z0: float, n: int = 400) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return x0 + rng.uniform(0, 60, n), y0 + rng.uniform(0, 40, n), z0 + rng.uniform(0, 30, n)


def pointcloud_ecef(tiles_root, name: str) -> np.ndarray:
    layer = f"pointcloud-{name}"
    [record] = build_layers([layer], progress=lambda m: None)
    assert record.status == "published", record
    return np.concatenate(
        [
            read_pnts(c.path.read_bytes())[0] @ c.transform[:3, :3].T + c.transform[:3, 3]
            for c in contents(tiles_root, layer)
        ]
    )


def test_a_las_in_feet_over_ngf_ign69_is_drawn_in_metres(tmp_path, tiles_root, twin_data):
    # GeoTIFF keys only: Lambert-93, NGF-IGN69 heights, VerticalUnitsGeoKey = 9002 (international foot).
    x, y, z_ft = cloud(1, *ANTIBES, 30.0)
    write_las(tmp_path / "feet.las", x, y, z_ft, keys={1024: 1, 3072: 2154, 4096: 5720, 4099: 9002})
    run = import_path(tmp_path / "feet.las", options={"source_key": "feet"})
    stored = PointCloud.objects.get()
    assert stored.srid == 2154 and stored.max_z == pytest.approx(z_ft.max() * 0.3048, abs=0.002)
    h, v = errors_cm(truth_ecef("EPSG:2154+5720", x, y, z_ft * 0.3048), pointcloud_ecef(tiles_root, "feet"))
    report("LAS EPSG:2154+5720, heights in feet (GeoKeys)", run, h, v)


def test_a_las_in_utm_without_height_system_says_what_it_assumed(tmp_path, tiles_root, twin_data):
    x0, y0 = 332000.0, 4827000.0  # UTM 32N, Antibes
    x, y, z = cloud(2, x0, y0, 12.0)
    write_las(tmp_path / "utm.las", x, y, z, wkt=CRS.from_epsg(32632).to_wkt())
    run = import_path(tmp_path / "utm.las", options={"source_key": "utm"})
    assert any("states no height system; heights taken as NGF-IGN69" in w["message"] for w in run.warnings)
    h, v = errors_cm(truth_ecef("EPSG:32632", x, y, z), pointcloud_ecef(tiles_root, "utm"))
    report("LAS EPSG:32632 (WKT VLR), heights assumed NGF-IGN69", run, h, v)


def test_a_us_feet_las_is_read_as_feet_and_refused_far_from_the_storage_crs(tmp_path, twin_data):
    # The known failure: WKT VLR with the horizontal CRS, GeoTIFF keys with NAVD88 and US survey feet.
    x, y, z = cloud(3, 6010000.0, 2110000.0, 3000.0)  # California zone 3, ftUS (San Francisco)
    path = tmp_path / "sf.las"
    write_las(path, x, y, z, keys={1024: 1, 3072: 2227, 4096: 5703, 4099: 9003}, wkt=CRS.from_epsg(2227).to_wkt())
    rec = PointCloudFormat().read(path).records[0]
    assert rec.attributes["z_unit_m"] == pytest.approx(1200 / 3937)
    assert CRS(rec.srid if isinstance(rec.srid, str) else f"EPSG:{rec.srid}").sub_crs_list[1].name == "NAVD88 height"
    assert rec.attributes["crs_read_from"] == ["WKT VLR", "GeoTIFF keys"]
    with pytest.raises(CRSError, match="no operation at all .* areas of use do not overlap"):
        import_path(path, options={"source_key": "sf"})


def test_a_geotiff_in_lv95_and_ln02_lands_where_its_crs_says(tmp_path, tiles_root, twin_data):
    # A steep plane in LV95 metres near Geneva, heights in LN02: bilinear resampling reproduces a plane, and
    # on a 30 % slope a horizontal shift shows in the heights (5 cm off sideways is 1.5 cm up or down).
    x0, y0, size, n = 2499000.0, 1118000.0, 5.0, 80
    path = tmp_path / "geneve.tif"
    cx = x0 + (np.arange(n) + 0.5) * size
    cy = y0 + n * size - (np.arange(n) + 0.5) * size
    gx, gy = np.meshgrid(cx, cy)

    def plane(x, y):
        return 400.0 + 0.3 * (x - x0) + 0.2 * (y - y0)

    GDALRaster(
        {
            "driver": "GTiff",
            "name": str(path),
            "srid": 2056,
            "width": n,
            "height": n,
            "origin": [x0, y0 + n * size],
            "scale": [size, -size],
            "datatype": 7,
            "bands": [{"data": plane(gx, gy).ravel().tolist(), "nodata_value": -9999.0}],
        }
    )
    raster = GDALRaster(str(path), write=True)
    raster.srs = CRS("EPSG:2056+5728").to_wkt("WKT1_GDAL")
    del raster
    run = import_path(path, options={"source_key": "geneve"})
    ops = run.report["transformations"]
    assert any(t["from"].startswith("EPSG:2056+5728") and t["accuracy_m"] == pytest.approx(0.4) for t in ops)
    assert Terrain.current().vertical_datum == "NGF-IGN69 height"
    [record] = build_layers(["terrain"], progress=lambda m: None)
    assert record.status == "published"
    layer = json.loads((current_dir(tiles_root, "terrain") / "layer.json").read_text())
    top = len(layer["available"]) - 1
    r = layer["available"][top][0]
    group = TransformerGroup(CRS("EPSG:2056+5728"), CRS("EPSG:2154+5720"), always_xy=True, allow_ballpark=False)
    best = next(t for t in group.transformers if t.accuracy is not None and t.accuracy >= 0)
    heights, truths = [], []
    for tx in range(r["startX"], r["endX"] + 1):
        for ty in range(r["startY"], r["endY"] + 1):
            tile = decode_quantized_mesh(
                gzip.decompress(
                    resolve(tiles_root, "terrain", f"@{record.version}/{top}/{tx}/{ty}.terrain").read_bytes()
                )
            )
            w, s, e, nn = TileKey(top, tx, ty).bounds
            lon, lat = w + tile["u"] * (e - w), s + tile["v"] * (nn - s)
            lx, ly = FRAME.from_lonlat(lon, lat)
            # Where each published vertex is, in the file's CRS, by pyproj's best operation (inverse).
            sx, sy, _ = best.transform(lx, ly, np.zeros_like(lx), direction="INVERSE")
            inside = (
                (sx > x0 + 3 * size) & (sx < x0 + (n - 3) * size) & (sy > y0 + 3 * size) & (sy < y0 + (n - 3) * size)
            )
            if not inside.any():
                continue
            _, _, h_ngf = best.transform(sx[inside], sy[inside], plane(sx[inside], sy[inside]))
            truths.append(h_ngf + FRAME.undulation(lon[inside], lat[inside]))
            heights.append(tile["height"][inside])
    assert sum(len(h) for h in heights) > 100
    v_cm = float(np.abs(np.concatenate(heights) - np.concatenate(truths)).max() * 100)
    report("GeoTIFF EPSG:2056+5728 (LV95 + LN02), terrain tiles", run, None, v_cm)


def test_a_geojson_footprint_layer_in_utm_lands_where_its_crs_says(tmp_path, tiles_root, twin_data):
    x0, y0 = 332000.0, 4827000.0
    ring = [[x0, y0], [x0 + 18, y0], [x0 + 18, y0 + 10], [x0, y0 + 10], [x0, y0]]
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "EPSG:32632"}},
        "features": [
            {
                "type": "Feature",
                "id": "f1",
                "properties": {"id": "f1", "height": 9.0},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    (tmp_path / "footprints.geojson").write_text(json.dumps(doc))
    run = import_path(tmp_path / "footprints.geojson", options={"kind": "buildings", "source_key": "fp"})
    b = Building.objects.get()
    corners = np.array(ring[:4], float)
    truth = truth_ecef("EPSG:32632", corners[:, 0], corners[:, 1], np.full(4, b.ground_z))
    h, v = errors_cm(truth, building_vertices(tiles_root))
    report("GeoJSON EPSG:32632 footprints", run, h, v)


def test_a_stricter_limit_refuses_rd_new_naming_the_grid_until_the_operator_accepts_the_error(
    tmp_path, settings, twin_data
):
    from django.core.management import CommandError, call_command

    from gis_sync.models import SyncRun

    settings.JUMEAU_MAX_TRANSFORM_ERROR_M = 0.2
    cityjson_box(tmp_path / "delft.city.json", "EPSG:7415", 85000.0, 446000.0, 0.0, 9.0)
    with pytest.raises(CommandError, match="nl_nsgi_rdtrans2018.tif") as exc:
        call_command("import_file", str(tmp_path / "delft.city.json"), verbosity=0)
    assert "--allow-approximate" in str(exc.value)
    failed = SyncRun.objects.get()
    assert failed.status == SyncRun.Status.FAILED and "nl_nsgi_rdtrans2018.tif" in failed.errors[0]["message"]
    call_command("import_file", str(tmp_path / "delft.city.json"), "--allow-approximate", "1", verbosity=0)
    run = SyncRun.objects.filter(status=SyncRun.Status.SUCCESS).get()
    [op] = [t for t in run.report["transformations"] if t["from"].startswith("EPSG:7415")]
    assert op["approximate"] and op["accepted_error_m"] == 1.0 and op["accuracy_m"] == pytest.approx(0.55)
    assert any(w["message"].startswith("approximate transformation:") for w in run.warnings)


def test_ellipsoidal_heights_are_refused_when_the_geoid_grid_is_missing(tmp_path, settings, twin_data):
    settings.JUMEAU_GEOID_GRID = "fr_ign_RAF20.tif"  # not installed here (PITFALLS)
    cityjson_box(tmp_path / "ellipsoid.city.json", "EPSG:4979", 7.1200, 43.5800, 52.0, 64.0, size=(2e-4, 1e-4))
    with pytest.raises(CRSError, match="fr_ign_RAF20.tif"):
        import_path(tmp_path / "ellipsoid.city.json")


def test_ellipsoidal_heights_come_back_to_the_same_place_through_the_configured_geoid(tmp_path, tiles_root, twin_data):
    # WGS 84 3D (RFC 7946 style heights on the ellipsoid): stored orthometric with the city's geoid grid,
    # published on the ellipsoid again with the same grid, so the round trip is exact whatever the grid.
    verts = cityjson_box(tmp_path / "ellipsoid.city.json", "EPSG:4979", 7.1200, 43.5800, 52.0, 64.0, size=(2e-4, 1e-4))
    run = import_path(tmp_path / "ellipsoid.city.json")
    assert any("egm96_15.gtx" in t["operation"] for t in run.report["transformations"])
    truth = np.column_stack(Transformer.from_crs(4979, 4978, always_xy=True).transform(*verts.T))
    h, v = errors_cm(truth, building_vertices(tiles_root))
    report("CityJSON EPSG:4979 (ellipsoidal heights)", run, h, v)
