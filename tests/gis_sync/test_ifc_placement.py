"""IFC georeferencing: a box's corners land where geodesy says, from IfcSite references or an IfcMapConversion."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pyproj import CRS, Geod, Proj, Transformer
from pyproj.transformer import TransformerGroup

from gis_sync.errors import PlacementError
from gis_sync.formats.ifc import IfcFormat, _dms
from gis_sync.placement import grid_north_at

# A box 24 m along the model's x axis, 12 m along y, 9 m high, set 30 m east and 15 m north of the site's origin.
BOX = (24.0, 12.0, 9.0)
OFFSET = (30.0, 15.0, 2.0)
LAT, LON = 43.58, 7.12  # Antibes
CORNERS = [(0.0, 0.0), (BOX[0], 0.0), (BOX[0], BOX[1]), (0.0, BOX[1])]


def dms(degrees: float) -> tuple[int, int, int, int]:
    """Decimal degrees to IfcCompoundPlaneAngleMeasure, the sign on every part."""
    sign = -1 if degrees < 0 else 1
    micro = round(abs(degrees) * 3600e6)
    d, rest = divmod(micro, 3600 * 10**6)
    m, rest = divmod(rest, 60 * 10**6)
    s, u = divmod(rest, 10**6)
    return sign * d, sign * m, sign * s, sign * u


def box_model(
    path: Path,
    *,
    prefix: str | None = None,
    north_turn_deg: float | None = None,
    site_ref: tuple[float, float, float] | None = None,
    site_origin=(0.0, 0.0, 0.0),
    map_conversion: dict | None = None,
) -> Path:
    """An IFC4 file with one proxy box, written with ifcopenshell's authoring API.

    prefix: the length unit's SI prefix ('MILLI' for millimetres). north_turn_deg: TrueNorth turned that many
    degrees counter-clockwise from the model's +Y. site_ref: latitude, longitude (degrees), elevation (m).
    site_origin: the site's ObjectPlacement in metres. map_conversion: IfcMapConversion attributes plus 'crs'."""
    import ifcopenshell.api.aggregate
    import ifcopenshell.api.context
    import ifcopenshell.api.geometry
    import ifcopenshell.api.project
    import ifcopenshell.api.root
    import ifcopenshell.api.spatial
    import ifcopenshell.api.unit

    f = ifcopenshell.api.project.create_file(version="IFC4")
    unit = {None: 1.0, "MILLI": 0.001, "CENTI": 0.01}[prefix]
    project = ifcopenshell.api.root.create_entity(f, ifc_class="IfcProject", name="Box")
    ifcopenshell.api.unit.assign_unit(f, units=[ifcopenshell.api.unit.add_si_unit(f, "LENGTHUNIT", prefix)])
    model = ifcopenshell.api.context.add_context(f, context_type="Model")
    body = ifcopenshell.api.context.add_context(
        f, context_type="Model", context_identifier="Body", target_view="MODEL_VIEW", parent=model
    )
    if north_turn_deg is not None:
        a = math.radians(north_turn_deg)
        model.TrueNorth = f.createIfcDirection((-math.sin(a), math.cos(a)))
    site = ifcopenshell.api.root.create_entity(f, ifc_class="IfcSite", name="Site")
    ifcopenshell.api.aggregate.assign_object(f, products=[site], relating_object=project)
    matrix = np.eye(4)
    matrix[:3, 3] = site_origin
    ifcopenshell.api.geometry.edit_object_placement(f, product=site, matrix=matrix, is_si=True)
    if site_ref is not None:
        site.RefLatitude, site.RefLongitude = dms(site_ref[0]), dms(site_ref[1])
        site.RefElevation = site_ref[2] / unit
    box = ifcopenshell.api.root.create_entity(f, ifc_class="IfcBuildingElementProxy", name="Box")
    ifcopenshell.api.spatial.assign_container(f, products=[box], relating_structure=site)
    matrix = np.eye(4)
    matrix[:3, 3] = np.add(site_origin, OFFSET)
    ifcopenshell.api.geometry.edit_object_placement(f, product=box, matrix=matrix, is_si=True)
    w, d, h = (v / unit for v in BOX)
    profile = f.createIfcRectangleProfileDef(
        "AREA", None, f.createIfcAxis2Placement2D(f.createIfcCartesianPoint((w / 2, d / 2))), w, d
    )
    solid = f.createIfcExtrudedAreaSolid(
        profile,
        f.createIfcAxis2Placement3D(f.createIfcCartesianPoint((0.0, 0.0, 0.0))),
        f.createIfcDirection((0.0, 0.0, 1.0)),
        h,
    )
    box.Representation = f.createIfcProductDefinitionShape(
        None, None, [f.createIfcShapeRepresentation(body, "Body", "SweptSolid", [solid])]
    )
    if map_conversion is not None:
        conv = dict(map_conversion)
        target = f.createIfcProjectedCRS(Name=conv.pop("crs"), MapUnit=conv.pop("map_unit", None))
        f.createIfcMapConversion(SourceCRS=model, TargetCRS=target, **conv)
    f.write(str(path))
    return path


