"""manage.py build_tiles: progress, a summary table, and a non-zero exit with advice when it cannot build."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("build_tiles", *args, stdout=out)
    return out.getvalue()


def test_it_builds_the_named_layers_and_prints_a_summary(buildings, tiles_root):
    text = run("buildings", "terrain")
    assert "Building buildings" in text and "Building terrain" in text
    summary = text.split("layer ")[-1]
    assert "features" in summary and "tiles" in summary and "MB" in summary
    line = next(t for t in text.splitlines() if t.startswith("buildings ") and "published" in t)
    assert f" {len(buildings)} " in line
    assert "total" in text


def test_without_arguments_it_builds_what_was_never_published_then_says_nothing_to_do(buildings, tiles_root):
    first = run()
    assert "Building terrain" in first and "Building buildings" in first
    assert "nothing to build" in run().lower()


def test_it_fails_with_advice_when_there_is_no_terrain(db, tiles_root):
    with pytest.raises(CommandError) as info:
        run("terrain")
    message = str(info.value)
    assert "no active terrain" in message and "import" in message
    assert "previous builds" in message


def test_an_unknown_layer_is_named_with_the_known_ones(buildings, tiles_root):
    with pytest.raises(CommandError, match="no layer 'roads'.*buildings"):
        run("roads")


def test_stale_with_nothing_changed_says_so(buildings, tiles_root):
    run("buildings")
    with pytest.raises(CommandError, match="no layer has changed"):
        run("--stale")


def test_it_says_how_many_network_features_it_left_out_and_why(nodes, tiles_root):
    from django.contrib.gis.geos import LineString

    from tests.tiles.conftest import X0, Y0, make_network
    from twin.models import NetworkNode, NetworkSegment

    NetworkSegment.objects.create(
        network=make_network("water"),
        source_key="test",
        source_id="NO-AXIS",
        feature_type="Canalisation",
        geom=LineString([(X0 + 10, Y0 + 10), (X0 + 40, Y0 + 10)], srid=2154),
    )
    surveys = NetworkNode.objects.filter(node_type="survey_point").count()
    assert surveys >= 1
    text = run("networks")
    summary = text.split("total")[-1]
    assert (
        "networks: left out 1 feature: a segment with no 3D axis (no depth in the delivery and no terrain to "
        "hang a standard cover from): import a terrain or the depths, then sync again"
    ) in summary
    s = "" if surveys == 1 else "s"
    assert (
        f"networks: left out {surveys} feature{s}: a node of type survey_point: a measurement, not an object, "
        "never drawn"
    ) in summary


def test_it_says_which_model_parts_it_left_out_of_a_project_variant(tiles_root, tmp_path):
    import numpy as np

    from tests.tiles.test_build_projects import make_variant

    variant = make_variant(tmp_path, "a", 30.0)
    mesh = dict(np.load(variant.mesh_file))
    # A third part, "Auvent", whose two triangles each repeat a corner: nothing of it can be drawn.
    v = len(mesh["vertices"])
    x, y, z = mesh["vertices"][0]
    mesh["vertices"] = np.concatenate([mesh["vertices"], [[x, y, z], [x + 1, y, z], [x + 2, y, z]]])
    mesh["faces"] = np.concatenate([mesh["faces"], [[v, v, v + 1], [v + 1, v + 2, v + 2]]]).astype(np.uint32)
    mesh["face_part"] = np.concatenate([mesh["face_part"], [2, 2]]).astype(np.int32)
    mesh["part_names"] = np.array(["Tour", "Place", "Auvent"])
    mesh["part_types"] = np.array(["Building", "Site", "Roof"])
    np.savez(variant.mesh_file, **mesh)
    text = run(variant.tile_layer)
    assert (
        f"{variant.tile_layer}: left out 1 feature: a model part with no triangle that has an area (Auvent): "
        "check it in the model"
    ) in text.split("total")[-1]
