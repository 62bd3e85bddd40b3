"""StaR-DT deliveries into the twin: the CNIG samples, broken files, depth to 3D."""

import pytest

from gis_sync.errors import CodeListError, FormatError
from gis_sync.importer import import_path
from gis_sync.models import SyncRun
from twin.models import DepthObservation, Network, NetworkNode, NetworkSegment


def accounted(run: SyncRun) -> int:
    r = run.report
    return sum(r["imported"].values()) + sum(r["metadata"].values()) + len(r["rejected"])


def test_the_official_grdf_sample_imports_with_every_member_accounted_for(db, shared, twin_data, strasbourg):
    run = import_path(shared / "star-dt" / "GRDF.gml", options={"operator": "GRDF", "network_type": "gas"})
    assert run.status == SyncRun.Status.SUCCESS
    assert run.report["members"] == 55 and accounted(run) == 55
    assert run.rejected == 14 and all("annotation" in r["reason"] for r in run.report["rejected"])
    assert NetworkSegment.objects.count() == 13 + 2  # pipes and sleeves
    assert NetworkNode.objects.count() == 8 + 1 + 9 + 7  # fittings, building, cabinets, survey points
    assert run.created == 15 + 25 and run.updated == run.deleted == 0
    assert set(Network.objects.values_list("network_type", flat=True)) == {"gas"}
    assert run.dirty_layers == ["networks"] and run.dirty_area is not None
    assert run.derived == []  # nothing derived is cast from the networks


def test_the_official_grt_and_dlva_samples_import_with_every_member_accounted_for(db, shared, twin_data, strasbourg):
    grt = import_path(shared / "star-dt" / "GRT.gml")
    assert accounted(grt) == grt.report["members"] and grt.created == 3
    dlva = import_path(shared / "star-dt" / "dlva.gml", options={"operator": "DLVA"})
    assert accounted(dlva) == dlva.report["members"] and dlva.rejected == 0
    assert dlva.created == 9 + 72 + 82 + 53 + 78
    types = set(Network.objects.values_list("network_type", flat=True))
    assert {"gas", "water", "stormwater", "lighting"} <= types


def test_a_truncated_gml_changes_nothing_and_names_the_file(db, shared, data, twin_data, strasbourg):
    import_path(shared / "star-dt" / "GRT.gml", options={"source_key": "grt"})
    before = list(NetworkSegment.objects.values_list("source_id", "content_hash"))
    with pytest.raises(FormatError) as exc:
        import_path(data / "GRT_truncated.gml", options={"source_key": "grt"})
    assert "GRT_truncated.gml" in str(exc.value) and "truncated" in str(exc.value)
    assert list(NetworkSegment.objects.values_list("source_id", "content_hash")) == before
    failed = SyncRun.objects.get(status=SyncRun.Status.FAILED)
    assert failed.errors[0]["file"] == "GRT_truncated.gml" and "line" in failed.errors[0]["message"]
    assert failed.created == failed.deleted == 0 and failed.finished_at is not None


def test_an_unknown_code_is_refused_with_its_feature_and_field(db, data, twin_data, strasbourg):
    with pytest.raises(Exception) as exc:
        import_path(data / "stardt_unknown_material.gml")
    assert isinstance(exc.value, (CodeListError, ValueError))
    failed = SyncRun.objects.get()
    assert failed.status == "failed"
    error = failed.errors[0]
    assert error["field"] == "materiau" and error["feature"] and "unobtainium" in error["message"]
    assert not NetworkSegment.objects.exists()


def test_an_undefined_srs_name_is_read_in_the_configured_crs_with_a_warning(db, data, twin_data, strasbourg):
    run = import_path(data / "stardt_undefined_srs_3d.gml", srid=2154)
    assert run.created == 1
    assert any(w["field"] == "srsName" for w in run.warnings)
    segment = NetworkSegment.objects.get()
    assert segment.axis_method == "vertex_z" and segment.axis.coords[0][2] == pytest.approx(139.2)


def test_segments_get_a_3d_axis_with_method_and_precision(db, shared, terrain):
    import_path(shared / "star-dt" / "GRT.gml")
    pipe = NetworkSegment.objects.first()
    assert pipe.axis is not None and pipe.axis_method == "standard_depth" and pipe.axis_is_estimate
    assert pipe.precision_xy == "A"
    ground = terrain.sampler()([pipe.geom.coords[0][0]], [pipe.geom.coords[0][1]])[0]
    assert pipe.axis.coords[0][2] < ground - 0.5


def test_survey_points_become_depth_observations_and_the_axis_can_be_recomputed(db, shared, terrain):
    import_path(shared / "star-dt" / "GRDF.gml")
    pipe = NetworkSegment.objects.filter(axis_method="survey").first()
    assert pipe is not None
    obs = list(pipe.observations.all())
    assert obs and all(o.note == "survey" and o.point is not None for o in obs)
    stored = pipe.axis.coords
    pipe.axis = None
    pipe.axis_from_observations(terrain.sampler())
    assert pipe.axis_method == "survey"
    assert [c for p in pipe.axis.coords for c in p] == pytest.approx([c for p in stored for c in p])
    assert DepthObservation.objects.filter(segment__network__network_type="gas").exists()


def test_a_delivery_off_the_schema_imports_with_the_violations_in_the_run_warnings(
    db, shared, tmp_path, twin_data, strasbourg
):
    text = (shared / "star-dt" / "GRT.gml").read_text(encoding="utf-8")
    off = tmp_path / "GRT.gml"
    off.write_text(
        text.replace(
            "<star-dt:precisionXY>B</star-dt:precisionXY>", "<star-dt:precisionXY>other: GNSS</star-dt:precisionXY>"
        ).replace('<star-dt:reseau xlink:href="#Reseau"/>', "", 1),
        encoding="utf-8",
    )
    run = import_path(off)
    assert run.status == SyncRun.Status.SUCCESS and run.created == 3
    schema = [w for w in run.warnings if "StaRDT.xsd" in w["message"]]
    assert len(schema) == 1  # 'other: GNSS' is a valid precision class (pattern 'other: \w{2,}'); no reseau is not
    assert schema[0]["feature"] == "id47b09537-ffc3-4f33-8430-67ba3eff29af"
    assert schema[0]["line"] == 6
    assert schema[0]["message"].startswith("Element 'star-dt:identifiant': This element is not expected.")
