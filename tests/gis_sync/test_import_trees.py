"""A city's tree inventory into the twin: crowns from the usual fields, broken crowns named by file and feature."""

import json

import pytest

from gis_sync.errors import ValidationError
from gis_sync.importer import import_path
from gis_sync.models import SyncRun
from twin.models import Tree


def test_a_tree_inventory_gives_each_tree_its_crown_on_the_ground(db, data, terrain):
    run = import_path(data / "arbres.geojson")
    assert run.created == 3
    plane = Tree.objects.get(source_id="101")
    assert (plane.species, plane.height_m, plane.crown_radius_m, plane.crown_base_m) == ("Platane", 14.0, 5.0, 4.0)
    assert 139.0 < plane.ground_z < 143.0  # from the terrain under its foot
    assert plane.crown_top_z == pytest.approx(plane.ground_z + 14.0)
    # "12,5": a decimal comma, as French spreadsheets write it.
    assert Tree.objects.get(source_id="103").height_m == 12.5
    # No crown base in the inventory: a share of the height, said in a warning.
    hackberry = Tree.objects.get(source_id="102")
    assert hackberry.crown_base_m == pytest.approx(0.35 * 9.0)
    assert any("no crown base" in w["message"] and "1 features" in w["message"] for w in run.warnings)
    crowns = Tree.objects.crown_arrays()
    assert sorted(crowns["radius"].tolist()) == [3.0, 5.0, 6.0]
    assert (crowns["top_z"] > crowns["base_z"]).all()


def test_a_second_delivery_changes_only_what_changed(db, data, terrain, tmp_path):
    from twin.models import Change

    changes = Change.objects.count()
    first = import_path(data / "arbres.geojson", options={"source_key": "arbres"})
    # The shade is stale; no tile layer draws trees: no tile layer named, no change-log entry a tile build would
    # take for a layer to build.
    assert (first.dirty_layers, first.derived) == ([], ["shade"]) and Change.objects.count() == changes
    before = Tree.objects.fingerprint()
    run = import_path(data / "arbres.geojson", options={"source_key": "arbres"})
    assert (run.created, run.updated, run.deleted, run.unchanged) == (0, 0, 0, 3)
    assert (run.dirty_layers, run.derived) == ([], [])
    assert Tree.objects.fingerprint() == before

    # One tree gone from the next delivery: the shade is stale again.
    one_less = tmp_path / "arbres.geojson"
    collection = json.loads((data / "arbres.geojson").read_text())
    collection["features"] = collection["features"][1:]
    one_less.write_text(json.dumps(collection))
    run = import_path(one_less, options={"source_key": "arbres"})
    assert (run.deleted, run.dirty_layers, run.derived) == (1, [], ["shade"])


def test_trees_without_a_crown_or_with_a_crown_above_their_top_are_named(db, data, terrain):
    with pytest.raises(ValidationError) as exc:
        import_path(data / "arbres_bad.geojson")
    assert "arbres_bad.geojson, feature arbres_bad.202, field crown_diameter: the tree has no crown diameter" in str(
        exc.value
    )
    assert not Tree.objects.exists()
    run = SyncRun.objects.latest("pk")
    assert run.status == SyncRun.Status.FAILED
    assert {(e["file"], e["feature"], e["field"]) for e in run.errors} == {
        ("arbres_bad.geojson", "arbres_bad.202", "crown_diameter"),
        ("arbres_bad.geojson", "arbres_bad.203", "crown_base"),
    }
    assert any("not under the tree's top (8.0 m)" in e["message"] for e in run.errors)


def test_the_good_trees_come_in_when_the_broken_ones_are_rejected(db, data, terrain):
    run = import_path(data / "arbres_bad.geojson", options={"on_error": "reject"})
    assert run.created == 1 and run.rejected == 2
    assert Tree.objects.get().species == "Platane"


def test_a_layer_is_read_as_trees_by_its_name_and_streets_stay_streets():
    from types import SimpleNamespace

    from gis_sync.formats.ogr_layers import guess_kind

    def layer(name, geom="Point"):
        return SimpleNamespace(name=name, geom_type=SimpleNamespace(name=geom))

    assert guess_kind(layer("arbres_alignement"), None) == "trees"
    assert guess_kind(layer("street_trees"), None) == "trees"
    assert guess_kind(layer("streets", "LineString"), None) == "streets"


@pytest.mark.django_db(transaction=True)
def test_runs_recorded_before_derived_products_were_named_apart_say_what_they_made_stale():
    """After migration 0003 an old run names tile layers only among its dirty layers, and the derived products it
    made stale apart, as a new run would: the trees made the shade stale, buildings and terrain the surface model,
    a project layer its variant's impact report."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("gis_sync", "0002_syncrun_report")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps.get_model("gis_sync", "SyncRun")
        layers = [["trees"], ["buildings", "trees"], ["terrain", "basemap"], ["project-12"], ["networks"], []]
        pks = [old.objects.create(path="delivery", dirty_layers=dirty).pk for dirty in layers]
    finally:
        MigrationExecutor(connection).migrate(latest)
    runs = SyncRun.objects.in_bulk(pks)
    assert [(runs[pk].dirty_layers, runs[pk].derived) for pk in pks] == [
        ([], ["shade"]),
        (["buildings"], ["shade", "surface"]),
        (["terrain", "basemap"], ["surface"]),
        (["project-12"], ["impact-12"]),
        (["networks"], []),
        ([], []),
    ]
