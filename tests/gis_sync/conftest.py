"""Paths to the shared real files and to the small fixtures of tests/data/gis_sync."""

from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA as SHARED

DATA = Path(__file__).resolve().parents[1] / "data" / "gis_sync"


@pytest.fixture
def shared() -> Path:
    return SHARED


@pytest.fixture
def data() -> Path:
    return DATA


@pytest.fixture
def twin_data(settings, tmp_path) -> Path:
    """A private JUMEAU_DATA_DIR, so imported terrains, meshes and point clouds never touch var/data."""
    settings.JUMEAU_DATA_DIR = tmp_path / "data"
    return settings.JUMEAU_DATA_DIR


@pytest.fixture
def strasbourg(settings):
    """The city extent moved to Strasbourg, where the CNIG StaR-DT samples and the small fixtures lie."""
    settings.JUMEAU_EXTENT = (1049000.0, 6839000.0, 1053000.0, 6843000.0)
    return settings.JUMEAU_EXTENT


@pytest.fixture
def terrain(db, twin_data, strasbourg):
    """The small Strasbourg DEM imported and active."""
    from gis_sync.importer import import_path
    from twin.models import Terrain

    import_path(DATA / "dem_l93.tif", options={"source_key": "dem"})
    return Terrain.current()
