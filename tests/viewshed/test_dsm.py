"""The surface model: terrain resampled to 1 m, buildings burnt at their roof, the sea, the cache and its patches."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.core.management import call_command

from tests.viewshed.conftest import LAND_Z, SIZE, X0, Y0, box
from twin.models import ChangeCursor
from viewshed.dsm import SurfaceCache, dsm_dir, ensure_surface, variant_patch
from viewshed.surface import Grid


def cell(surface, x: float, y: float) -> float:
    return float(surface.dsm[surface.grid.cell_of(x, y)])


def test_it_builds_terrain_plus_buildings_at_one_metre(city) -> None:
    surface = ensure_surface()
    assert surface.dsm.shape == (400, 400) and surface.grid.cell == 1.0
    assert cell(surface, X0 + 200.5, Y0 + 210.5) == LAND_Z + 15.0  # inside the home
    assert cell(surface, X0 + 200.5, Y0 + 230.5) == pytest.approx(LAND_Z)  # the street north of it
    # The sea is flattened to its surface, and flagged.
    assert cell(surface, X0 + 200.5, Y0 + 20.5) == 0.0
    assert surface.sea[surface.grid.cell_of(X0 + 200.5, Y0 + 20.5)]
    assert not surface.sea[surface.grid.cell_of(X0 + 200.5, Y0 + 300.5)]
    # Exactly the cells whose centre is inside the 40 x 20 m footprint.
    assert int((surface.dsm == LAND_Z + 15.0).sum()) == 40 * 20


def test_it_serves_the_cache_until_the_buildings_change(city) -> None:
    first = ensure_surface()
    meta = SurfaceCache(dsm_dir()).meta()
    again = ensure_surface()
    assert again.fingerprint == first.fingerprint
    assert SurfaceCache(dsm_dir()).meta()["read_at"] == meta["read_at"]
    city.home.roof_z = LAND_Z + 30.0
    city.home.save()
    changed = ensure_surface()
    assert changed.fingerprint != first.fingerprint
    assert cell(changed, X0 + 200.5, Y0 + 210.5) == LAND_Z + 30.0
    # The old files are gone, the memory-mapped new ones (and their building record) are there.
    assert sorted(f.name.split("-")[0] for f in dsm_dir().glob("*.npy")) == ["buildings", "dsm", "sea"]


def test_it_patches_only_the_area_a_sync_marked_dirty(city) -> None:
    from twin.models import Building, Change

    ensure_surface()
    kiosk = box(X0 + 300, Y0 + 300, X0 + 310, Y0 + 306)
    Building.objects.create(source_key="test", source_id="KIOSK", footprint=kiosk, ground_z=LAND_Z, roof_z=LAND_Z + 4)
    Change.objects.create(layer="buildings", area=kiosk, source_ids=["KIOSK"])
    patched = ensure_surface()
    meta = SurfaceCache(dsm_dir()).meta()
    assert meta["mode"] == "patch"
    assert cell(patched, X0 + 305.5, Y0 + 303.5) == LAND_Z + 4
    patched_dsm = np.array(patched.dsm)
    full = ensure_surface(force=True)
    assert SurfaceCache(dsm_dir()).meta()["mode"] == "full"
    assert np.array_equal(patched_dsm, np.asarray(full.dsm))
    # Readers never erase the log: the entry stays, the surface model's position moved past it.
    assert Change.objects.count() == 1
    assert ChangeCursor.position_of("viewshed", "buildings") == Change.objects.head()


def test_after_a_sync_and_a_tile_build_the_surface_model_is_patched_not_rebuilt(city, settings, tmp_path) -> None:
    """The tiles read the change log at their own position: a build in between takes nothing the DSM needs."""
    from gis_sync.importer import import_path
    from tiles.build import build_layers

    settings.JUMEAU_TILES_DIR = tmp_path / "tiles"
    ensure_surface()
    delivery = tmp_path / "kiosque.geojson"
    x, y = X0 + 300, Y0 + 300
    delivery.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"ID": "KIOSK", "HAUTEUR": 4.0, "Z_MIN_SOL": LAND_Z},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[x, y], [x + 10, y], [x + 10, y + 6], [x, y + 6], [x, y]]],
                        },
                    }
                ],
            }
        )
    )
    run = import_path(delivery, options={"kind": "buildings", "source_key": "kiosques"})
    assert run.dirty_layers == ["buildings"]
    [record] = build_layers(["buildings"], progress=lambda m: None)
    assert record.status == "published"
    patched = ensure_surface()
    assert SurfaceCache(dsm_dir()).meta()["mode"] == "patch"
    assert cell(patched, X0 + 305.5, Y0 + 303.5) > LAND_Z + 3


def test_a_change_no_sync_recorded_rebuilds_everything(city) -> None:
    from twin.models import Building, Change

    ensure_surface()
    Change.objects.create(layer="buildings", area=box(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20))
    Building.objects.create(
        source_key="test",
        source_id="SHED",
        footprint=box(X0 + 300, Y0 + 300, X0 + 304, Y0 + 304),
        ground_z=LAND_Z,
        roof_z=LAND_Z + 3,
    )
    ensure_surface()
    assert SurfaceCache(dsm_dir()).meta()["mode"] == "full"


def test_a_building_deleted_where_no_sync_looked_leaves_the_surface(city) -> None:
    from twin.models import Building, Change

    neighbour = Building.objects.get(source_id="NEIGHBOUR")
    assert cell(ensure_surface(), X0 + 75.5, Y0 + 270.5) == LAND_Z + 9.0
    # An admin deletes the neighbour while a sync adds a kiosk across town.
    neighbour.delete()
    kiosk = box(X0 + 300, Y0 + 300, X0 + 310, Y0 + 306)
    Building.objects.create(source_key="test", source_id="KIOSK", footprint=kiosk, ground_z=LAND_Z, roof_z=LAND_Z + 4)
    Change.objects.create(layer="buildings", area=kiosk, source_ids=["KIOSK"])
    surface = ensure_surface()
    assert cell(surface, X0 + 75.5, Y0 + 270.5) == pytest.approx(LAND_Z)
    assert cell(surface, X0 + 305.5, Y0 + 303.5) == LAND_Z + 4
    assert SurfaceCache(dsm_dir()).meta()["mode"] == "patch"  # grown over the neighbour's old box
    assert np.array_equal(np.array(surface.dsm), np.asarray(ensure_surface(force=True).dsm))


def test_a_building_moved_into_a_synced_area_leaves_its_old_place(city) -> None:
    from twin.models import Building, Change

    ensure_surface()
    kiosk = box(X0 + 300, Y0 + 300, X0 + 310, Y0 + 306)
    Building.objects.create(source_key="test", source_id="KIOSK", footprint=kiosk, ground_z=LAND_Z, roof_z=LAND_Z + 4)
    Change.objects.create(layer="buildings", area=box(X0 + 280, Y0 + 280, X0 + 340, Y0 + 340), source_ids=["KIOSK"])
    # Meanwhile an admin redraws the neighbour inside the area the sync marked.
    neighbour = Building.objects.get(source_id="NEIGHBOUR")
    neighbour.footprint = box(X0 + 320, Y0 + 320, X0 + 330, Y0 + 330)
    neighbour.save()
    surface = ensure_surface()
    assert cell(surface, X0 + 75.5, Y0 + 270.5) == pytest.approx(LAND_Z)  # its old place is clear
    assert cell(surface, X0 + 325.5, Y0 + 325.5) == LAND_Z + 9.0
    assert cell(surface, X0 + 305.5, Y0 + 303.5) == LAND_Z + 4
    assert SurfaceCache(dsm_dir()).meta()["mode"] == "patch"
    assert np.array_equal(np.array(surface.dsm), np.asarray(ensure_surface(force=True).dsm))


def test_a_building_moved_without_a_timestamp_is_caught_by_the_record(city) -> None:
    from twin.models import Building, Change

    ensure_surface()
    # A bulk update (as syncs write) keeps updated_at: only the record tells where the neighbour stood.
    Building.objects.filter(source_id="NEIGHBOUR").update(footprint=box(X0 + 320, Y0 + 320, X0 + 330, Y0 + 330))
    kiosk = box(X0 + 300, Y0 + 300, X0 + 310, Y0 + 306)
    Building.objects.create(source_key="test", source_id="KIOSK", footprint=kiosk, ground_z=LAND_Z, roof_z=LAND_Z + 4)
    Change.objects.create(layer="buildings", area=box(X0 + 280, Y0 + 280, X0 + 340, Y0 + 340), source_ids=["KIOSK"])
    surface = ensure_surface()
    assert cell(surface, X0 + 75.5, Y0 + 270.5) == pytest.approx(LAND_Z)
    assert cell(surface, X0 + 325.5, Y0 + 325.5) == LAND_Z + 9.0
    assert SurfaceCache(dsm_dir()).meta()["mode"] == "full"


def test_a_nearby_change_no_sync_recorded_grows_the_patch(city) -> None:
    from twin.models import Building, Change

    ensure_surface()
    kiosk = box(X0 + 300, Y0 + 300, X0 + 310, Y0 + 306)
    Building.objects.create(source_key="test", source_id="KIOSK", footprint=kiosk, ground_z=LAND_Z, roof_z=LAND_Z + 4)
    Change.objects.create(layer="buildings", area=kiosk, source_ids=["KIOSK"])
    Building.objects.create(
        source_key="test",
        source_id="SHED",
        footprint=box(X0 + 330, Y0 + 290, X0 + 334, Y0 + 294),
        ground_z=LAND_Z,
        roof_z=LAND_Z + 3,
    )
    surface = ensure_surface()
    meta = SurfaceCache(dsm_dir()).meta()
    assert meta["mode"] == "patch"
    assert meta["patched_area"][2] >= X0 + 334 and meta["patched_area"][1] <= Y0 + 290
    assert cell(surface, X0 + 332.5, Y0 + 292.5) == LAND_Z + 3
    assert np.array_equal(np.array(surface.dsm), np.asarray(ensure_surface(force=True).dsm))


def test_a_cache_without_a_building_record_is_rebuilt(city) -> None:
    import json

    from twin.models import Building, Change

    ensure_surface()
    meta_path = dsm_dir() / "meta.json"
    meta = json.loads(meta_path.read_text())
    (dsm_dir() / meta.pop("buildings")).unlink()
    meta["format"] = 1
    meta_path.write_text(json.dumps(meta))
    kiosk = box(X0 + 300, Y0 + 300, X0 + 310, Y0 + 306)
    Building.objects.create(source_key="test", source_id="KIOSK", footprint=kiosk, ground_z=LAND_Z, roof_z=LAND_Z + 4)
    Change.objects.create(layer="buildings", area=kiosk, source_ids=["KIOSK"])
    ensure_surface()
    meta = SurfaceCache(dsm_dir()).meta()
    assert meta["mode"] == "full" and meta["buildings_recorded"] == 3


def test_the_command_builds_the_dsm_with_progress(city, capsys) -> None:
    call_command("build_dsm")
    out = capsys.readouterr().out
    assert "Building the DSM" in out and "400 x 400 cells" in out
    assert (dsm_dir() / "meta.json").is_file()


def test_a_variant_is_burnt_from_its_footprint_or_its_mesh(city) -> None:
    grid = Grid.for_extent((X0, Y0, X0 + SIZE, Y0 + SIZE), 1.0)
    patch = variant_patch(city.tower, grid)
    assert patch.heights.max() == LAND_Z + 60.0
    assert int(np.isfinite(patch.heights).sum()) == 60 * 18
    # A mesh wins over the footprint: a pyramid 20 m high on a 10 x 10 m base.
    x, y = X0 + 100.0, Y0 + 300.0
    apex = (x + 5, y + 5, LAND_Z + 20)
    corners = [(x, y, LAND_Z), (x + 10, y, LAND_Z), (x + 10, y + 10, LAND_Z), (x, y + 10, LAND_Z)]
    tris = np.array([[corners[k], corners[(k + 1) % 4], apex] for k in range(4)])
    np.savez(city.tmp / "mesh.npz", triangles=tris)
    city.tower.mesh_file = str(city.tmp / "mesh.npz")
    patch = variant_patch(city.tower, grid)
    # The centre cells are 0.5 m from the apex along both axes: 20 * (1 - 0.5 / 5) m up.
    assert patch.heights.max() == pytest.approx(LAND_Z + 18.0, abs=0.01)
    assert int(np.isfinite(patch.heights).sum()) == 100
