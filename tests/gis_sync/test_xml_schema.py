"""Offline XML Schema validation of StaR-DT deliveries against the StaRDT.xsd shipped in gis_sync."""

import hashlib
from pathlib import Path

import pytest

from gis_sync import xml_schema
from gis_sync.errors import FormatError, SchemaLoadError

GRT_FIRST_PIPE = "id47b09537-ffc3-4f33-8430-67ba3eff29af"
GRT_SECOND_PIPE = "idd9a49380-34aa-4735-8f8f-65462e297993"


def edited(shared: Path, tmp_path: Path, old: str, new: str, count: int = 1, name: str = "GRT.gml") -> Path:
    """A copy of an official sample with `old` replaced by `new` (`count` times; -1 for all)."""
    text = (shared / "star-dt" / name).read_text(encoding="utf-8")
    assert old in text
    out = tmp_path / name
    out.write_text(text.replace(old, new, count), encoding="utf-8")
    return out


def test_it_ships_the_official_schema_unmodified(shared):
    digest = hashlib.sha256
    assert (
        digest(xml_schema.STARDT_XSD.read_bytes()).digest()
        == digest((shared / "star-dt" / "StaRDT.xsd").read_bytes()).digest()
    )


def test_it_compiles_the_schema_offline_once_per_process():
    first, _ = xml_schema.load_schema(xml_schema.STARDT_XSD)
    again, _ = xml_schema.load_schema(xml_schema.STARDT_XSD)
    assert first is again


@pytest.mark.parametrize("sample", ["GRDF.gml", "GRT.gml", "dlva.gml"])
def test_the_official_samples_validate(shared, sample):
    check = xml_schema.validate(shared / "star-dt" / sample)
    assert check.valid, check.violations


def test_it_names_line_feature_and_field_of_a_wrong_element_order(shared, tmp_path):
    ident, code = "<star-dt:identifiant>1</star-dt:identifiant>", "<star-dt:code>SEF-00001</star-dt:code>"
    path = edited(shared, tmp_path, f"{ident}\n\t\t\t{code}", f"{code}\n\t\t\t{ident}")
    check = xml_schema.validate(path)
    assert check.total == 1
    (v,) = check.violations
    assert (v.line, v.feature_id, v.field) == (7, GRT_FIRST_PIPE, "identifiant")
    assert "Element 'star-dt:identifiant': This element is not expected" in v.message


def test_it_finds_a_missing_mandatory_element(shared, tmp_path):
    path = edited(shared, tmp_path, '<star-dt:reseau xlink:href="#Reseau"/>', "")
    (v,) = xml_schema.validate(path).violations
    assert v.line == 6 and v.feature_id == GRT_FIRST_PIPE
    assert "star-dt:reseau" in v.message and "Expected is one of" in v.message


def test_it_finds_a_value_outside_an_enumeration(shared, tmp_path):
    text_path = edited(
        shared, tmp_path, "<star-dt:precisionXY>B</star-dt:precisionXY>", "<star-dt:precisionXY>D</star-dt:precisionXY>"
    )
    (v,) = xml_schema.validate(text_path).violations
    assert (v.line, v.feature_id, v.field) == (38, GRT_SECOND_PIPE, "precisionXY")
    assert v.message == (
        "Element 'star-dt:precisionXY': 'D' is not a valid value of the union type 'star-dt:ClassePrecisionReseauType'."
    )


def test_it_checks_the_gml_geometries_it_declares(shared, tmp_path):
    path = edited(shared, tmp_path, "<gml:posList>1050859.9875235807", "<gml:posList>12,5 1050859.9875235807")
    check = xml_schema.validate(path)
    assert check.total >= 1
    assert all(v.field == "geometrie" and v.feature_id == GRT_FIRST_PIPE for v in check.violations)
    assert "'12,5' is not a valid value of the atomic type 'xs:double'" in check.violations[0].message


def test_it_accepts_a_valid_gml_curve_outside_the_shipped_gml_subset(shared, tmp_path):
    line = (
        '<gml:LineString gml:id="id47b09537-ffc3-4f33-8430-67ba3eff29af-0" srsName="EPSG:2154" srsDimension="2">'
        "\n\t\t\t\t\t<gml:posList>1050859.9875235807 6840660.371346956 1051376.19063932 6840478.4699414885"
        "</gml:posList>\n\t\t\t\t</gml:LineString>"
    )
    curve = (
        '<gml:Curve gml:id="c1" srsName="EPSG:2154"><gml:segments><gml:LineStringSegment>'
        "<gml:posList>1050859.98 6840660.37 1051376.19 6840478.46</gml:posList>"
        "</gml:LineStringSegment></gml:segments></gml:Curve>"
    )
    assert xml_schema.validate(edited(shared, tmp_path, line, curve)).valid


def test_it_lists_the_first_violations_and_counts_the_others(shared, tmp_path):
    path = edited(
        shared, tmp_path, "<star-dt:visibleSurface>false<", "<star-dt:visibleSurface>non<", -1, name="dlva.gml"
    )
    check = xml_schema.validate(path, limit=5)
    assert len(check.violations) == 5 and check.total == 294
    assert len({v.feature_id for v in check.violations}) == 5


def test_it_skips_a_file_too_big_to_validate_in_memory(shared):
    check = xml_schema.validate(shared / "star-dt" / "dlva.gml", max_bytes=100_000)
    assert not check.valid and check.total == 0
    assert "imported without validation against StaRDT.xsd" in check.skipped


def test_it_rejects_xml_that_is_not_well_formed_with_its_line(data):
    with pytest.raises(FormatError) as exc:
        xml_schema.validate(data / "GRT_truncated.gml")
    assert "GRT_truncated.gml" in str(exc.value)
    assert "the XML is broken at line" in str(exc.value)


def test_it_never_fetches_a_schema_it_has_no_copy_of(tmp_path, data):
    xsd = tmp_path / "remote.xsd"
    xsd.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:y="urn:y" targetNamespace="urn:x">'
        '<xs:import namespace="urn:y" schemaLocation="http://schemas.example.invalid/y.xsd"/>'
        '<xs:element name="a" type="y:T"/></xs:schema>',
        encoding="utf-8",
    )
    with pytest.raises(SchemaLoadError) as exc:
        xml_schema.validate(data / "stardt_unknown_material.gml", xsd)
    assert "remote.xsd cannot be compiled" in str(exc.value)


def test_the_demo_city_gas_network_validates(tmp_path):
    from jumeau.demo_city.coastline import Coastline
    from jumeau.demo_city.gas_stardt import write_gas
    from jumeau.demo_city.streets import build_streets
    from jumeau.demo_city.terrain import build_terrain

    coast = Coastline()
    terrain = build_terrain(coast, 42)
    gas = write_gas(build_streets(coast, terrain, 42), terrain, tmp_path / "gas.gml", 42)
    check = xml_schema.validate(gas)
    assert check.valid, check.violations


def test_it_leaves_a_foreign_root_element_to_the_reader(shared):
    wfs = "{http://www.opengis.net/wfs/2.0}FeatureCollection"
    check = xml_schema.validate(shared / "star-dt" / "GRT.gml", root=wfs)
    assert check.foreign_root and not check.valid and check.total == 0


def test_it_calls_an_empty_file_empty(tmp_path):
    empty = tmp_path / "empty.gml"
    empty.write_bytes(b"")
    with pytest.raises(FormatError, match="empty.gml: the file is empty"):
        xml_schema.validate(empty)