def best(src: int, dst: int) -> Transformer:
    """PROJ's most accurate operation available offline, never a ballpark."""
    return TransformerGroup(src, dst, always_xy=True, allow_ballpark=False).transformers[0]


def footprint(record) -> list[tuple[float, float, float]]:
    """Distinct bottom vertices of the imported mesh."""
    pts = np.array([v for p in record.parts for v in p.vertices])
    bottom = pts[pts[:, 2] < pts[:, 2].min() + 0.01]
    return [tuple(p) for p in np.unique(np.round(bottom, 4), axis=0)]


def assert_corners(imported: list, expected: list, tol: float = 0.05) -> None:
    assert len(imported) == 4
    for ex in expected:
        d = min(math.dist(ex[:2], p[:2]) for p in imported)
        assert d < tol, f"corner {ex} is {d:.3f} m from the nearest imported one"
        z = min(imported, key=lambda p: math.dist(ex[:2], p[:2]))[2]
        assert z == pytest.approx(ex[2], abs=0.01)


def expected_from_site(lat: float, lon: float, elevation: float, north_turn_deg: float) -> list:
    """Corners walked out along the geodesic from the reference point: the model's +Y has azimuth
    north_turn_deg (north turned counter-clockwise from +Y puts +Y that many degrees east of north)."""
    geod = Geod(ellps="GRS80")
    to_l93 = best(4326, 2154)
    out = []
    for cx, cy in CORNERS:
        dx, dy = OFFSET[0] + cx, OFFSET[1] + cy
        azimuth = north_turn_deg + 90.0 - math.degrees(math.atan2(dy, dx))
        lon2, lat2, _ = geod.fwd(lon, lat, azimuth, math.hypot(dx, dy))
        x, y = to_l93.transform(lon2, lat2)
        out.append((x, y, elevation + OFFSET[2]))
    return out


def test_the_grid_azimuth_of_true_north_is_measured_not_assumed():
    # Carry a point 5 m north along the true meridian at Antibes and read its direction on the Lambert-93 grid.
    lon2, lat2, _ = Geod(ellps="GRS80").fwd(LON, LAT, 0.0, 5.0)
    to_l93 = best(4326, 2154)
    (x1, x2), (y1, y2) = to_l93.transform([LON, lon2], [LAT, lat2])
    measured = math.degrees(math.atan2(x2 - x1, y2 - y1))
    north, k = grid_north_at(2154, LON, LAT)
    assert measured < -2.5  # east of Lambert-93's central meridian (3° E), true north leans west of grid north
    assert north == pytest.approx(measured, abs=1e-4)
    assert north == pytest.approx(-Proj(CRS.from_epsg(2154)).get_factors(LON, LAT).meridian_convergence)
    assert k == pytest.approx(math.hypot(x2 - x1, y2 - y1) / 5.0, abs=1e-6)


