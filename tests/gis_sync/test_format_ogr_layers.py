"""GIS layers through GDAL: BD TOPO buildings and roads, POIs, encodings, broken deliveries."""

import pytest

from gis_sync.errors import CRSError, EmptySourceError, GeometryError, MissingFileError, ValidationError
from gis_sync.formats import detect
from gis_sync.formats.ogr_layers import OgrLayersFormat


def read(path, **kw):
    return OgrLayersFormat().read(path, **kw)


def test_it_reads_bd_topo_buildings_from_a_shapefile_with_cpg(data):
    result = read(data / "batiment_cpg" / "batiment.shp")
    b1, b2, b3 = result.records
    assert (b1.source_id, b1.height, b1.storeys, b1.ground_z, b1.roof_z, b1.year) == (
        "BATIMENT0000000001",
        12.5,
        4,
        140.2,
        153.1,
        1962,
    )
    assert b3.use == "Église Saint-Étienne"
    assert not any("encoding" in (w.field or "") for w in result.report.warnings)


def test_it_estimates_height_from_storeys_with_a_flag(data):
    b2 = read(data / "batiment_cpg" / "batiment.shp").records[1]
    assert b2.height == pytest.approx(9.0) and b2.height_estimated


def test_it_reads_windows_1252_text_without_cpg_with_a_warning(data):
    result = read(data / "batiment_nocpg" / "batiment.shp")
    assert result.records[2].use == "Église Saint-Étienne"
    assert any("Windows-1252" in w.message for w in result.report.warnings)


def test_it_refuses_a_shapefile_without_its_dbf(data):
    with pytest.raises(MissingFileError) as exc:
        read(data / "batiment_nodbf" / "batiment.shp")
    assert isinstance(exc.value, OSError)
    assert "batiment.shp" in str(exc.value) and ".dbf" in str(exc.value)


def test_it_refuses_lonlat_declared_as_lambert93(data):
    with pytest.raises(CRSError) as exc:
        read(data / "lonlat_declared_2154.geojson")
    assert "area of use" in str(exc.value) and "longitude/latitude" in str(exc.value)


def test_it_transforms_lonlat_pois_to_lambert93(data):
    poi = read(data / "poi_lonlat.geojson").records[0]
    assert poi.record_type == "poi" and poi.name == "Cathédrale"
    x, y = map(float, poi.geometry_wkt[7:-1].split())
    assert 1050000 < x < 1051000 and 6840000 < y < 6842000


def test_it_names_feature_and_field_of_a_bad_number(data):
    with pytest.raises(ValidationError) as exc:
        read(data / "batiment_bad_values.geojson")
    errors = exc.value.errors
    assert (errors[0].feature_id, errors[0].field) == ("batiment_bad_values.B1", "HAUTEUR")
    assert "'12x' is not a number" in str(errors[0])
    assert isinstance(errors[1], GeometryError) and "Self-intersection" in str(errors[1])


def test_it_rejects_bad_features_and_keeps_good_ones_on_request(data):
    result = read(data / "batiment_bad_values.geojson", on_error="reject")
    assert [r.source_id for r in result.records] == ["B3"]
    assert result.report.accounted and len(result.report.rejected) == 2


def test_it_refuses_a_layer_with_zero_features(data):
    with pytest.raises(EmptySourceError):
        read(data / "empty.geojson")


def test_it_drops_z_of_3d_coordinates_in_a_2d_layer_with_a_warning(data):
    result = read(data / "batiment_3d_in_2d.gpkg")
    assert len(result.records) == 2
    assert "Z" not in result.records[0].footprint_wkt.split("(")[0]
    assert any("3D coordinates in a 2D layer" in w.message for w in result.report.warnings)


def test_it_reads_bd_topo_road_sections_as_streets(data):
    s1, s2 = read(data / "troncon_de_route.geojson").records
    assert s1.record_type == "street" and s1.name == "Rue du Dôme" and s1.width_m == 6.5 and s1.lanes == 2
    assert s2.level == 1


def test_it_is_chosen_for_geojson_and_shapefiles(data):
    assert detect(data / "troncon_de_route.geojson") is OgrLayersFormat
    assert detect(data / "batiment_cpg" / "batiment.shp") is OgrLayersFormat
