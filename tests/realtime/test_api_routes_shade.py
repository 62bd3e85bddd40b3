"""GET /api/routes/ with a shade preference: the shade job's table read at the walker's time."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from tests.realtime.conftest import X0, Y0

pytestmark = pytest.mark.django_db


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def _store(shares_for):
    """A table for the current walk graph, from now on, whose shares come from shares_for(graph)."""
    from realtime.pedestrian import current_graph
    from realtime.shade import ShadeTable, graph_key
    from realtime.shade_store import shade_path

    g = current_graph().graph
    start = np.datetime64(datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0), "s")
    table = ShadeTable.from_shares(
        shares_for(g), start - np.timedelta64(60, "s"), 15, graph_key(g.x, g.y, g.edge_u, g.edge_v), "test"
    )
    table.save(shade_path())
    return g


def test_a_walk_tells_its_share_in_shade_and_its_stretches(citizen, street_grid, var_dir):
    # Streets running east-west (constant y) are in shade, north-south ones in sun.
    def shares(g):
        ns = np.abs(g.x[g.edge_u] - g.x[g.edge_v]) < 1e-6
        return np.repeat(np.where(ns, 0.0, 1.0)[:, None], 8, axis=1)

    _store(shares)
    response = citizen.get("/api/routes/", {"from": "port-vauban", "to": "chateau", "shade": "most"})
    assert response.status_code == 200, response.content
    props = response.json()["properties"]
    assert props["shade"]["available"] and props["shade"]["preference"] == "most"
    assert 0.0 < props["shade"]["share"] < 1.0
    assert props["shade"]["detour"] <= 0.2
    runs = props["shade_runs"]
    assert runs[0][0] == 0 and runs[-1][1] == len(response.json()["geometry"]["coordinates"]) - 1
    assert {r[2] >= 0.5 for r in runs} == {True, False}


def test_without_a_table_the_walk_says_shade_is_unknown(citizen, street_grid, var_dir):
    props = citizen.get("/api/routes/", {"from": "port-vauban", "to": "chateau", "shade": "some"}).json()["properties"]
    assert props["shade"]["available"] is False and props["shade"]["share"] is None
    assert "shade_runs" not in props


def test_a_bad_preference_or_departure_is_a_400(citizen, street_grid, var_dir):
    response = citizen.get("/api/routes/", {"from": "port-vauban", "to": "chateau", "shade": "lots"})
    assert response.status_code == 400 and "none, some, most" in response.json()["detail"]
    response = citizen.get("/api/routes/", {"from": "port-vauban", "to": "chateau", "depart": "2026-07-14T16:30"})
    assert response.status_code == 400 and "zone" in response.json()["detail"]


def test_the_job_casts_a_tower_shadow_on_the_streets_north_of_it(street_grid, var_dir):
    from realtime.pedestrian import current_graph
    from realtime.shade_store import compute_table
    from viewshed.dsm import Grid, SurfaceModel

    grid = Grid(X0 - 50, Y0 + 300, 1.0, 350, 350)
    rows, _ = np.indices((grid.rows, grid.cols))
    y = grid.ymax - (rows + 0.5)
    ground = (2.0 + 4.0 * (y - Y0) / 50.0).astype(np.float32)  # the street grid's own slope
    dsm = ground.copy()
    r0, c0 = grid.cell_of(X0 + 103, Y0 + 76)
    dsm[r0 : r0 + 16, c0 : c0 + 44] += 60.0  # a 60 m block, 44 m wide, south of the street y = Y0 + 100
    surface = SurfaceModel(grid, dsm, np.zeros_like(dsm, bool), "test")
    g = current_graph().graph
    noon = np.datetime64("2026-12-21T11:30:00")  # winter solar noon: the sun 23° up in the south
    table = compute_table(g, surface, np.array([noon, noon + np.timedelta64(12, "h")]))
    shade = table.shade[:, 0] / 255
    mid_y = (g.y[g.edge_u] + g.y[g.edge_v]) / 2
    mid_x = (g.x[g.edge_u] + g.x[g.edge_v]) / 2
    # By hand: 60 m / tan 23° is 141 m of shadow on the flat; the street climbs 8 % towards it, so
    # the shadow ends about 60 / (tan 23° + 0.08) = 119 m north of the block, past the street y + 150.
    east_west = np.abs(g.y[g.edge_u] - g.y[g.edge_v]) < 1e-6
    behind = east_west & (mid_x > X0 + 100) & (mid_x < X0 + 150)
    for street_y in (Y0 + 100, Y0 + 150):
        assert shade[behind & (np.abs(mid_y - street_y) < 1)].mean() > 0.7
    assert shade[behind & (np.abs(mid_y - (Y0 + 250)) < 1)].max() == 0.0
    south_or_far = (mid_y < Y0 + 55) | (mid_x > X0 + 200)
    assert south_or_far.any() and shade[south_or_far].max() == 0.0
    assert (table.shade[:, 1] == 255).all()  # 23:30 UTC: night
