"""StaR-DT GML reader on the CNIG samples and on broken or odd deliveries."""

import pytest

from gis_sync.errors import CodeListError, CRSError, FormatError, ValidationError
from gis_sync.formats import detect
from gis_sync.formats.stardt import StarDTFormat
from twin.raster_sampling import RasterSampler


def read(path, **kw):
    return StarDTFormat().read(path, **kw)


def test_it_detects_stardt_by_namespace(shared):
    assert detect(shared / "star-dt" / "GRDF.gml") is StarDTFormat


def test_it_accounts_for_every_member_of_grdf(shared):
    report = read(shared / "star-dt" / "GRDF.gml").report
    assert report.members == 55
    assert report.accounted
    assert dict(report.imported) == {
        "Accessoire": 8,
        "BatimentTechnique": 1,
        "CanalisationHydrocarbureChimique": 13,
        "Coffret": 9,
        "Fourreau": 2,
        "PointLeveOuvrageReseau": 7,
    }
    assert report.metadata["ReseauUtilite"] == 1
    assert len(report.rejected) == 14
    assert {r.feature_type for r in report.rejected} == {"Cote"}
    assert all("annotation" in r.reason for r in report.rejected)


def test_it_accounts_for_every_member_of_grt_and_dlva(shared):
    grt = read(shared / "star-dt" / "GRT.gml").report
    assert grt.accounted and dict(grt.imported) == {"CanalisationHydrocarbureChimique": 3}
    dlva = read(shared / "star-dt" / "dlva.gml")
    assert dlva.report.accounted and not dlva.report.rejected
    assert dict(dlva.report.imported) == {
        "CableElectrique": 9,
        "CanalisationAssainissementPluviale": 72,
        "CanalisationEau": 82,
        "Poteau": 53,
        "RegardNonVisitable": 78,
    }


def test_it_stores_code_list_uris_as_codes(shared):
    records = read(shared / "star-dt" / "GRT.gml").records
    pipe = records[0]
    assert pipe.material == "steel"
    assert pipe.status == "functional"
    assert pipe.attributes["classeTemperature"] == "inf110"
    assert pipe.network_type == "gas"
    assert pipe.precision_xy == "A"
    assert pipe.install_year == 1958


def test_it_reads_french_material_words_with_a_warning(shared):
    result = read(shared / "star-dt" / "dlva.gml")
    water = [r for r in result.records if r.feature_type == "CanalisationEau"]
    assert {r.material for r in water} == {"PE", "castIron"}
    assert any("'EPHD' read as 'PE'" in w.message for w in result.report.warnings)


def test_it_decodes_hexadecimal_text_with_a_warning(shared):
    result = read(shared / "star-dt" / "dlva.gml")
    manholes = [r for r in result.records if r.feature_type == "RegardNonVisitable"]
    assert "Bouche à clé" in {m.attributes.get("fonction") for m in manholes}
    assert any("hexadecimal" in w.message for w in result.report.warnings)


def test_it_classifies_networks_from_feature_type_and_code(shared):
    records = read(shared / "star-dt" / "dlva.gml").records
    types = {(r.feature_type, r.network_type) for r in records}
    assert ("CableElectrique", "lighting") in types  # code ECL: street lighting
    assert ("CanalisationEau", "water") in types
    assert ("CanalisationAssainissementPluviale", "stormwater") in types
    assert ("Poteau", "lighting") in types


def test_it_reads_centimetre_regulatory_depths_as_standard_depth(shared):
    result = read(shared / "star-dt" / "dlva.gml")
    pipe = next(r for r in result.records if r.feature_type == "CanalisationEau")
    assert pipe.standard_depth_m == pytest.approx(0.60)
    assert any("centimetres" in w.message for w in result.report.warnings)


def test_it_gives_survey_points_to_the_pipes_they_lie_on(shared):
    records = read(shared / "star-dt" / "GRDF.gml").records
    survey = [r for r in records if getattr(r, "node_type", None) == "survey_point"]
    assert len(survey) == 7 and all(s.attributes["segments"] for s in survey)
    assert all(s.precision_xy == "A" for s in survey)  # 10 cm → class A
    pipes = [r for r in records if r.record_type == "segment" and r.depth_observations]
    assert pipes
    pipe = pipes[0]
    assert pipe.axis is not None and pipe.axis.method == "survey"
    # AltitudeGeneratrice 0.75 m; no diameter in StaR-DT, so the axis sits at the measure.
    assert {round(z, 2) for _, _, z in pipe.axis.coords} <= {0.75, 0.5}
    assert any("diameter unknown" in n for n in pipe.axis.notes)


def test_it_flags_an_implausible_altitude_against_the_terrain(shared, data):
    # The GRDF sample writes 0.75 m as an 'altitude' of the pipe top near Strasbourg (ground ~140 m).
    sampler = RasterSampler.open(data / "dem_l93.tif")
    records = read(shared / "star-dt" / "GRDF.gml", terrain_z=sampler).records
    pipe = next(r for r in records if r.record_type == "segment" and r.axis and r.axis.method == "survey")
    assert any("implausible depth" in n for n in pipe.axis.notes)


