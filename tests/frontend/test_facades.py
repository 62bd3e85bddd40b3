"""A building's storeys and sides as the guided balcony offers them (frontend core/facades.js), run in Node."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT
from tests.frontend.node import evaluate

MODULE = ROOT / "frontend" / "static" / "jumeau" / "core" / "facades.js"


def run(tmp_path, expression: str):
    return evaluate(MODULE, ["sectorOf", "sidesOf", "storeysOf"], expression, tmp_path)


# A 20 m (east-west) by 10 m (north-south) block, counter-clockwise and closed, as GeoJSON writes an outer ring.
BLOCK = [[0, 0], [20, 0], [20, 10], [0, 10], [0, 0]]


@pytest.mark.parametrize("ring", [BLOCK, list(reversed(BLOCK)), BLOCK[:-1]])
def test_a_block_faces_its_four_ways_outward_whichever_way_its_ring_turns(tmp_path, ring):
    sides = run(tmp_path, f"sidesOf({json.dumps(ring)})")
    assert [s["sector"] for s in sides] == [0, 2, 4, 6]  # north, east, south, west, in compass order
    assert [round(s["azimuth"]) % 360 for s in sides] == [0, 90, 180, 270]
    assert [s["length"] for s in sides] == [20, 10, 20, 10]


def test_a_turned_block_faces_the_diagonals_and_a_jog_in_the_wall_is_no_side(tmp_path):
    # A block turned 45°, its eastern corner cut by a 1 m wall facing east.
    ring = [[0, 0], [10, -10], [24.5, 4.5], [24.5, 5.5], [15, 15], [0, 0]]
    sides = run(tmp_path, f"sidesOf({json.dumps(ring)})")
    assert [s["sector"] for s in sides] == [1, 3, 5, 7]
    assert all(abs(s["azimuth"] - 45 * s["sector"]) < 1 for s in sides), sides


def test_storeys_come_from_the_building_else_its_height(tmp_path):
    got = run(tmp_path, "[storeysOf(5, 30), storeysOf(0, 13.4), storeysOf(NaN, NaN), storeysOf(0, 1)]")
    assert got == [5, 4, 1, 1]
    assert run(tmp_path, "[sectorOf(-10), sectorOf(350), sectorOf(22), sectorOf(23), sectorOf(720 + 180)]") == [
        0,
        0,
        0,
        1,
        4,
    ]
