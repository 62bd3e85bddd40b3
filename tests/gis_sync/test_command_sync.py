"""`manage.py sync` and `manage.py import_file`: progress, summary, exit status."""

import io
import shutil

import pytest
from django.core.management import CommandError, call_command

from gis_sync import formats
from gis_sync.models import Source, SyncRun
from twin.models import Building, NetworkSegment

formats.get("stardt")  # loads every reader, so that each is tried below
FORMAT_NAMES = sorted(formats.FORMATS)


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def run_failing(*args) -> tuple[str, str]:
    """stderr, and the CommandError's message, of a command expected to fail."""
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command(*args, stdout=io.StringIO(), stderr=err)
    return err.getvalue(), str(exc.value)


def test_import_file_detects_the_format(db, shared, twin_data, strasbourg):
    out = run("import_file", str(shared / "star-dt" / "GRT.gml"))
    assert "as stardt" in out and "3 created" in out
    assert SyncRun.objects.get().format == "stardt" and NetworkSegment.objects.count() == 3


def test_import_file_takes_srid_kind_and_options(db, data, twin_data, strasbourg):
    out = run(
        "import_file",
        str(data / "batiment.geojson"),
        "--kind",
        "buildings",
        "--srid",
        "2154",
        "--option",
        "source_key=bati",
    )
    assert "3 created" in out and Building.objects.filter(source_key="bati").count() == 3


def test_import_file_exits_non_zero_and_says_what_to_do(db, data, twin_data):
    with pytest.raises(CommandError) as exc:
        run("import_file", str(data / "GRT_truncated.gml"))
    assert "nothing was changed" in str(exc.value) and "GRT_truncated.gml" in str(exc.value)


def test_sync_runs_a_configured_source_with_progress_and_a_summary(db, shared, twin_data, strasbourg):
    Source.objects.create(
        key="grdf",
        name="GRDF",
        format="stardt",
        location=str(shared / "star-dt" / "GRDF.gml"),
        options={"operator": "GRDF"},
    )
    out = run("sync", "grdf")
    assert "Reading GRDF.gml as stardt" in out and "networks:" in out and "grdf: 40 created" in out


def test_sync_prints_the_warnings_and_rejections_it_kept_with_their_file_and_feature(db, shared, twin_data, strasbourg):
    Source.objects.create(
        key="grdf",
        name="GRDF",
        format="stardt",
        location=str(shared / "star-dt" / "GRDF.gml"),
        options={"operator": "GRDF"},
    )
    out = run("sync", "grdf")
    run_ = Source.objects.get(key="grdf").last_run()
    rejected = run_.report["rejected"]
    assert run_.warnings and rejected, "the official GRDF sample has warnings and rejections to show"
    said = [line.strip() for line in out.splitlines()]
    warnings = [line for line in said if line.startswith("warning:")]
    rejections = [line for line in said if line.startswith("rejected:")]
    assert len(warnings) == min(5, len(run_.warnings))
    first = run_.warnings[0]
    assert warnings[0].startswith(f"warning: {first['file']}, feature {first['feature']}")
    assert warnings[0].endswith(first["message"])
    if len(run_.warnings) > 5:
        rest = len(run_.warnings) - 5
        assert (
            f"… and {rest} more warning{'' if rest == 1 else 's'} of sync run #{run_.pk}: read them all with "
            f"`manage.py sync_report {run_.pk}` or on the admin page /admin/gis_sync/syncrun/{run_.pk}/change/" in said
        )
    # Rejections of one kind (the sample's drawing annotations) make one line with their count.
    cote = [r for r in rejected if r["type"] == "Cote"]
    assert len(cote) > 1
    assert (
        f"rejected: {len(cote)} × Cote: {cote[0]['reason']} (first: feature {cote[0]['feature']}, "
        f"line {cote[0]['line']})" in rejections
    )
    assert sum(int(line.split(": ", 1)[1].split(" × ")[0]) for line in rejections) == len(rejected)
    n = len(run_.warnings)
    assert f"{n} warning{'' if n == 1 else 's'} in" in out


def test_sync_says_its_summary_and_each_warning_once(db, shared, twin_data, strasbourg):
    Source.objects.create(
        key="grdf",
        name="GRDF",
        format="stardt",
        location=str(shared / "star-dt" / "GRDF.gml"),
        options={"operator": "GRDF"},
    )
    out = run("sync", "grdf")
    run_ = SyncRun.objects.get()
    assert out.count(run_.summary()) == 1 and out.count(f"sync run #{run_.pk})") == 1
    lines = [line.strip() for line in out.splitlines() if line.strip().startswith(("warning:", "rejected:"))]
    assert lines and len(lines) == len(set(lines))


def test_import_file_says_its_summary_and_each_warning_once(db, shared, twin_data, strasbourg):
    out = run("import_file", str(shared / "star-dt" / "GRDF.gml"), "--option", "operator=GRDF")
    run_ = SyncRun.objects.get()
    assert out.count(run_.summary()) == 1
    warnings = [line.strip() for line in out.splitlines() if line.strip().startswith("warning:")]
    assert len(warnings) == min(5, len(run_.warnings)) and len(warnings) == len(set(warnings))


