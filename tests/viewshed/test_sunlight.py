"""Hours of direct sun at a point over a day, with and without a project."""

from datetime import date

import numpy as np

from viewshed.sunlight import daily_sun_hours
from viewshed.surface import Grid, Patch, SurfaceModel


def test_a_day_of_sun_at_the_foot_of_a_wall_with_and_without_the_project():
    grid = Grid(0.0, 200.0, 1.0, 200, 200)
    dsm = np.zeros((200, 200), np.float32)
    surface = SurfaceModel(grid, dsm, np.zeros_like(dsm, bool))
    args = (100.5, 100.5, date(2026, 6, 21), "Europe/Paris", 43.58, 7.12, 0.0)
    open_sky = daily_sun_hours(surface, *args)
    assert 15.0 < open_sky < 15.7  # the solstice's day length at Antibes, in 10-minute steps
    # A 20 m block 5 m south of the point: at the solstice noon (70°) its shadow reaches 7 m north.
    project = Patch(105, 80, np.full((10, 41), 20.0, np.float32))
    with_project = daily_sun_hours(surface, *args, patch=project)
    assert with_project < open_sky - 3
