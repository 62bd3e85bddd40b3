"""Ellipsoidal heights become orthometric through the geoid grid; without the grid they are refused."""

import pytest
from pyproj import Transformer

from gis_sync.errors import CRSError
from gis_sync.importer import import_path
from twin.geoid import find_grid
from twin.models import NetworkSegment

GPS = ((7.7460, 48.5830, 188.20), (7.7530, 48.5815, 187.70))  # longitude°, latitude°, height on WGS84 (m)


def gps_delivery(data, tmp_path):
    """The 3D StaR-DT sample with its pipe surveyed by GNSS: coordinates and heights in EPSG:4979."""
    text = (data / "stardt_undefined_srs_3d.gml").read_text(encoding="utf-8")
    text = text.replace('srsName="Lambert93"', 'srsName="EPSG:4979"').replace(
        "1050859.9875235807 6840660.371346956 139.20 1051376.19063932 6840478.4699414885 138.70",
        " ".join(f"{v}" for point in GPS for v in point),
    )
    path = tmp_path / "gps.gml"
    path.write_text(text, encoding="utf-8")
    return path


def egm96_undulation(lon: float, lat: float) -> float:
    """N from the grid file itself, through a pipeline that fails rather than fall back to 'ballpark'."""
    grid = find_grid("egm96_15.gtx")
    pipe = Transformer.from_pipeline(
        f"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=vgridshift +grids={grid} +multiplier=1 "
        "+step +proj=unitconvert +xy_in=rad +xy_out=deg"
    )
    return pipe.transform(lon, lat, 0.0)[2]


def test_heights_on_the_wgs84_ellipsoid_are_made_orthometric_with_the_geoid_grid(
    db, data, tmp_path, twin_data, settings
):
    settings.JUMEAU_GEOID_GRID = "egm96_15.gtx"
    run = import_path(gps_delivery(data, tmp_path))
    pipe = NetworkSegment.objects.get()
    assert pipe.axis_method == "vertex_z"
    for (lon, lat, h), (_, _, z) in zip(GPS, pipe.axis.coords):
        n = egm96_undulation(lon, lat)
        assert 45 < n < 55  # Strasbourg: the geoid is about 50 m above the ellipsoid
        assert z == pytest.approx(h - n, abs=0.01)
    assert any("made orthometric" in w["message"] and "egm96_15.gtx" in w["message"] for w in run.warnings)


def test_a_missing_geoid_grid_is_an_error_not_a_ballpark(db, data, tmp_path, twin_data, settings):
    settings.JUMEAU_GEOID_GRID = "RAF20_not_installed.tif"
    with pytest.raises(CRSError) as exc:
        import_path(gps_delivery(data, tmp_path))
    message = str(exc.value)
    assert "ellipsoidal" in message and "RAF20_not_installed.tif" in message and "gps.gml" in message
    assert not NetworkSegment.objects.exists()


def test_orthometric_heights_are_kept_as_delivered(db, data, twin_data):
    import_path(data / "stardt_undefined_srs_3d.gml", srid=2154)
    assert NetworkSegment.objects.get().axis.coords[0][2] == pytest.approx(139.20)


def test_a_2d_source_in_degrees_is_fine(db, data, twin_data):
    from gis_sync.heights import check_heights
    from gis_sync.records import PoiRecord

    assert check_heights(4326, [PoiRecord("p", "POINT (1 2)", 2154)], file="poi.geojson") is None


def _lod1_building():
    from gis_sync.records import BuildingRecord

    return BuildingRecord(
        source_id="b",
        footprint_wkt="POLYGON ((0 0, 1 0, 1 1, 0 0))",
        srid=2154,
        ground_z=1.0,
        roof_z=9.0,
        height=8.0,
        storeys=None,
        use=None,
        year=None,
        lod="1",
        z_from_coordinates=True,
    )


def test_heights_in_another_system_that_a_reader_keeps_are_refused_unless_the_operator_accepts_them():
    from gis_sync.heights import check_heights
    from twin import geodesy

    with pytest.raises(CRSError, match="NAP height .* keeps heights as delivered") as exc:
        check_heights(7415, [_lod1_building()], file="x.json")
    assert "--allow-approximate" in str(exc.value)
    with geodesy.session(allow_approximate_m=1):
        note = check_heights(7415, [_lod1_building()], file="x.json")
    assert "kept as delivered, as allowed by --allow-approximate 1" in note
