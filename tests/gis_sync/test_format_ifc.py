"""IFC planning models: placement from the file or from the importer."""

import math

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


def georeferenced_house(
    shared,
    tmp_path,
    *,
    crs: str,
    eastings: float,
    northings: float,
    height: float,
    rotation_deg: float = 0.0,
    scale: float | None = None,
):
    """IfcOpenHouse with an IfcMapConversion to `crs` (IFC4), written as a designer's tool would: the house is
    drawn in millimetres, so Scale (model units to map metres) is 0.001 unless given."""
    import math

    import ifcopenshell

    model = ifcopenshell.open(str(shared / "ifc" / "IfcOpenHouse_IFC4.ifc"))
    context = next(
        c
        for c in model.by_type("IfcGeometricRepresentationContext")
        if not c.is_a("IfcGeometricRepresentationSubContext") and c.ContextType == "Model"
    )
    target = model.createIfcProjectedCRS(Name=crs, Description="Lambert-93", GeodeticDatum="RGF93 v1")
    model.createIfcMapConversion(
        SourceCRS=context,
        TargetCRS=target,
        Eastings=eastings,
        Northings=northings,
        OrthogonalHeight=height,
        XAxisAbscissa=math.cos(math.radians(rotation_deg)),
        XAxisOrdinate=math.sin(math.radians(rotation_deg)),
        Scale=0.001 if scale is None else scale,
    )
    path = tmp_path / "house_georef.ifc"
    model.write(str(path))
    return path


def test_it_places_the_model_from_its_ifcmapconversion(shared, tmp_path):
    path = georeferenced_house(
        shared, tmp_path, crs="EPSG:2154", eastings=1050900.0, northings=6840600.0, height=140.0, rotation_deg=30.0
    )
    placed = IfcFormat().read(path).records[0]
    assert placed.placement == Placement(
        x=1050900.0,
        y=6840600.0,
        rotation_deg=pytest.approx(30.0),
        elevation=140.0,
        scale=pytest.approx(1.0),
        scale_z=1.0,
        source="IfcMapConversion",
    )
    # The same triangles as with that placement given at import: the map conversion is applied once, not twice.
    given = IfcFormat().read(
        shared / "ifc" / "IfcOpenHouse_IFC4.ifc",
        placement=Placement(x=1050900.0, y=6840600.0, rotation_deg=30.0, elevation=140.0),
    )
    assert placed.bounds() == pytest.approx(given.records[0].bounds(), abs=1e-6)
    local = IfcFormat().read(shared / "ifc" / "IfcOpenHouse_IFC4.ifc", placement=Placement(x=0.0, y=0.0)).records[0]
    lx, ly, lz = local.parts[0].vertices[0]
    x, y, z = placed.parts[0].vertices[0]
    c, s = 3**0.5 / 2, 0.5  # 30° counter-clockwise from east, as IfcMapConversion's x axis says
    assert (x, y, z) == pytest.approx((1050900.0 + c * lx - s * ly, 6840600.0 + s * lx + c * ly, 140.0 + lz))


def test_the_file_placement_wins_over_the_given_one_with_a_warning(shared, tmp_path):
    path = georeferenced_house(shared, tmp_path, crs="EPSG:2154", eastings=1050900.0, northings=6840600.0, height=140.0)
    result = IfcFormat().read(path, placement=Placement(x=0.0, y=0.0))
    assert result.records[0].placement.source == "IfcMapConversion"
    assert any("wins over the one given" in str(w) for w in result.report.warnings)


def test_a_map_conversion_to_another_crs_is_brought_to_the_storage_crs(shared, tmp_path):
    from pyproj import Transformer

    # UTM 32N around Strasbourg cathedral.
    e, n = 400000.0, 5380000.0
    path = georeferenced_house(shared, tmp_path, crs="EPSG:32632", eastings=e, northings=n, height=142.0)
    placement = IfcFormat().read(path).records[0].placement
    to_l93 = Transformer.from_crs(32632, 2154, always_xy=True)
    x, y = to_l93.transform(e, n)
    assert (placement.x, placement.y, placement.elevation) == pytest.approx((x, y, 142.0), abs=0.01)
    # The model's x axis runs along UTM east; in Lambert-93 that line is turned by the grids' convergences.
    x2, y2 = to_l93.transform(e + 100.0, n)
    turn = math.degrees(math.atan2(y2 - y, x2 - x))
    assert 3.5 < abs(turn) < 5.5
    assert placement.rotation_deg == pytest.approx(turn % 360.0, abs=1e-6)
