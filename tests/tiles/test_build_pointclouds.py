"""Point clouds: py3dtiles tiles (pnts) whose points land where twin.geoid puts them, published like any layer."""

from __future__ import annotations

import json
import struct

import laspy
import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from tests.tiles.tile_reading import contents
from tiles.build import build_layers, known_layers
from twin.geoid import HeightFrame
from twin.models import PointCloud

pytestmark = pytest.mark.django_db

SIMPLE = SHARED_DATA / "las" / "simple.las"


def read_pnts(data: bytes) -> tuple[np.ndarray, dict]:
    magic, _, _, ft_json, ft_bin, _, _ = struct.unpack_from("<4sIIIIII", data, 0)
    assert magic == b"pnts"
    table = json.loads(data[28 : 28 + ft_json])
    binary = data[28 + ft_json : 28 + ft_json + ft_bin]
    n = table["POINTS_LENGTH"]
    pos = np.frombuffer(binary, np.float32, n * 3, table["POSITION"]["byteOffset"]).reshape(-1, 3).astype(np.float64)
    if "RTC_CENTER" in table:
        pos += table["RTC_CENTER"]
    return pos, table


def test_a_point_cloud_becomes_its_own_layer_with_points_in_place(db, tiles_root):
    PointCloud.objects.create(name="Simple LAS", file=str(SIMPLE), srid=3857, point_count=1065)
    assert "pointcloud-simple-las" in known_layers()
    [record] = build_layers(["pointcloud-simple-las"], progress=lambda m: None)
    assert record.status == "published" and record.features == 1065 and record.tiles >= 1
    las = laspy.read(str(SIMPLE))
    frame = HeightFrame(3857, "egm96_15.gtx")
    points, leaves = [], []
    for content in contents(tiles_root, "pointcloud-simple-las"):
        assert content.uri.startswith("@")
        pos, _ = read_pnts(content.path.read_bytes())
        points.append(pos @ content.transform[:3, :3].T + content.transform[:3, 3])
        if "children" not in content.tile:
            leaves.append(points[-1])
    ecef = np.concatenate(points)
    assert len(ecef) >= 1065  # coarser levels repeat a subset of the points
    x, y, z = frame.from_ecef(ecef)
    # Every source point comes back within 5 cm, and every point of a leaf tile is a source point
    # (py3dtiles snaps the subsampled points of coarser levels to a grid).
    src = np.column_stack([las.x, las.y, las.z])
    from scipy.spatial import cKDTree

    d, _ = cKDTree(np.column_stack([x, y, z])).query(src)
    assert d.max() < 0.05, d.max()
    lx, ly, lz = frame.from_ecef(np.concatenate(leaves))
    back, _ = cKDTree(src).query(np.column_stack([lx, ly, lz]))
    assert back.max() < 0.05, back.max()
