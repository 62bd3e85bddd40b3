"""Syncs as jobs on a real worker: a sync that lands queues exactly the rebuilds of what it made stale, tile layers and
derived products, which publish; a failed sync queues nothing, leaves the tiles as they were and stops no other
source."""

from __future__ import annotations

import pytest

from tests.gis_sync.conftest import DATA
from tests.jobs.conftest import result_of, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _source(key: str, location) -> None:
    from gis_sync.models import Source

    Source.objects.create(key=key, name=key, location=str(location))


def _all_jobs() -> set[str]:
    """Every job queued, a split build's parts left out (they are that build's job), and the housekeeping a worker
    runs when it starts (`tiles.recover_builds`, which no sync queues: whether it has finished yet when the first
    test reads the list depends on timing)."""
    from django_celery_results.models import TaskResult

    not_queued_by_a_sync = ["tiles.scan_part", "tiles.preload_build", "tiles.write_part", "tiles.recover_builds"]
    return set(TaskResult.objects.exclude(task_name__in=not_queued_by_a_sync).values_list("task_id", flat=True))


def _sync(key: str, worker) -> dict:
    """Queue the sync of `key`, wait for it and for every job it queued; return its result."""
    from gis_sync.tasks import sync_source

    job = sync_source.delay(key)
    row = wait_for([job.id], worker)[job.id]
    assert row.status == "SUCCESS", row.traceback
    result = result_of(row)
    queued = wait_for(result["queued"].values(), worker)
    assert all(r.status == "SUCCESS" for r in queued.values()), [r.traceback for r in queued.values()]
    return {"id": job.id, **result}


def test_a_sync_queues_exactly_the_builds_it_made_stale_and_they_publish(jobs_env):
    from gis_sync.importer import import_path
    from tiles.build import stale_layers
    from tiles.models import TileBuild
    from tiles.publish import current_dir

    import_path(DATA / "dem_l93.tif", options={"source_key": "dem"})  # terrain and basemap stale, not by this sync
    _source("bati", DATA / "batiment.geojson")
    result = _sync("bati", jobs_env)

    assert result["created"] == 3 and result["dirty_layers"] == ["buildings"] and result["derived"] == ["surface"]
    assert set(result["queued"]) == {"tiles:buildings", "dsm", "shade", "impact"}  # they follow the surface model
    assert _all_jobs() == {result["id"], *result["queued"].values()}  # nothing else ran, terrain included
    assert "terrain" in stale_layers() and "buildings" not in stale_layers()
    build = TileBuild.objects.get(layer="buildings")
    assert build.status == "published" and build.features == 3
    assert (current_dir(jobs_env.folders["tiles"], "buildings") / "tileset.json").is_file()
    assert (jobs_env.folders["var"] / "dsm").is_dir()
    assert "buildings: 3 features" in jobs_env.log()


def test_a_failed_sync_queues_nothing_keeps_the_tiles_and_stops_no_other_source(jobs_env):
    from gis_sync.models import SyncRun
    from gis_sync.tasks import sync_source
    from tiles.models import TileBuild
    from tiles.publish import current_version

    _source("bati", DATA / "batiment.geojson")
    _sync("bati", jobs_env)
    published = current_version(jobs_env.folders["tiles"], "buildings")
    before = _all_jobs()

    _source("gone", DATA / "no_such_delivery.geojson")
    failed = sync_source.delay("gone")
    row = wait_for([failed.id], jobs_env)[failed.id]
    assert row.status == "FAILURE" and "no_such_delivery.geojson does not exist" in row.result
    assert _all_jobs() == before | {failed.id}
    run = SyncRun.objects.get(source__key="gone")
    assert (run.dirty_layers, run.derived) == ([], [])
    assert current_version(jobs_env.folders["tiles"], "buildings") == published
    assert TileBuild.objects.count() == 1
    assert SyncRun.objects.get(source__key="gone").status == "failed"

    # Both queued at once: the failing source does not stop the other one's sync and rebuild.
    _source("block", DATA / "block_lod1.city.json")
    again = sync_source.delay("gone")
    landed = _sync("block", jobs_env)
    assert wait_for([again.id], jobs_env)[again.id].status == "FAILURE"
    assert set(landed["queued"]) == {"tiles:buildings"}  # no terrain: no surface model to rebuild
    assert current_version(jobs_env.folders["tiles"], "buildings") != published
    assert TileBuild.objects.filter(status="published").get().features == 4


def test_a_trees_sync_queues_the_shade_alone_which_casts_them_and_a_redelivery_queues_nothing(jobs_env):
    from gis_sync.importer import import_path
    from realtime.shade import ShadeTable
    from tiles.models import TileBuild

    import_path(DATA / "dem_l93.tif", options={"source_key": "dem"})
    import_path(DATA / "troncon_de_route.geojson", options={"source_key": "rues"})  # the walks to shade
    _source("arbres", DATA / "arbres.geojson")
    before = _all_jobs()  # the worker's own start-up jobs, when this test is its first
    result = _sync("arbres", jobs_env)

    # No tile layer draws trees, and the surface model has none of them: the shade alone is stale.
    assert result["created"] == 3 and result["dirty_layers"] == [] and result["derived"] == ["shade"]
    assert set(result["queued"]) == {"shade"}
    assert _all_jobs() - before == {result["id"], *result["queued"].values()}
    assert not TileBuild.objects.filter(layer="trees").exists()
    table = ShadeTable.load(jobs_env.folders["var"] / "shade" / "shade.npz")
    assert table.trees == 3 and "+trees:" in table.surface  # cast with the crowns, named so a tree change shows

    again = _sync("arbres", jobs_env)
    assert again["unchanged"] == 3 and again["dirty_layers"] == again["derived"] == [] and again["queued"] == {}


def test_a_project_sync_queues_its_tiles_and_its_variants_impact_report_alone(jobs_env):
    from gis_sync.importer import import_path
    from gis_sync.models import Source
    from tiles.models import TileBuild
    from twin.models import ProjectVariant
    from viewshed.models import ImpactReport

    import_path(DATA / "dem_l93.tif", options={"source_key": "dem"})
    placement = {"origin": [1050950.0, 6840620.0], "rotation_deg": 0, "elevation": 141.0}  # among the buildings
    Source.objects.create(
        key="kiosque",
        name="kiosque",
        location=str(DATA / "kiosk.glb"),
        options={"project": "Kiosque", "variant": "A", "placement": placement},
    )
    before = _all_jobs()
    result = _sync("kiosque", jobs_env)

    variant = ProjectVariant.objects.get()
    assert result["dirty_layers"] == [variant.tile_layer] and result["derived"] == [f"impact-{variant.pk}"]
    # The surface model has no project in it: neither it nor the shade are stale.
    assert set(result["queued"]) == {f"tiles:{variant.tile_layer}", "impact"}
    assert _all_jobs() - before == {result["id"], *result["queued"].values()}
    assert TileBuild.objects.get(layer=variant.tile_layer).status == "published"
    assert ImpactReport.objects.filter(variant=variant).exists()
