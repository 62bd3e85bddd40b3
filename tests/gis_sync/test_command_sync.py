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
