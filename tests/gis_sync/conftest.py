"""Paths to the shared real files and to the small fixtures of tests/data/gis_sync."""
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")
DATA = Path(__file__).resolve().parents[1] / "data" / "gis_sync"


@pytest.fixture
def shared() -> Path:
    return SHARED


@pytest.fixture
def data() -> Path:
    return DATA
