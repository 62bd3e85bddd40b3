"""A layer's build split over jobs on a real worker writes the very bytes one job writes, and publishes once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gis_sync.conftest import DATA
from tests.jobs.conftest import result_of, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _files(folder: Path, version: str) -> dict[str, bytes]:
    """Every file of a build and its bytes; the build's own version name (tileset.json carries it) set aside."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes().replace(version.encode(), b"VERSION")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_split_build_writes_what_one_job_writes_and_publishes_once(jobs_env, settings):
    from gis_sync.importer import import_path
    from tiles.models import TileBuild
    from tiles.publish import current_version
    from tiles.tasks import build_layer
    from twin.models import JobLock

    import_path(DATA / "batiment.geojson", options={"source_key": "bati"})
    builds = {}
    for parts in (3, 1):
        job = build_layer.delay("buildings", parts=parts)
        row = wait_for([job.id], jobs_env, timeout=120)[job.id]
        assert row.status == "SUCCESS", row.traceback
        result = result_of(row)
        assert result["status"] == "published", result
        assert current_version(settings.JUMEAU_TILES_DIR, "buildings") == result["version"]
        builds[parts] = result["version"]
    root = Path(settings.JUMEAU_TILES_DIR) / ".builds" / "buildings"
    split, single = (_files(root / builds[p], builds[p]) for p in (3, 1))
    assert split and split.keys() == single.keys()
    assert [name for name in split if split[name] != single[name]] == []
    # One publish per build, and no work folder or lock left behind.
    assert list(TileBuild.objects.order_by("pk").values_list("version", "status")) == [
        (builds[3], "superseded"),
        (builds[1], "published"),
    ]
    assert not any((root / f"{v}.work").exists() for v in builds.values()) and not JobLock.objects.exists()
