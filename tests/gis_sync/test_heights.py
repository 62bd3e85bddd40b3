"""Ellipsoidal heights are refused rather than stored as orthometric without a geoid."""
import pytest

from gis_sync.errors import CRSError
from gis_sync.importer import import_path
from twin.models import NetworkSegment


def test_heights_on_the_wgs84_ellipsoid_are_refused_with_advice(db, data, tmp_path, twin_data):
    text = (data / "stardt_undefined_srs_3d.gml").read_text(encoding="utf-8")
    text = text.replace('srsName="Lambert93"', 'srsName="EPSG:4979"').replace(
        "1050859.9875235807 6840660.371346956 139.20 1051376.19063932 6840478.4699414885 138.70",
        "7.7460 48.5830 188.20 7.7530 48.5815 187.70")
    path = tmp_path / "gps.gml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CRSError) as exc:
        import_path(path)
    assert "ellipsoidal" in str(exc.value) and "geoid" in str(exc.value) and "gps.gml" in str(exc.value)
    assert not NetworkSegment.objects.exists()


def test_a_2d_source_in_degrees_is_fine(db, data, twin_data):
    from gis_sync.heights import check_heights
    from gis_sync.records import PoiRecord

    assert check_heights(4326, [PoiRecord("p", "POINT (1 2)", 2154)], file="poi.geojson") is None
