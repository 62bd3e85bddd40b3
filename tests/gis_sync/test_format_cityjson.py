"""CityJSON buildings: the Hague LOD2 sample (no CRS declared) and a declared LOD1 block."""

import pytest
import shapely

from gis_sync.errors import CRSError
from gis_sync.formats import detect
from gis_sync.formats.cityjson import CityJSONFormat


def test_it_detects_cityjson_by_content(shared):
    assert detect(shared / "cityjson" / "DH_01_subs.city.json") is CityJSONFormat


def test_it_refuses_a_file_without_crs_and_says_how_to_fix_it(shared):
    with pytest.raises(CRSError) as exc:
        CityJSONFormat().read(shared / "cityjson" / "DH_01_subs.city.json")
    assert "--srid" in str(exc.value) and "7415" in str(exc.value)


def test_it_reads_lod2_buildings_with_their_parts(shared):
    result = CityJSONFormat().read(shared / "cityjson" / "DH_01_subs.city.json", srid=7415, storage_srid=28992)
    report = result.report
    assert report.members == 12 and report.accounted
    assert report.imported["Building"] == 4 and report.metadata["BuildingPart"] == 8
    b = result.records[0]
    assert b.lod == "2" and b.vertical_datum == "NAP height"
    assert {s["type"] for s in b.lod2_surfaces} >= {"RoofSurface", "WallSurface", "GroundSurface"}
    assert b.roof_z == pytest.approx(14.739) and b.height == pytest.approx(14.739 - b.ground_z)
    assert b.footprint_wkt.startswith(("POLYGON", "MULTIPOLYGON"))


def test_it_moves_dutch_coordinates_to_the_storage_crs(shared):
    b = CityJSONFormat().read(shared / "cityjson" / "DH_01_subs.city.json", srid=7415, storage_srid=4326).records[0]
    lon, lat = shapely.from_wkt(b.footprint_wkt).representative_point().coords[0]
    assert 4.2 < lon < 4.4 and 52.0 < lat < 52.2  # The Hague


def test_it_reads_a_declared_lod1_block(data):
    b = CityJSONFormat().read(data / "block_lod1.city.json").records[0]
    assert (b.lod, b.ground_z, b.height, b.storeys, b.year) == ("1", 140.0, 9.0, 3, 1975)
    assert b.lod2_surfaces is None
