"""GIS layers into the twin: buildings, streets, points of interest; odd and broken deliveries."""

import pytest

from gis_sync.errors import CRSError, EmptySourceError, MissingFileError
from gis_sync.importer import import_path
from gis_sync.models import SyncRun
from twin.models import Building, PointOfInterest, StreetSegment


def test_buildings_get_ground_roof_storeys_use_and_year(db, data, terrain):
    run = import_path(data / "batiment.geojson", options={"kind": "buildings"})
    assert run.created == 3
    first = Building.objects.get(source_id="BATIMENT0000000001")
    assert (first.ground_z, first.roof_z, first.storeys, first.year, first.height_source) == (
        140.2,
        153.1,
        4,
        1962,
        "field",
    )
    estimated = Building.objects.get(source_id="BATIMENT0000000002")
    assert estimated.height_source == "storeys" and estimated.height == pytest.approx(9.0)
    assert 140.0 <= estimated.ground_z < 142.0  # from the terrain: no Z_MIN_SOL
    assert Building.objects.get(source_id="BATIMENT0000000003").use == "Église Saint-Étienne"


def test_a_shapefile_without_dbf_is_refused(db, data, twin_data):
    with pytest.raises(MissingFileError) as exc:
        import_path(data / "batiment_nodbf" / "batiment.shp")
    assert "batiment.shp" in str(exc.value) and ".dbf" in str(exc.value)
    assert not Building.objects.exists()
    assert SyncRun.objects.get().status == SyncRun.Status.FAILED


def test_windows_1252_text_without_cpg_is_read_with_a_warning(db, data, twin_data, strasbourg):
    run = import_path(data / "batiment_nocpg", format="ogr", options={"kind": "buildings"})
    assert run.created == 3
    assert Building.objects.get(source_id="BATIMENT0000000003").use == "Église Saint-Étienne"
    assert any("1252" in w["message"] for w in run.warnings)


def test_features_outside_the_city_are_counted_in_a_warning(db, data, twin_data):
    # The fixtures lie in Strasbourg, the configured city is Antibes.
    run = import_path(data / "batiment.geojson", options={"kind": "buildings"})
    assert run.created == 3
    assert any("3 features lie outside the city's extent" in w["message"] for w in run.warnings)


def test_zero_features_are_refused(db, data, twin_data):
    with pytest.raises(EmptySourceError):
        import_path(data / "empty.geojson", options={"kind": "buildings"})
    assert SyncRun.objects.get().errors[0]["file"] == "empty.geojson"


def test_lonlat_in_a_file_declaring_lambert93_is_refused(db, data, twin_data):
    with pytest.raises(CRSError, match="area of use"):
        import_path(data / "lonlat_declared_2154.geojson", options={"kind": "poi"})
    assert not PointOfInterest.objects.exists()


def test_3d_coordinates_in_a_2d_layer_are_dropped_with_a_warning(db, data, twin_data, strasbourg):
    run = import_path(data / "batiment_3d_in_2d.gpkg", options={"kind": "buildings"})
    assert run.created == 2 and any("z dropped" in w["message"] for w in run.warnings)


def test_an_invalid_geometry_names_feature_and_field_and_changes_nothing(db, data, twin_data):
    with pytest.raises(ValueError):
        import_path(data / "batiment_bad_values.geojson", options={"kind": "buildings"})
    errors = SyncRun.objects.get().errors
    assert {(e["feature"], e["field"]) for e in errors} >= {
        ("batiment_bad_values.B1", "HAUTEUR"),
        ("batiment_bad_values.B2", "geometry"),
    }
    assert not Building.objects.exists()


def test_streets_are_3d_lines_with_a_walking_kind(db, data, terrain):
    run = import_path(data / "troncon_de_route.geojson", options={"kind": "streets"})
    assert run.created == 2
    # The walk graph changed: its shade is recomputed, no tiles are built.
    assert (run.dirty_layers, run.derived) == ([], ["shade"])
    street = StreetSegment.objects.get(source_id="TRONROUT0000000001")
    assert street.kind == "street" and street.name == "Rue du Dôme"
    assert street.geom.hasz and 140.0 <= street.geom.coords[0][2] < 142.0  # from the terrain


def test_street_kind_follows_the_bd_topo_nature():
    from gis_sync.writers.streets import kind_of

    assert [kind_of(n) for n in ("Escalier", "Chemin", "Sentier", "Route à 1 chaussée", None)] == [
        "stairs",
        "footpath",
        "footpath",
        "street",
        "street",
    ]


def test_points_of_interest_stand_at_ground_plus_their_height(db, tmp_path, twin_data):
    path = tmp_path / "landmarks.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point",'
        ' "coordinates": [7.1278, 43.5857]}, "properties": {"name": "Port Vauban", "category": "port",'
        ' "height_above_ground": 2.0, "ground_altitude_ngf": 0.5}}]}',
        encoding="utf-8",
    )
    run = import_path(path, options={"kind": "poi"})
    poi = PointOfInterest.objects.get(slug="port-vauban")
    assert run.created == 1 and poi.geom.z == pytest.approx(2.5)
    assert poi.geom.x == pytest.approx(1033330, abs=2) and poi.geom.y == pytest.approx(6285008, abs=2)