def test_compound_angles_carry_their_sign_on_every_part():
    assert _dms((43, 34, 48, 0)) == pytest.approx(43.58)
    assert _dms((-33, -52, -7, -500000)) == pytest.approx(-(33 + 52 / 60 + 7.5 / 3600))
    assert _dms(dms(-0.5)) == pytest.approx(-0.5)


@pytest.mark.parametrize("north_turn_deg", [50.0, -20.0, 0.0])
def test_a_site_reference_with_true_north_puts_every_corner_within_5_cm(tmp_path, north_turn_deg):
    path = box_model(
        tmp_path / "site.ifc", north_turn_deg=north_turn_deg, site_ref=(LAT, LON, 12.5), site_origin=(100.0, -40.0, 3.0)
    )
    result = IfcFormat().read(path)
    expected = expected_from_site(LAT, LON, 12.5, north_turn_deg)
    # 5 mm, not just 5 cm: leaving out Lambert-93's scale factor there (1.00034) would move a corner 2 cm.
    assert_corners(footprint(result.records[0]), expected, tol=0.005)
    said = " ".join(str(w) for w in result.report.warnings)
    assert "TrueNorth" in said and "no height datum, NGF-IGN69 (the twin's) assumed" in said


def test_a_model_in_millimetres_is_placed_like_one_in_metres(tmp_path):
    path = box_model(
        tmp_path / "mm.ifc",
        prefix="MILLI",
        north_turn_deg=50.0,
        site_ref=(LAT, LON, 12.5),
        site_origin=(100.0, -40.0, 3.0),
    )
    assert_corners(footprint(IfcFormat().read(path).records[0]), expected_from_site(LAT, LON, 12.5, 50.0), tol=0.005)


def test_true_north_ignored_or_convergence_turned_the_wrong_way_would_miss_by_metres(tmp_path):
    path = box_model(tmp_path / "site.ifc", north_turn_deg=50.0, site_ref=(LAT, LON, 12.5))
    imported = footprint(IfcFormat().read(path).records[0])
    unturned = expected_from_site(LAT, LON, 12.5, 0.0)
    wrong_sign = expected_from_site(LAT, LON, 12.5, 50.0 + 2 * 2.99)
    assert max(min(math.dist(e[:2], p[:2]) for p in imported) for e in unturned) > 15.0
    assert max(min(math.dist(e[:2], p[:2]) for p in imported) for e in wrong_sign) > 2.0


def map_corners(e: float, n: float, h: float, rotation_deg: float, scale: float) -> list:
    """IfcMapConversion's definition: map = (E, N) + scale * R(rotation) * model, height = H + z."""
    c, s = math.cos(math.radians(rotation_deg)), math.sin(math.radians(rotation_deg))
    out = []
    for cx, cy in CORNERS:
        x, y = OFFSET[0] + cx, OFFSET[1] + cy
        out.append((e + scale * (c * x - s * y), n + scale * (s * x + c * y), h + OFFSET[2]))
    return out


def test_a_map_conversion_in_lambert_93_with_rotation_and_scale(tmp_path):
    e, n = best(4326, 2154).transform(LON, LAT)
    rotation, grid_scale = 32.5, 1.00034
    path = box_model(
        tmp_path / "l93.ifc",
        prefix="MILLI",
        site_ref=(10.0, 10.0, 0.0),
        map_conversion=dict(
            crs="EPSG:2154",
            Eastings=e,
            Northings=n,
            OrthogonalHeight=12.5,
            XAxisAbscissa=math.cos(math.radians(rotation)),
            XAxisOrdinate=math.sin(math.radians(rotation)),
            Scale=0.001 * grid_scale,
        ),
    )
    result = IfcFormat().read(path)
    # The map conversion wins over the site's (here deliberately wrong) references.
    assert result.records[0].placement.source == "IfcMapConversion"
    assert_corners(footprint(result.records[0]), map_corners(e, n, 12.5, rotation, grid_scale), tol=0.005)


