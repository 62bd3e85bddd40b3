"""LAS point clouds: kept for tiling under the twin's data folder."""
from pathlib import Path

from gis_sync.importer import import_path
from twin.models import PointCloud


def test_a_las_file_is_copied_and_recorded(db, shared, twin_data):
    run = import_path(shared / "las" / "simple.las", srid=3857, options={"source_key": "simple"})
    cloud = PointCloud.objects.get()
    assert run.created == 1 and cloud.point_count == 1065 and cloud.srid == 3857
    assert Path(cloud.file).parent == twin_data / "pointclouds" and Path(cloud.file).is_file()
    assert run.dirty_layers == ["pointcloud-simple"]
    assert import_path(shared / "las" / "simple.las", srid=3857, options={"source_key": "simple"}).unchanged == 1
