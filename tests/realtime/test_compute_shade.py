"""manage.py compute_shade: the shade job on a small city's surface model, rerun only when something changed."""

from __future__ import annotations

from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from tests.viewshed.conftest import LAND_Z, X0, Y0, box, city  # noqa: F401 - the small city fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def street(city):  # noqa: F811
    """An east-west street 10 m north of the 15 m high "Résidence" (x + 180 to + 220), from x + 150 to + 250."""
    from django.contrib.gis.geos import LineString

    from twin.models import StreetSegment

    StreetSegment.objects.create(
        source_key="test-streets",
        source_id="rue",
        kind="street",
        name="Rue du Nord",
        geom=LineString([(X0 + 150, Y0 + 230, LAND_Z), (X0 + 250, Y0 + 230, LAND_Z)], srid=2154),
    )
    return city


def run(*args) -> str:
    out = StringIO()
    call_command("compute_shade", "--date", "2026-12-21", *args, stdout=out)
    return out.getvalue()


def test_the_winter_noon_shadow_of_a_building_covers_the_street_behind_it(street):
    from realtime.shade import ShadeTable
    from realtime.shade_store import shade_path

    assert "shade computed" in run()
    table = ShadeTable.load(shade_path())
    assert table.n_slots == 2 * 96
    noon = int(table.seconds_from_start(np.datetime64("2026-12-21T11:30:00")) // 900)
    # By hand: the sun 23° up in the south, 15 m of building cast 15 / tan 23° = 35 m of shadow, past the
    # street 10 m behind it, over the building's 40 m of the street's 100 m.
    assert table.shade[0, noon] / 255 == pytest.approx(0.4, abs=0.05)
    assert (table.shade[:, noon - 20] == 255).all()  # 06:30 UTC in December: before sunrise
    assert "shade current" in run()


def test_a_new_building_makes_the_job_cast_the_shade_again(street):
    from realtime.shade import ShadeTable
    from realtime.shade_store import shade_path
    from twin.models import Building

    run()
    noon = int(ShadeTable.load(shade_path()).seconds_from_start(np.datetime64("2026-12-21T11:30:00")) // 900)
    Building.objects.create(
        source_key="test",
        source_id="NEW",
        footprint=box(X0 + 140, Y0 + 200, X0 + 180, Y0 + 220),
        ground_z=LAND_Z,
        roof_z=LAND_Z + 15.0,
        storeys=5,
    )
    assert "shade computed" in run()
    # The new building's shadow covers the street from x + 150 (its start) to + 180: 70 m of 100 m now.
    assert ShadeTable.load(shade_path()).shade[0, noon] / 255 == pytest.approx(0.7, abs=0.05)


def test_a_city_without_terrain_is_told_what_is_missing(settings, tmp_path):
    """No terrain, so no surface model to cast shade on: the command says so instead of a traceback."""
    from django.core.management.base import CommandError

    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError, match="surface model"):
        run()


def test_a_city_without_streets_is_told_what_is_missing(city):  # noqa: F811
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="import streets"):
        run()


def test_a_new_tree_makes_the_job_cast_its_crown_on_the_street(street):
    from django.contrib.gis.geos import Point

    from realtime.shade import ShadeTable
    from realtime.shade_store import shade_path
    from twin.models import Tree

    run()
    before = ShadeTable.load(shade_path())
    noon = int(before.seconds_from_start(np.datetime64("2026-12-21T11:30:00")) // 900)
    assert before.trees == 0
    # A pine 15 m south of the street at x + 240, its crown 5 to 13 m up and 10 m across.
    Tree.objects.create(
        source_key="test",
        source_id="PIN",
        location=Point(X0 + 240, Y0 + 215, srid=2154),
        ground_z=LAND_Z,
        height_m=13.0,
        crown_base_m=5.0,
        crown_radius_m=5.0,
        content_hash="1",
    )
    assert "shade computed" in run()
    after = ShadeTable.load(shade_path())
    assert after.trees == 1
    # By hand: the winter noon ray from the street, 23° up towards the south, is 6.4 m up 15 m away, 2.6 m
    # under the crown's middle: inside the crown up to about 4 m either side of the pine, so the 2 m samples at
    # x + 237, 239, 241 and 243 are shaded besides the building's 40 %: 8 % more of the street.
    assert after.shade[0, noon] / 255 == pytest.approx(before.shade[0, noon] / 255 + 0.08, abs=0.01)
    assert "shade current" in run()
