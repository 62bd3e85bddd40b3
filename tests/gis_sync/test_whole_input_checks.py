"""Whole-input checks before anything is written: non-finite numbers, entity declarations, and StaR-DT network
links that point nowhere (real samples, modified copies)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from gis_sync.errors import FormatError, SyncError, ValidationError
from gis_sync.formats.cityjson import CityJSONFormat
from gis_sync.formats.stardt import StarDTFormat
from gis_sync.importer import import_path
from gis_sync.models import SyncRun
from twin.models import Building, NetworkOperator, NetworkSegment

CABLE = "idcbf68447-5fea-48db-8019-0646cf99bd8f"  # the first CableElectrique of dlva.gml


def dlva_copy(shared: Path, tmp_path: Path, edit) -> Path:
    out = tmp_path / "dlva.gml"
    out.write_text(edit((shared / "star-dt" / "dlva.gml").read_text(encoding="utf-8")), encoding="utf-8")
    return out


def nan_in_first_cable(text: str) -> str:
    head, tail = text.split(f'gml:id="{CABLE}"', 1)
    before, pos_list = tail.split("<gml:posList>", 1)
    values = pos_list.split(" ")
    values[5] = "NaN"  # the y of the third vertex, mid-line
    return head + f'gml:id="{CABLE}"' + before + "<gml:posList>" + " ".join(values)


def test_a_nan_in_a_stardt_cable_is_refused_before_writing_naming_file_feature_and_line(
    db, shared, tmp_path, twin_data, strasbourg
):
    path = dlva_copy(shared, tmp_path, nan_in_first_cable)
    with pytest.raises(ValidationError) as exc:
        import_path(path, options={"operator": "DLVA"})
    error = exc.value.errors[0]
    assert error.file.endswith("dlva.gml") and error.field == "geometrie"
    assert "line 22" in error.message and "NaN" in error.message
    assert error.feature_id == CABLE  # named by its own gml:id
    assert not NetworkSegment.objects.exists()
    assert SyncRun.objects.get().status == SyncRun.Status.FAILED


@pytest.mark.parametrize("value, says", [("inf", "infinite"), ("1e308", "beyond"), ("-1e400", "infinite")])
def test_infinite_and_absurd_coordinates_are_refused_too(shared, tmp_path, value, says):
    path = dlva_copy(shared, tmp_path, lambda t: nan_in_first_cable(t).replace(" NaN ", f" {value} ", 1))
    with pytest.raises(ValidationError) as exc:
        StarDTFormat().read(path, srid=2154)
    assert says in str(exc.value)


def test_a_regulatory_depth_that_is_not_finite_names_its_field(shared, tmp_path):
    path = dlva_copy(
        shared, tmp_path, lambda t: re.sub(r"(<star-dt:profondeurMinReg[^>]*>)[^<]*", r"\1nan", t, count=1)
    )
    with pytest.raises(ValidationError) as exc:
        StarDTFormat().read(path, srid=2154)
    assert {e.field for e in exc.value.errors} == {"profondeurMinReg"}
    assert "not a finite number" in str(exc.value)


def test_a_nan_in_a_mid_ring_vertex_of_a_cityjson_surface_fails_the_import_naming_the_building(
    db, shared, tmp_path, twin_data
):
    doc = json.loads((shared / "cityjson" / "DH_01_subs.city.json").read_text())
    oid, obj = next((k, o) for k, o in doc["CityObjects"].items() if o["type"] == "Building" and o.get("geometry"))
    ring = obj["geometry"][0]["boundaries"][0][0][0]
    vertex = ring[len(ring) // 2]
    doc["vertices"][vertex][2] = math.nan
    path = tmp_path / "DH_01_subs.city.json"
    path.write_text(json.dumps(doc))  # json writes the NaN literal, which Python's reader accepts
    with pytest.raises(ValidationError) as exc:
        import_path(path, srid=7415)
    error = exc.value.errors[0]
    assert error.feature_id == oid and error.field == f"vertices[{vertex}]"
    assert "DH_01_subs.city.json" in str(error)
    assert not Building.objects.exists()


def test_a_cityjson_part_with_a_broken_vertex_fails_its_building_too(shared, tmp_path):
    doc = json.loads((shared / "cityjson" / "DH_01_subs.city.json").read_text())
    pid, part = next((k, o) for k, o in doc["CityObjects"].items() if o.get("parents"))
    vertex = part["geometry"][0]["boundaries"][0][0][0][1]
    doc["vertices"][vertex][0] = math.inf
    path = tmp_path / "parts.city.json"
    path.write_text(json.dumps(doc))
    result = CityJSONFormat().read(path, srid=7415, storage_srid=28992, on_error="reject")
    rejected = {r.feature_id for r in result.report.rejected}
    assert pid in rejected and set(part["parents"]) <= rejected
    assert set(part["parents"]).isdisjoint(r.source_id for r in result.records)


def test_a_gml_declaring_entities_is_refused_as_such(shared, tmp_path):
    doctype = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    )
    path = dlva_copy(
        shared,
        tmp_path,
        lambda t: t.replace("?>\n", "?>\n" + doctype, 1).replace("<star-dt:nom>", "<star-dt:nom>&lol2;&xxe;", 1),
    )
    with pytest.raises(FormatError) as exc:
        StarDTFormat().read(path, srid=2154)
    assert "entity declarations are not allowed" in str(exc.value)
    assert exc.value.file.endswith("dlva.gml") and "Internal error" not in str(exc.value)


def test_links_to_a_network_that_is_not_in_the_file_fall_back_to_its_only_network(
    db, shared, tmp_path, twin_data, strasbourg
):
    # FME writes xlink:href="#Reseau" whatever gml:id it gives the ReseauUtilite.
    path = dlva_copy(shared, tmp_path, lambda t: t.replace('gml:id="Reseau"', 'gml:id="ReseauDLVA"'))
    run = import_path(path)
    dangling = [w for w in run.warnings if w["field"] == "reseau"]
    assert len(dangling) == 1 and "'#Reseau'" in dangling[0]["message"] and "294 features" in dangling[0]["message"]
    assert "DLVA" in dangling[0]["message"]
    assert set(NetworkOperator.objects.values_list("name", flat=True)) == {"DLVA"}
    assert not NetworkSegment.objects.filter(network__network_type="other").exists()
    assert not [w for w in run.warnings if "no operator" in w["message"]]


def test_links_that_point_nowhere_take_the_operator_from_the_options(db, shared, twin_data, strasbourg):
    run = import_path(shared / "star-dt" / "GRT.gml", options={"operator": "GRTgaz"})
    dangling = [w for w in run.warnings if w["field"] == "reseau"]
    assert len(dangling) == 1 and "--option operator=" in dangling[0]["message"]
    assert set(NetworkOperator.objects.values_list("name", flat=True)) == {"GRTgaz"}


@pytest.mark.parametrize("fill", [math.nan, 1e30, -3.4e38])
def test_a_dem_with_undeclared_fill_values_is_refused_with_what_to_do(data, tmp_path, fill):
    from django.contrib.gis.gdal import GDALRaster

    from gis_sync.formats.terrain import TerrainFormat

    src = GDALRaster(str(data / "dem_l93.tif"))
    cells = src.bands[0].data().astype("float32")
    cells[3, 4] = fill
    GDALRaster(
        {
            "driver": "GTiff",
            "name": str(tmp_path / "dem.tif"),
            "srid": src.srid,
            "width": src.width,
            "height": src.height,
            "origin": list(src.origin),
            "scale": list(src.scale),
            "datatype": 6,
            "bands": [{"data": cells.ravel().tolist(), "nodata_value": src.bands[0].nodata_value}],
        }
    )
    with pytest.raises(SyncError) as exc:
        TerrainFormat().read(tmp_path / "dem.tif")
    assert "1 cells" in str(exc.value) and "dem.tif" in str(exc.value) and "-a_nodata" in str(exc.value)