def test_warnings_and_rejections_name_the_feature_by_its_gml_id_and_line(db, shared, twin_data, strasbourg):
    path = shared / "star-dt" / "GRDF.gml"
    run("import_file", str(path))
    run_ = SyncRun.objects.get()
    lines = path.read_text(encoding="utf-8").splitlines()
    named = [item for item in run_.warnings + run_.report["rejected"] if item.get("feature")]
    assert named
    for item in named:
        # The line the run names is the one where that gml:id stands in the delivered file.
        assert f'gml:id="{item["feature"]}"' in lines[item["line"] - 1]


def test_sync_exits_non_zero_on_failure(db, shared, data, tmp_path, twin_data, strasbourg):
    broken = tmp_path / "GRT.gml"
    shutil.copy(data / "GRT_truncated.gml", broken)
    Source.objects.create(key="grt", name="GRT", format="stardt", location=str(broken))
    Source.objects.create(key="grdf", name="GRDF", format="stardt", location=str(shared / "star-dt" / "GRDF.gml"))
    with pytest.raises(CommandError) as exc:
        run("sync", "--all")
    assert "1 of 2 sources failed (grt)" in str(exc.value) and "manage.py sync grt" in str(exc.value)
    assert NetworkSegment.objects.filter(source_key="grdf").exists()  # the other source still synced
    assert Source.objects.get(key="grt").last_run().status == "failed"


def test_sync_refuses_unknown_keys_and_ambiguous_calls(db):
    with pytest.raises(CommandError, match="unknown source nope"):
        run("sync", "nope")
    with pytest.raises(CommandError, match="--all"):
        run("sync")


def test_a_failed_sync_ends_with_its_run_and_where_to_read_every_rejection(db, data, tmp_path, twin_data, strasbourg):
    Source.objects.create(key="bad", name="Bad", format="stardt", location=str(data / "stardt_unknown_material.gml"))
    err, message = run_failing("sync", "bad")
    failed = Source.objects.get(key="bad").last_run()
    assert failed.status == "failed"
    assert (
        f"bad: sync run #{failed.pk} failed; read every error, warning and rejection with "
        f"`manage.py sync_report {failed.pk}` or on the admin page "
        f"/admin/gis_sync/syncrun/{failed.pk}/change/" in err
    )
    assert f"`manage.py sync_report {failed.pk}`" in message
    assert "feature id47b09537-ffc3-4f33-8430-67ba3eff29af, line 4, field materiau" in err


def test_a_failed_import_file_names_its_run(db, data, twin_data, strasbourg):
    _, message = run_failing("import_file", str(data / "stardt_unknown_material.gml"))
    failed = SyncRun.objects.get()
    assert f"Sync run #{failed.pk} failed: read it in full with `manage.py sync_report {failed.pk}`" in message


def test_on_error_reject_imports_the_good_features_and_lists_the_others(db, shared, tmp_path, twin_data, strasbourg):
    text = (shared / "star-dt" / "GRT.gml").read_text(encoding="utf-8")
    bad = tmp_path / "GRT_one_bad.gml"
    bad.write_text(
        text.replace("PipeMaterialTypeValue/steel", "PipeMaterialTypeValue/unobtainium", 1), encoding="utf-8"
    )
    assert bad.read_text(encoding="utf-8") != text
    run_failing("import_file", str(bad))
    assert NetworkSegment.objects.count() == 0
    out = run("import_file", str(bad), "--option", "on_error=reject")
    assert "2 created" in out and "1 rejected" in out and NetworkSegment.objects.count() == 2
    with pytest.raises(CommandError, match="on_error='skip' is not one of raise, reject"):
        run("import_file", str(bad), "--option", "on_error=skip")


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_an_empty_file_is_called_empty_whatever_its_format(db, tmp_path, twin_data, name):
    reader = formats.get(name)
    empty = tmp_path / f"delivery{reader.extensions[0] if reader.extensions else '.dat'}"
    empty.write_bytes(b"")
    for args in (("--format", name), ()):
        _, message = run_failing("import_file", str(empty), *args)
        assert f"{empty.name} is empty (0 bytes)" in message


def test_a_cityjson_object_is_named_by_its_id_and_line(db, data, tmp_path, twin_data, strasbourg):
    import json

    doc = json.loads((data / "block_lod1.city.json").read_text(encoding="utf-8"))
    doc["CityObjects"]["lamp-7"] = {"type": "CityFurniture", "geometry": []}
    path = tmp_path / "block_with_lamp.city.json"
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    out = run("import_file", str(path))
    rejected = SyncRun.objects.get().report["rejected"]
    assert [(r["feature"], r["type"]) for r in rejected] == [("lamp-7", "CityFurniture")]
    line = rejected[0]["line"]
    assert path.read_text(encoding="utf-8").splitlines()[line - 1].strip() == '"lamp-7": {'
    assert f"(first: feature lamp-7, line {line})" in out
