"""Each project variant is its own tileset: the placed mesh, one pickable feature per part, with project and status."""

from __future__ import annotations

from importlib import import_module

import numpy as np
import pytest

from tests.tiles.conftest import X0, Y0
from tests.tiles.tile_reading import contents, decode
from tiles.build import build_layers, known_layers
from twin.geoid import city_frame
from twin.models import PlanningProject, ProjectVariant

pytestmark = pytest.mark.django_db


def make_variant(tmp_path, slug: str, height: float) -> ProjectVariant:
    project, _ = PlanningProject.objects.get_or_create(
        slug="ilot-pasteur", defaults={"name": "Îlot Pasteur", "status": "consultation"}
    )
    # A box (tower) and a flat square (plaza) placed in the storage CRS.
    x, y, z = X0 + 500, Y0 + 500, 20.0
    box = np.array(
        [[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0], [0, 0, 1], [10, 0, 1], [10, 10, 1], [0, 10, 1]], float
    )
    box[:, 2] *= height
    faces = np.array(
        [
            [0, 2, 1],
            [0, 3, 2],
            [4, 5, 6],
            [4, 6, 7],
            [0, 1, 5],
            [0, 5, 4],
            [1, 2, 6],
            [1, 6, 5],
            [2, 3, 7],
            [2, 7, 6],
            [3, 0, 4],
            [3, 4, 7],
        ]
    )
    plaza = np.array([[-20, -20, 0], [-2, -20, 0], [-2, -2, 0], [-20, -2, 0]], float)
    vertices = np.concatenate([box, plaza]) + [x, y, z]
    faces = np.concatenate([faces, np.array([[8, 9, 10], [8, 10, 11]])])
    path = tmp_path / f"{slug}.npz"
    np.savez(
        path,
        vertices=vertices,
        faces=faces.astype(np.uint32),
        face_part=np.array([0] * 12 + [1] * 2, np.int32),
        part_names=np.array(["Tour", "Place"]),
        part_types=np.array(["Building", "Site"]),
    )
    return ProjectVariant.objects.create(
        project=project,
        name=f"Variante {slug}",
        slug=slug,
        model_file="m.ifc",
        model_format="ifc",
        mesh_file=str(path),
        triangle_count=14,
    )


def test_each_variant_is_its_own_layer_with_its_mesh_in_place(db, tmp_path, tiles_root):
    a = make_variant(tmp_path, "a", 30.0)
    b = make_variant(tmp_path, "b", 12.0)
    assert {a.tile_layer, b.tile_layer} <= set(known_layers())
    records = build_layers([a.tile_layer, b.tile_layer], progress=lambda m: None)
    assert [r.status for r in records] == ["published", "published"]
    frame = city_frame()
    for variant, height in ((a, 30.0), (b, 12.0)):
        [content] = contents(tiles_root, variant.tile_layer)
        [prim], table, _ = decode(content)
        assert table["name"] == ["Tour", "Place"]
        assert table["status"] == ["consultation"] * 2 and table["project"] == ["Îlot Pasteur"] * 2
        assert table["variant"] == [variant.name] * 2
        x, y, h = frame.from_ecef(prim.ecef)
        tower = prim.feature_ids == 0
        assert h[tower].max() == pytest.approx(20.0 + height, abs=0.05)
        assert x[tower].min() == pytest.approx(X0 + 500, abs=0.05) and y[tower].max() == pytest.approx(
            Y0 + 510, abs=0.05
        )
        assert set(np.unique(prim.feature_ids)) == {0, 1}
        assert prim.material.get("doubleSided") is True


@pytest.mark.django_db(transaction=True)
def test_areas_waiting_under_an_old_layer_name_are_rebuilt_under_the_variant_key(tmp_path, tiles_root):
    """Areas a sync left under an old project layer name (migration 0002), still waiting in the tiles app's own
    table, are moved into twin's change log by migration 0003 and rebuilt under the variant keys."""
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from tiles.build import stale_layers
    from tiles.models import TileBuild

    before_log = [("tiles", "0002_project_layers_named_by_variant_key")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before_log)
    try:
        old = MigrationExecutor(connection).loader.project_state(before_log).apps
        DirtyArea = old.get_model("tiles", "DirtyArea")
        a = make_variant(tmp_path, "a", 30.0)
        other = PlanningProject.objects.create(name="Îlot", slug="ilot")
        # "ilot" + "pasteur-a" read as "ilot-pasteur" + "a" did: the old name meant both variants.
        twin = ProjectVariant.objects.create(
            project=other, name="Pasteur A", slug="pasteur-a", model_file="m.ifc", model_format="ifc"
        )
        b = make_variant(tmp_path, "b", 12.0)
        area = MultiPolygon(Polygon.from_bbox((X0, Y0, X0 + 10, Y0 + 10)), srid=2154)
        DirtyArea.objects.create(layer="project-ilot-pasteur-a", area=area)
        DirtyArea.objects.create(layer="project-ilot-pasteur-b", area=area)
        TileBuild.objects.create(layer="project-ilot-pasteur-b", version="20261204T154113123456Z-1", status="published")
        import_module("tiles.migrations.0002_project_layers_named_by_variant_key").to_variant_keys(old, None)
        assert sorted(DirtyArea.objects.values_list("layer", flat=True)) == sorted(
            [a.tile_layer, twin.tile_layer, b.tile_layer]
        )
        assert TileBuild.objects.get().layer == b.tile_layer
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert set(stale_layers()) == {a.tile_layer, twin.tile_layer, b.tile_layer}
