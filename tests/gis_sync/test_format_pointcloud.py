"""LAS point clouds: header facts and the CRS rule."""

import pytest

from gis_sync.errors import CRSError
from gis_sync.formats import detect
from gis_sync.formats.pointcloud import PointCloudFormat


def test_it_refuses_a_las_without_crs_unless_one_is_given(shared):
    path = shared / "las" / "simple.las"
    assert detect(path) is PointCloudFormat
    with pytest.raises(CRSError) as exc:
        PointCloudFormat().read(path)
    assert "--srid" in str(exc.value)


def test_it_refuses_a_srid_whose_area_does_not_hold_the_points(shared):
    with pytest.raises(CRSError, match="area of use"):
        PointCloudFormat().read(shared / "las" / "simple.las", srid=2154)


def test_it_reads_the_header(shared):
    pc = PointCloudFormat().read(shared / "las" / "simple.las", srid=3857).records[0]
    assert (pc.point_count, pc.las_version, pc.point_format, pc.compressed, pc.has_rgb) == (1065, "1.2", 3, False, True)
    assert pc.bounds[0] == pytest.approx(635619.85)