def test_it_estimates_a_standard_depth_only_with_terrain(shared, data):
    without = read(shared / "star-dt" / "GRT.gml").records[0]
    assert without.axis is None
    sampler = RasterSampler.open(data / "dem_l93.tif")
    with_terrain = read(shared / "star-dt" / "GRT.gml", terrain_z=sampler).records
    axes = [r.axis for r in with_terrain if r.axis]
    assert axes and all(a.method == "standard_depth" and a.estimated for a in axes)


def test_it_rejects_a_truncated_gml(data):
    with pytest.raises(FormatError) as exc:
        read(data / "GRT_truncated.gml")
    assert "GRT_truncated.gml" in str(exc.value)
    assert "line" in str(exc.value) and "truncated" in str(exc.value)


def test_it_reads_an_undefined_srs_name_with_the_configured_srid(data):
    result = read(data / "stardt_undefined_srs_3d.gml", srid=2154)
    assert any("'Lambert93' is not defined" in w.message for w in result.report.warnings)
    pipe = result.records[0]
    assert pipe.geometry_wkt.startswith("LINESTRING Z")
    assert pipe.axis.method == "vertex_z"
    assert pipe.axis.coords[0][2] == pytest.approx(139.2)


def test_it_refuses_an_undefined_srs_name_without_configured_srid(data):
    with pytest.raises(CRSError) as exc:
        read(data / "stardt_undefined_srs_3d.gml")
    assert "--srid" in str(exc.value)


def test_it_names_the_feature_and_field_of_an_unknown_code(data):
    with pytest.raises(ValidationError) as exc:
        read(data / "stardt_unknown_material.gml")
    first = exc.value.errors[0]
    assert isinstance(first, CodeListError)
    assert first.field == "materiau"
    # Named as the file names it, where it begins: the gml:id and the line of the feature.
    assert first.feature_id == "id47b09537-ffc3-4f33-8430-67ba3eff29af" and first.line == 4
    assert "stardt_unknown_material.gml" in str(exc.value)
    assert "feature id47b09537-ffc3-4f33-8430-67ba3eff29af, line 4, field materiau" in str(exc.value)


def test_it_can_reject_bad_features_and_keep_the_rest(data):
    report = read(data / "stardt_unknown_material.gml", on_error="reject").report
    assert report.accounted
    assert [r.field for r in report.rejected] == ["materiau"]


def test_it_validates_the_official_samples_against_the_shipped_xsd(shared):
    for sample in ("GRDF.gml", "GRT.gml", "dlva.gml"):
        report = read(shared / "star-dt" / sample).report
        assert any(
            n.startswith("validated against StaRDT.xsd in ") and n.endswith("no violations") for n in report.notes
        )
        assert not [w for w in report.warnings if "schema StaRDT.xsd" in w.message]


def test_it_imports_a_delivery_off_the_schema_with_warnings_naming_feature_and_line(shared, tmp_path):
    text = (shared / "star-dt" / "GRT.gml").read_text(encoding="utf-8")
    off = tmp_path / "GRT_off_schema.gml"
    off.write_text(text.replace("<star-dt:hierarchie>reseau<", "<star-dt:hierarchie>principal<", 1), encoding="utf-8")
    report = read(off).report
    assert report.accounted and dict(report.imported) == {"CanalisationHydrocarbureChimique": 3}
    (warning,) = [w for w in report.warnings if "schema StaRDT.xsd" in w.message]
    assert warning.feature_id == "id47b09537-ffc3-4f33-8430-67ba3eff29af"
    assert warning.field == "hierarchie"
    assert str(warning) == (
        "GRT_off_schema.gml, feature id47b09537-ffc3-4f33-8430-67ba3eff29af, line 25, field hierarchie: "
        "Element 'star-dt:hierarchie': 'principal' is not a valid value of the union type "
        "'star-dt:HierarchieValueType'. (schema StaRDT.xsd)"
    )


def test_it_caps_schema_warnings_and_counts_the_rest(shared, tmp_path):
    text = (shared / "star-dt" / "dlva.gml").read_text(encoding="utf-8")
    off = tmp_path / "dlva_off_schema.gml"
    off.write_text(text.replace("<star-dt:visibleSurface>false<", "<star-dt:visibleSurface>non<"), encoding="utf-8")
    report = read(off).report
    schema_warnings = [w for w in report.warnings if "StaRDT.xsd" in w.message]
    assert len(schema_warnings) == 51
    assert schema_warnings[-1].message == "244 more violations of StaRDT.xsd not listed (294 in all)"
    assert report.accounted and sum(report.imported.values()) == 294


def test_it_imports_a_file_too_big_to_validate_with_a_warning(shared, monkeypatch):
    from gis_sync import xml_schema

    monkeypatch.setattr(xml_schema, "MAX_VALIDATED_BYTES", 100_000)
    report = read(shared / "star-dt" / "dlva.gml").report
    assert report.accounted
    assert any(
        w.message == "the file is 0.452 MB, over the 0.1 MB validated in memory: it is imported "
        "without validation against StaRDT.xsd"
        for w in report.warnings
    )
