"""StaR-Eau layers (GeoPackage and shapefiles): pipes with top and invert levels, valves, fittings, manholes."""

import pytest

from gis_sync.errors import CodeListError, ValidationError
from gis_sync.formats import detect
from gis_sync.formats.stareau import StarEauFormat


def test_it_detects_stareau_layers_in_a_geopackage_and_a_folder_of_shapefiles(data):
    assert detect(data / "stareau.gpkg") is StarEauFormat
    assert detect(data / "stareau_shp") is StarEauFormat
    assert detect(data / "stareau_shp" / "ass_canalisation.shp") is StarEauFormat


@pytest.mark.parametrize("name", ["stareau.gpkg", "stareau_shp"])
def test_it_reads_pipes_and_nodes_by_their_standard_ids(data, name):
    result = StarEauFormat().read(data / name)
    assert result.report.accounted
    assert dict(result.report.imported) == {
        "aep_canalisation": 1,
        "ass_canalisation": 2,
        "ass_regard": 1,
        "aep_vanne": 1,
        "aep_appareillage": 1,
    }
    by_id = {r.source_id: r for r in result.records}
    aep = by_id["AEP-C1"]
    assert (aep.network_type, aep.material, aep.nominal_diameter_mm) == ("water", "castIron", 150)
    assert (aep.precision_xy, aep.precision_z, aep.status, aep.install_year) == ("A", "B", "functional", 1988)
    assert aep.operator == "EMS"
    assert by_id["ASS-C1"].network_type == "sewer" and by_id["ASS-C1"].material == "concrete"
    c2 = by_id["ASS-C2"]
    assert (c2.network_type, c2.material, c2.status) == ("stormwater", "PVC", "disused")  # assaep, en_arret
    assert (by_id["R1"].node_type, by_id["R1"].z, by_id["R1"].z_kind) == ("manhole", pytest.approx(140.1), "ground")
    assert by_id["R1"].invert_z == pytest.approx(137.5)  # z_radier: the floor the tiler draws the shaft down to
    assert by_id["V1"].node_type == "valve" and by_id["A1"].node_type == "air_valve"


def test_it_says_which_layers_it_leaves_out(data):
    report = StarEauFormat().read(data / "stareau.gpkg").report
    assert any("aep_perimetre_gestion" in note for note in report.notes)


@pytest.mark.parametrize("name", ["stareau.gpkg", "stareau_shp"])
def test_sewer_axes_sit_on_the_invert_levels_and_water_axes_under_the_pipe_top(data, name):
    by_id = {r.source_id: r for r in StarEauFormat().read(data / name).records}
    sewer = by_id["ASS-C1"]
    assert sewer.axis.method == "invert"
    assert sewer.axis.coords[0][2] == pytest.approx(137.50 + 0.15)  # drawn in the direction of flow
    assert sewer.axis.coords[-1][2] == pytest.approx(137.20 + 0.15)
    water = by_id["AEP-C1"]
    assert water.axis.method == "top"
    assert water.axis.coords[0][2] == pytest.approx(139.0 - 0.075)
    assert water.axis.coords[-1][2] == pytest.approx(138.6 - 0.075)


def test_it_names_the_feature_and_field_of_an_unknown_materiau(data):
    with pytest.raises(ValidationError) as exc:
        StarEauFormat().read(data / "stareau_unknown_materiau.gpkg")
    err = exc.value.errors[0]
    assert isinstance(err, CodeListError)
    assert (err.feature_id, err.field) == ("ass_canalisation.ASS-C2", "materiau")
    assert "'plutonium' is not a code" in str(exc.value) and "stareau_unknown_materiau.gpkg" in str(exc.value)


def test_a_stareau_delivery_imports_into_the_twin(db, data, twin_data, strasbourg):
    from gis_sync.importer import import_path
    from twin.models import NetworkNode, NetworkSegment

    run = import_path(data / "stareau.gpkg", options={"source_key": "ems-eau"})
    assert run.format == "stareau" and (run.created, run.rejected) == (6, 0)
    assert NetworkSegment.objects.get(source_id="ASS-C1").axis_method == "invert"
    manhole = NetworkNode.objects.get(source_id="R1")
    assert (manhole.cover_z, manhole.invert_z) == (pytest.approx(140.1), pytest.approx(137.5))
    assert import_path(data / "stareau.gpkg", options={"source_key": "ems-eau"}).unchanged == 6
