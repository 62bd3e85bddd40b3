"""GeoTIFF terrain: CRS, nodata, vertical datum and sampling."""

import math

import pytest

from gis_sync.formats import detect
from gis_sync.formats.terrain import TerrainFormat
from twin.raster_sampling import RasterSampler


def test_it_reads_a_lambert93_dem_with_ngf_heights(data):
    assert detect(data / "dem_l93.tif") is TerrainFormat
    result = TerrainFormat().read(data / "dem_l93.tif")
    t = result.records[0]
    assert (t.srid, t.nodata, t.width, t.height, t.vertical_datum) == (2154, -9999.0, 40, 30, "NGF-IGN69")
    assert t.z_range[0] == pytest.approx(140.0)
    assert any("vertical datum" in w.message for w in result.report.warnings)


def test_its_sampler_interpolates_and_skips_nodata(data):
    sample = RasterSampler.open(data / "dem_l93.tif")
    inside, outside = sample([1050900.0, 0.0], [6840600.0, 0.0])
    assert 140.0 < inside < 142.0 and math.isnan(outside)
