"""RAEPA GeoPackage layers: pipes with invert levels and cover depths, fittings and structures."""

import pytest

from gis_sync.errors import CodeListError, ValidationError
from gis_sync.formats import detect
from gis_sync.formats.raepa import RaepaFormat
from twin.raster_sampling import RasterSampler


def test_it_detects_raepa_layers_in_a_geopackage(data):
    assert detect(data / "raepa.gpkg") is RaepaFormat


def test_it_reads_every_raepa_layer(data):
    result = RaepaFormat().read(data / "raepa.gpkg")
    assert result.report.accounted
    assert dict(result.report.imported) == {
        "raepa_canalass_l": 2,
        "raepa_canalaep_l": 1,
        "raepa_ouvrass_p": 1,
        "raepa_apparaep_p": 1,
    }
    by_id = {r.source_id: r for r in result.records}
    assert by_id["ASS-1"].material == "concrete" and by_id["ASS-1"].network_type == "sewer"
    assert by_id["ASS-2"].network_type == "stormwater"  # typreseau 01: pluvial
    assert by_id["ASS-2"].precision_xy == "B" and by_id["ASS-2"].precision_z == "C"
    assert by_id["AEP-1"].nominal_diameter_mm == 150 and by_id["AEP-1"].install_year == 1988
    assert by_id["R1"].node_type == "manhole" and by_id["R1"].z == pytest.approx(137.5)
    assert by_id["V1"].node_type == "valve"


def test_it_puts_the_axis_half_a_diameter_above_the_invert_levels(data):
    pipe = next(r for r in RaepaFormat().read(data / "raepa.gpkg").records if r.source_id == "ASS-1")
    assert pipe.axis.method == "invert"
    assert pipe.axis.coords[0][2] == pytest.approx(137.50 + 0.15)
    assert pipe.axis.coords[-1][2] == pytest.approx(137.20 + 0.15)
    assert pipe.axis.uncertainty_m == pytest.approx(0.4)  # class A


def test_it_uses_the_terrain_for_cover_depths(data):
    sampler = RasterSampler.open(data / "dem_l93.tif")
    records = RaepaFormat().read(data / "raepa.gpkg", terrain_z=sampler).records
    pipe = next(r for r in records if r.source_id == "AEP-1")
    assert pipe.axis.method == "cover"
    x, y, z = pipe.axis.coords[0]
    assert z == pytest.approx(sampler([x], [y])[0] - 1.2 - 0.075)


def test_it_names_the_feature_and_field_of_an_unknown_materiau(data):
    with pytest.raises(ValidationError) as exc:
        RaepaFormat().read(data / "raepa_unknown_materiau.gpkg")
    err = exc.value.errors[0]
    assert isinstance(err, CodeListError)
    assert (err.feature_id, err.field) == ("raepa_canalass_l.ASS-2", "materiau")
    assert "'42' is not a code" in str(exc.value) and "raepa_unknown_materiau.gpkg" in str(exc.value)
