"""`manage.py sync` and `manage.py import_file`: progress, summary, exit status."""
import io
import shutil

import pytest
from django.core.management import CommandError, call_command

from gis_sync.models import Source, SyncRun
from twin.models import Building, NetworkSegment


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_file_detects_the_format(db, shared, twin_data, strasbourg):
    out = run("import_file", str(shared / "star-dt" / "GRT.gml"))
    assert "as stardt" in out and "3 created" in out
    assert SyncRun.objects.get().format == "stardt" and NetworkSegment.objects.count() == 3


def test_import_file_takes_srid_kind_and_options(db, data, twin_data, strasbourg):
    out = run("import_file", str(data / "batiment.geojson"), "--kind", "buildings", "--srid", "2154",
              "--option", "source_key=bati")
    assert "3 created" in out and Building.objects.filter(source_key="bati").count() == 3


def test_import_file_exits_non_zero_and_says_what_to_do(db, data, twin_data):
    with pytest.raises(CommandError) as exc:
        run("import_file", str(data / "GRT_truncated.gml"))
    assert "nothing was changed" in str(exc.value) and "GRT_truncated.gml" in str(exc.value)


def test_sync_runs_a_configured_source_with_progress_and_a_summary(db, shared, twin_data, strasbourg):
    Source.objects.create(key="grdf", name="GRDF", format="stardt", location=str(shared / "star-dt" / "GRDF.gml"),
                          options={"operator": "GRDF"})
    out = run("sync", "grdf")
    assert "Reading GRDF.gml as stardt" in out and "networks:" in out and "grdf: 40 created" in out


def test_sync_prints_the_warnings_and_rejections_it_kept_with_their_file_and_feature(db, shared, twin_data, strasbourg):
    Source.objects.create(key="grdf", name="GRDF", format="stardt", location=str(shared / "star-dt" / "GRDF.gml"),
                          options={"operator": "GRDF"})
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
        assert f"… and {rest} more warning{'' if rest == 1 else 's'}: the admin's Sync runs list them all " \
               f"(run #{run_.pk})" in said
    # Rejections of one kind (the sample's drawing annotations) make one line with their count.
    cote = [r for r in rejected if r["type"] == "Cote"]
    assert len(cote) > 1
    assert f"rejected: {len(cote)} × Cote: {cote[0]['reason']} (first: feature {cote[0]['feature']})" in rejections
    assert sum(int(line.split(": ", 1)[1].split(" × ")[0]) for line in rejections) == len(rejected)
    n = len(run_.warnings)
    assert f"{n} warning{'' if n == 1 else 's'} in" in out


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
