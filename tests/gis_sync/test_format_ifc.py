"""IFC planning models: placement from the file or from the importer."""
import pytest

from gis_sync.errors import PlacementError
from gis_sync.formats import detect
from gis_sync.formats.ifc import IfcFormat
from gis_sync.records import Placement


def test_it_asks_for_a_placement_when_the_model_has_no_georeference(shared):
    assert detect(shared / "ifc" / "IfcOpenHouse_IFC4.ifc") is IfcFormat
    with pytest.raises(PlacementError) as exc:
        IfcFormat().read(shared / "ifc" / "IfcOpenHouse_IFC4.ifc")
    assert "IfcMapConversion" in str(exc.value) and "placement" in str(exc.value)


def test_it_places_world_triangles_with_the_given_placement(shared):
    placement = Placement(x=1050900.0, y=6840600.0, rotation_deg=30.0, elevation=140.0)
    model = IfcFormat().read(shared / "ifc" / "IfcOpenHouse_IFC4.ifc", placement=placement).records[0]
    assert model.placement.source == "given"
    assert model.triangle_count > 500
    minx, miny, minz, maxx, maxy, maxz = model.bounds()
    assert 1050850 < minx < maxx < 1050950 and 6840550 < miny < maxy < 6840650
    assert 130 < minz < 141 < maxz < 160
    types = {p.element_type for p in model.parts}
    assert "IfcWallStandardCase" in types and "IfcOpeningElement" not in types
