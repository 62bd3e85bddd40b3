"""`manage.py sync_report RUN`: a run's every error, warning and rejection, with file, feature and line."""

import io

import pytest
from django.core.management import CommandError, call_command

from gis_sync.errors import SyncError
from gis_sync.importer import import_path
from gis_sync.models import Source, SyncRun


def report(*args) -> str:
    out = io.StringIO()
    call_command("sync_report", *args, stdout=out)
    return out.getvalue()


def test_it_prints_every_warning_and_rejection_of_a_run(db, shared, twin_data, strasbourg):
    run = import_path(shared / "star-dt" / "GRDF.gml")
    assert len(run.warnings) > 5, "more than a terminal's summary shows"
    out = report(str(run.pk))
    lines = out.splitlines()
    assert lines[0].startswith(f"sync run #{run.pk}:") and run.summary() in out
    warnings = [line for line in lines if line.startswith("warning: ")]
    rejections = [line for line in lines if line.startswith("rejected: ")]
    assert len(warnings) == len(run.warnings) and len(rejections) == len(run.report["rejected"])
    for w, line in zip(run.warnings, warnings):
        assert line.endswith(w["message"])
        if w.get("feature"):
            assert f"feature {w['feature']}, line {w['line']}" in line
    first = run.report["rejected"][0]
    assert rejections[0] == (
        f"rejected: {first['type']}, feature {first['feature']}, line {first['line']}: {first['reason']}"
    )


def test_it_prints_every_error_and_rejection_of_a_failed_run_by_its_source_key(
    db, shared, tmp_path, twin_data, strasbourg
):
    text = (shared / "star-dt" / "GRT.gml").read_text(encoding="utf-8")
    bad = tmp_path / "GRT.gml"
    bad.write_text(text.replace("PipeMaterialTypeValue/steel", "PipeMaterialTypeValue/unobtainium"), encoding="utf-8")
    source = Source.objects.create(key="grt", name="GRT", format="stardt", location=str(bad))
    with pytest.raises(SyncError):
        source.sync()
    failed = SyncRun.objects.get()
    out = report("grt")
    assert f"sync run #{failed.pk}: grt" in out and "status failed" in out
    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    rejections = [line for line in out.splitlines() if line.startswith("rejected: ")]
    # All three pipes are wrong: each error is printed, where the terminal's one-line failure names the first.
    assert len(errors) == 3 and len(rejections) == 3
    assert all(
        "field materiau" in e
        and "'unobtainium' is not a value of PipeMaterialTypeValue" in e
        and "— use an INSPIRE PipeMaterialTypeValue code" in e
        for e in errors
    )
    assert len({e.split(", line ")[1].split(",")[0] for e in errors}) == 3  # three different lines


def test_it_names_the_latest_runs_when_the_one_asked_for_does_not_exist(db, shared, twin_data, strasbourg):
    run = import_path(shared / "star-dt" / "GRT.gml")
    with pytest.raises(CommandError, match=rf"no sync run '999' \(the latest runs: #{run.pk}\)"):
        report("999")
    with pytest.raises(CommandError, match="no sync run 'nope'"):
        report("nope")
