"""Terrain GeoTIFF into the twin: an owned copy, the Terrain row, activation, unchanged re-delivery."""

from pathlib import Path

from gis_sync.importer import import_path
from twin.models import Change, Terrain


def test_the_dem_is_copied_into_the_twin_and_activated(db, data, twin_data, strasbourg):
    run = import_path(data / "dem_l93.tif", options={"source_key": "dem"})
    terrain = Terrain.current()
    assert run.created == 1 and terrain.name == "dem" and terrain.active
    assert Path(terrain.file).parent == twin_data / "terrain" and Path(terrain.file).is_file()
    assert (terrain.width, terrain.height, terrain.pixel_size, terrain.vertical_datum) == (40, 30, 5.0, "NGF-IGN69")
    assert terrain.min_z == 140.0
    assert Change.objects.get().layer == "terrain"
    assert (run.dirty_layers, run.derived) == (["terrain"], ["surface"])


def test_the_same_dem_again_is_unchanged_and_dirties_nothing(db, data, twin_data, strasbourg):
    import_path(data / "dem_l93.tif", options={"source_key": "dem"})
    again = import_path(data / "dem_l93.tif", options={"source_key": "dem"})
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert again.dirty_layers == again.derived == [] and Change.objects.count() == 1
