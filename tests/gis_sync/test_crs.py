"""CRS resolution: declared wins, configured fills in, neither is refused; area of use; transforms."""

import pytest

from gis_sync import crs
from gis_sync.errors import CRSError


@pytest.mark.parametrize(
    "name, srid",
    [
        ("EPSG:2154", 2154),
        ("urn:ogc:def:crs:EPSG::2154", 2154),
        ("urn:ogc:def:crs:EPSG:6.3:4326", 4326),
        ("http://www.opengis.net/def/crs/EPSG/0/7415", 7415),
        ("https://www.opengis.net/def/crs/EPSG/0/28992", 28992),
        ("Lambert93", None),
        ("#srs1", None),
        (None, None),
    ],
)
def test_it_reads_epsg_codes_from_srs_names(name, srid):
    assert crs.srid_from_name(name) == srid


def test_the_declared_crs_wins_over_the_configured_one():
    assert crs.resolve_srid(4326, 2154) == 4326


def test_the_configured_crs_fills_in():
    assert crs.resolve_srid(None, 2154) == 2154


def test_a_source_with_neither_is_refused_with_advice():
    with pytest.raises(CRSError) as exc:
        crs.resolve_srid(None, None, file="/x/roads.shp")
    assert str(exc.value).startswith("roads.shp:") and "--srid" in str(exc.value)


def test_lonlat_read_as_lambert93_is_outside_its_area_of_use():
    with pytest.raises(CRSError, match="longitude/latitude"):
        crs.check_area_of_use(2154, (7.74, 48.57, 7.76, 48.59))
    crs.check_area_of_use(2154, (1050000, 6840000, 1051000, 6841000))


def test_it_transforms_planimetry_and_keeps_heights():
    ((x, y, z),) = crs.transform_coords([(7.7521, 48.5734, 142.0)], 4326, 2154)
    assert 1050000 < x < 1051000 and 6840000 < y < 6841000 and z == 142.0


def test_it_splits_compound_crs():
    assert crs.horizontal_srid(7415) == 28992
    assert crs.vertical_datum_name(7415) == "NAP height"
    assert crs.vertical_datum_name(2154) is None