def test_a_map_conversion_in_utm_32n_is_carried_to_lambert_93(tmp_path):
    e, n = best(4326, 32632).transform(LON, LAT)
    rotation, scale = -12.0, 0.99962
    path = box_model(
        tmp_path / "utm.ifc",
        map_conversion=dict(
            crs="EPSG:32632",
            Eastings=e,
            Northings=n,
            OrthogonalHeight=12.5,
            XAxisAbscissa=math.cos(math.radians(rotation)),
            XAxisOrdinate=math.sin(math.radians(rotation)),
            Scale=scale,
        ),
    )
    imported = footprint(IfcFormat().read(path).records[0])
    to_l93 = best(32632, 2154)
    expected = [(*to_l93.transform(x, y), z) for x, y, z in map_corners(e, n, 12.5, rotation, scale)]
    assert_corners(imported, expected)


@pytest.mark.parametrize(
    "crs, said",
    [
        (
            "Chantier local",
            "'Chantier local', which names no EPSG coordinate reference system — name the CRS as 'EPSG:<code>'",
        ),
        ("EPSG:999999", "'EPSG:999999': EPSG:999999 is not a known CRS"),
        ("EPSG:4326", "'EPSG:4326' (WGS 84), which is not a projected CRS"),
    ],
)
def test_it_refuses_a_map_conversion_to_a_crs_it_cannot_use(tmp_path, crs, said):
    path = box_model(
        tmp_path / "local.ifc",
        site_ref=(LAT, LON, 0.0),
        map_conversion=dict(crs=crs, Eastings=1000.0, Northings=2000.0, OrthogonalHeight=0.0),
    )
    with pytest.raises(PlacementError) as exc:
        IfcFormat().read(path)
    assert said in str(exc.value) and "local.ifc" in str(exc.value)


def test_it_refuses_a_scale_that_would_make_the_model_a_thousand_times_too_big(tmp_path):
    # Millimetres drawn, metres on the map, and no Scale to say so.
    path = box_model(
        tmp_path / "mm.ifc",
        prefix="MILLI",
        map_conversion=dict(crs="EPSG:2154", Eastings=1033000.0, Northings=6285000.0, OrthogonalHeight=0.0),
    )
    with pytest.raises(PlacementError) as exc:
        IfcFormat().read(path)
    assert "1000 times its size" in str(exc.value) and "0.001" in str(exc.value)


def test_the_published_tiles_carry_the_corners_where_geodesy_puts_them(db, tmp_path, twin_data, tiles_root):
    from gis_sync.importer import import_path
    from tests.tiles.tile_reading import contents, decode
    from tiles.build import build_layers
    from twin.geoid import city_frame
    from twin.models import ProjectVariant

    path = box_model(tmp_path / "site.ifc", north_turn_deg=50.0, site_ref=(LAT, LON, 12.5))
    run = import_path(path, options={"project": "Îlot Box", "variant": "A", "project_status": "consultation"})
    assert any("NGF-IGN69 (the twin's) assumed" in w["message"] for w in run.warnings)
    variant = ProjectVariant.objects.get()
    [record] = build_layers([variant.tile_layer], progress=lambda m: None)
    assert record.status == "published"
    [content] = contents(tiles_root, variant.tile_layer)
    [prim], _, _ = decode(content)
    x, y, h = city_frame().from_ecef(prim.ecef)
    pts = np.c_[x, y, h]
    bottom = pts[pts[:, 2] < pts[:, 2].min() + 0.05]
    imported = [tuple(p) for p in np.unique(np.round(bottom, 2), axis=0)]
    expected = expected_from_site(LAT, LON, 12.5, 50.0)
    for ex in expected:
        assert min(math.dist(ex[:2], p[:2]) for p in imported) < 0.05
    assert h.min() == pytest.approx(12.5 + OFFSET[2], abs=0.05)
