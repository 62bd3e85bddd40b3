"""The format registry, the base class flags and the error family."""

import pytest

from gis_sync.errors import FieldValueError, FormatError, MissingFileError, SyncError
from gis_sync.formats import FORMATS, detect, get


def test_every_reader_is_registered_with_its_flags():
    get("stardt")
    assert set(FORMATS) == {
        "stardt",
        "raepa",
        "stareau",
        "ogr",
        "cityjson",
        "terrain",
        "ifc",
        "gltf",
        "pointcloud",
        "circuits",
    }
    assert get("stardt").provides_depth and get("raepa").provides_depth and get("stareau").provides_depth
    assert not get("gltf").has_crs and get("gltf").needs_placement
    assert {cls.kind for cls in FORMATS.values()} >= {"network", "buildings", "terrain", "project", "pointcloud"}


def test_unknown_format_names_list_the_known_ones():
    with pytest.raises(FormatError, match="stardt"):
        get("dwg")


def test_detect_refuses_what_no_reader_knows(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(FormatError, match="no reader"):
        detect(path)
    with pytest.raises(MissingFileError):
        detect(tmp_path / "absent.gpkg")


def test_errors_say_file_feature_field_and_advice():
    err = FieldValueError(
        "'12x' is not a number", file="/data/GRDF.gml", feature_id="Canalisation.123", field="diametre"
    )
    assert str(err) == (
        "GRDF.gml, feature Canalisation.123, field diametre: '12x' is not a number"
        " — fix the value or leave the field empty"
    )
    assert isinstance(err, SyncError) and isinstance(err, ValueError)
    assert isinstance(MissingFileError("x"), OSError)
