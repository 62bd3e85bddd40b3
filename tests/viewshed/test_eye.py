"""The facades of a footprint: each faces outwards, and one is found by its index or by the way it faces."""

from __future__ import annotations

import pytest

from tests.viewshed.conftest import box
from viewshed.eye import facade_facing, facades


def test_facades_face_outwards_whichever_way_the_ring_turns() -> None:
    for clockwise in (False, True):
        edges = facades(box(0, 0, 40, 20, clockwise=clockwise).coords)
        assert len(edges) == 4
        by_facing = sorted(round(f.azimuth_deg) for f in edges)
        assert by_facing == [0, 90, 180, 270]
        for f in edges:
            mx, my = (f.x0 + f.x1) / 2 + f.nx, (f.y0 + f.y1) / 2 + f.ny
            assert not (0 < mx < 40 and 0 < my < 20)  # one metre along the normal is outside


def test_a_facade_is_picked_by_index_or_by_the_direction_it_faces() -> None:
    edges = facades(box(0, 0, 40, 20).coords)
    assert edges[0].azimuth_deg == pytest.approx(180.0)  # the first edge runs along the south side
    assert facade_facing(edges, 100.0).azimuth_deg == pytest.approx(90.0)
    assert facade_facing(edges, 350.0).azimuth_deg == pytest.approx(0.0)
