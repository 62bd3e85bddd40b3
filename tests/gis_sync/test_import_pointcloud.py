"""LAS point clouds: kept for tiling under the twin's data folder."""

from pathlib import Path

from gis_sync.importer import import_path
from twin.models import PointCloud


def test_a_las_file_is_kept_in_the_storage_crs_and_recorded(db, shared, twin_data):
    run = import_path(shared / "las" / "simple.las", srid=3857, options={"source_key": "simple"})
    cloud = PointCloud.objects.get()
    # Rewritten in Lambert-93 by PROJ's stated operation, which the run names with its accuracy.
    assert run.created == 1 and cloud.point_count == 1065 and cloud.srid == 2154
    assert [t["accuracy_m"] for t in run.report["transformations"] if t["from"].startswith("EPSG:3857")] == [1.0]
    assert Path(cloud.file).parent == twin_data / "pointclouds" and Path(cloud.file).is_file()
    assert run.dirty_layers == ["pointcloud-simple"]
    assert import_path(shared / "las" / "simple.las", srid=3857, options={"source_key": "simple"}).unchanged == 1
