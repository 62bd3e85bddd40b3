"""Planning projects into the twin: glTF variants placed by the demo's convention, IFC, CityJSON."""

import math

import numpy as np
import pytest
from django.contrib.gis.geos import Point

from gis_sync.errors import PlacementError
from gis_sync.importer import import_path
from gis_sync.placement import placement_from_options
from twin.models import PlanningProject, ProjectVariant


class FlatQuay:
    """Stands in for the demo terrain: the quay at 1.8 m."""

    def height_at(self, x: float, y: float) -> float:
        return 1.8


@pytest.fixture
def demo_project(tmp_path):
    import json

    from jumeau.demo_city.project import write_project

    files = write_project(FlatQuay(), tmp_path / "project")
    return files, json.loads(files["project"].read_text())


def options_for(meta: dict, variant: dict) -> dict:
    return {
        "project": meta["name"],
        "project_status": meta["status"],
        "project_description": meta["description"],
        "variant": variant["name"],
        "placement": variant["placement"],
        "rotation_convention": meta["rotation_convention"],
    }


def test_the_placed_tower_lands_on_the_west_quay_of_port_vauban(db, demo_project, twin_data):
    files, meta = demo_project
    variant = meta["variants"][0]
    run = import_path(files["variant_a"], format="gltf", options=options_for(meta, variant))
    tower = ProjectVariant.objects.get()
    assert run.created == 1 and tower.project.status == "consultation"
    assert tower.origin.x == pytest.approx(1033045, abs=2) and tower.origin.y == pytest.approx(6285049, abs=2)
    assert tower.footprint.centroid.distance(Point(1033045, 6285049, srid=2154)) < 2
    assert tower.rotation_deg == 25.0 and tower.elevation_m == 1.8
    # The podium (44 m east-west, 28 m north-south) turned 25° counter-clockwise: its east-north-east corner
    # goes up (north), not down as it would clockwise.
    a = math.radians(25.0)
    ccw = Point(
        tower.origin.x + 21 * math.cos(a) - 13 * math.sin(a),
        tower.origin.y + 21 * math.sin(a) + 13 * math.cos(a),
        srid=2154,
    )
    cw = Point(
        tower.origin.x + 21 * math.cos(a) + 13 * math.sin(a),
        tower.origin.y - 21 * math.sin(a) + 13 * math.cos(a),
        srid=2154,
    )
    assert tower.footprint.contains(ccw) and not tower.footprint.contains(cw)
    assert tower.min_z == pytest.approx(1.8) and tower.max_z == pytest.approx(1.8 + 9.0 + 12 * 3.2 + 3.0, abs=0.01)
    assert tower.triangle_count == 36
    mesh = np.load(tower.mesh_file)
    assert mesh["faces"].shape == (36, 3) and mesh["vertices"][:, 2].min() == pytest.approx(1.8)
    assert str(twin_data / "projects") in tower.mesh_file
    assert (run.dirty_layers, run.derived) == ([tower.tile_layer], [f"impact-{tower.pk}"])


def test_two_variants_share_their_project(db, demo_project, twin_data):
    files, meta = demo_project
    for key, variant in zip(("variant_a", "variant_b"), meta["variants"]):
        import_path(files[key], options=options_for(meta, variant))
    assert PlanningProject.objects.get().variants.count() == 2


def test_a_clockwise_from_north_convention_is_turned_into_ours():
    p = placement_from_options(
        {
            "placement": {"origin": [0, 0], "rotation_deg": 30, "elevation": 0},
            "rotation_convention": "degrees clockwise from grid north",
        }
    )
    assert p.rotation_deg == pytest.approx(330.0)
    with pytest.raises(PlacementError):
        placement_from_options({"placement": {"origin": [0, 0]}, "rotation_convention": "gradians, sideways"})


def test_a_gltf_without_placement_is_refused(db, data, twin_data):
    with pytest.raises(PlacementError):
        import_path(data / "kiosk.glb")
    assert not ProjectVariant.objects.exists()


def test_an_ifc_model_is_placed_where_it_is_told(db, shared, twin_data):
    run = import_path(
        shared / "ifc" / "IfcOpenHouse_IFC4.ifc",
        options={
            "project": "Maison test",
            "variant": "IFC",
            "placement": {"origin": [1033000.0, 6284000.0], "rotation_deg": 0, "elevation": 12.0},
        },
    )
    house = ProjectVariant.objects.get()
    assert run.created == 1 and house.model_format == "ifc" and house.triangle_count > 500
    assert house.footprint.extent[0] > 1032980 and house.footprint.extent[2] < 1033020
    assert 2 < house.min_z < 12 < house.max_z < 32  # foundations reach below the origin


def test_a_cityjson_project_becomes_a_triangulated_variant(db, shared, twin_data):
    run = import_path(
        shared / "cityjson" / "DH_01_subs.city.json", srid=7415, options={"project": "Blocs NL", "variant": "LOD2"}
    )
    variant = ProjectVariant.objects.get()
    assert run.created == 1 and variant.model_format == "cityjson" and variant.triangle_count > 100
    assert any("NAP" in w["message"] for w in run.warnings)
