"""glTF/GLB models: y-up to z-up, node transforms, placement."""

import pytest

from gis_sync.errors import PlacementError
from gis_sync.formats import detect
from gis_sync.formats.gltf import GltfFormat
from gis_sync.records import Placement


def test_it_needs_a_placement(data):
    assert detect(data / "kiosk.glb") is GltfFormat
    with pytest.raises(PlacementError):
        GltfFormat().read(data / "kiosk.glb")


def test_it_turns_y_up_into_z_up_and_places_the_model(data):
    model = GltfFormat().read(data / "kiosk.glb", placement=Placement(1050900.0, 6840600.0, 0.0, 140.0)).records[0]
    assert model.triangle_count == 12
    minx, miny, minz, maxx, maxy, maxz = model.bounds()
    # Cube 0..2 m translated by 1 m along glTF x; glTF +z (towards the viewer) becomes -y.
    assert (minx, maxx) == pytest.approx((1050901.0, 1050903.0))
    assert (miny, maxy) == pytest.approx((6840598.0, 6840600.0))
    assert (minz, maxz) == pytest.approx((140.0, 142.0))


def test_it_rotates_about_the_vertical(data):
    model = GltfFormat().read(data / "kiosk.glb", placement=Placement(0.0, 0.0, 90.0, 0.0), storage_srid=2154)
    minx, miny, _, maxx, maxy, _ = model.records[0].bounds()
    assert (minx, maxx, miny, maxy) == pytest.approx((0.0, 2.0, 1.0, 3.0))
