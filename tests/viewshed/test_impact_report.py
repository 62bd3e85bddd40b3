"""The impact report on the test city: a 60 m tower 10 m south of a 5-storey home takes its south windows' sky."""

from __future__ import annotations

import numpy as np
import pytest

from tests.viewshed.conftest import LAND_Z, X0
from viewshed.br209 import VSC_TARGET_PCT
from viewshed.daylight import UNOBSTRUCTED_VSC
from viewshed.impact import Parameters


@pytest.fixture
def report(city):
    from viewshed.models import ImpactReport

    city.home.use = "Résidentiel"
    city.home.save()
    report, computed = ImpactReport.refresh(city.tower, Parameters(radius_m=150.0))
    assert computed
    return report


def _home_windows(report, home, azimuth: float) -> list[dict]:
    return [w for w in report.windows if w["building_id"] == home.pk and w["azimuth_deg"] == azimuth]


def test_the_tower_makes_the_homes_south_windows_fail_and_spares_the_north_ones(city, report) -> None:
    south = _home_windows(report, city.home, 180.0)
    north = _home_windows(report, city.home, 0.0)
    assert len(south) == 8 * 5 and len(north) == 8 * 5  # 40 m facades, a window every 5 m, 5 storeys
    # Before: flat land and sea in front; after: a wall 60 m high 10 m away.
    for w in south:
        assert w["vsc_before"] == pytest.approx(UNOBSTRUCTED_VSC, abs=0.5)
        assert w["vsc_after"] < VSC_TARGET_PCT and w["vsc_after"] < 0.8 * w["vsc_before"]
        assert w["vsc_fails"] and w["residential"]
    assert all(not w["vsc_fails"] and w["vsc_after"] == w["vsc_before"] for w in north)
    # A known window: ground floor, middle of the south facade; the tower rises 55 m above it 11 m away.
    mid = min(south, key=lambda w: (w["floor"], abs(w["x"] - (X0 + 200.0))))
    assert mid["floor"] == 0 and mid["z"] == pytest.approx(LAND_Z + 1.5)
    assert mid["vsc_after"] < 5.0


def test_buildings_are_ranked_by_loss_with_the_home_first(city, report) -> None:
    first = report.buildings[0]
    assert first["id"] == city.home.pk and first["vsc_fails"] == 40 and first["residential"]
    assert report.summary["vsc_fails_residential"] == report.summary["vsc_fails"] == 40
    assert report.summary["buildings"] == 2 and report.summary["windows"] == len(report.windows)
    assert "<svg" in report.map_svg and report.map_svg.count("<circle") == 40


def test_the_worst_windows_carry_the_balcony_numbers(city, report) -> None:
    assert report.balcony, "the worst windows should carry the balcony tool's numbers"
    worst = report.balcony[0]
    assert worst["building_id"] == city.home.pk
    before, after = worst["visible_area_m2"]
    assert after < before
    assert worst["sky_view_factor"][1] < worst["sky_view_factor"][0]
    assert "Phare" in worst["landmarks_lost"]


def test_a_report_is_kept_until_the_project_or_a_neighbour_changes(city, report) -> None:
    from viewshed.models import ImpactReport

    same, computed = ImpactReport.refresh(city.tower, Parameters(radius_m=150.0))
    assert not computed and same.computed_at == report.computed_at and same.is_current()
    city.tower.max_z = LAND_Z + 20.0
    city.tower.save()
    assert not ImpactReport.objects.get(pk=city.tower.pk).is_current()
    lower, computed = ImpactReport.refresh(city.tower, Parameters(radius_m=150.0))
    assert computed
    assert sum(w["vsc_after"] for w in lower.windows) > sum(w["vsc_after"] for w in report.windows)
    city.home.roof_z += 3.0
    city.home.save()
    assert not ImpactReport.objects.get(pk=city.tower.pk).is_current()


def test_a_variant_without_geometry_is_refused_with_what_to_do(city) -> None:
    from twin.models import ProjectVariant
    from viewshed.errors import ImpactError
    from viewshed.models import ImpactReport

    bare = ProjectVariant.objects.create(
        project=city.tower.project, name="Vide", slug="vide", model_file="x.glb", model_format="glb"
    )
    with pytest.raises(ImpactError, match="import its model again"):
        ImpactReport.refresh(bare)
    assert np.isfinite(city.tower.max_z)


def test_the_tower_takes_the_homes_south_sun_and_north_windows_are_not_tested(city, report) -> None:
    south = _home_windows(report, city.home, 180.0)
    north = _home_windows(report, city.home, 0.0)
    for w in south:
        assert w["apsh_before"] > 60.0  # open land and sea to the south
        assert w["apsh_after"] < 25.0 and w["apsh_fails"]
    assert all(w["apsh_before"] is None and not w["apsh_fails"] for w in north)
    assert report.summary["apsh"]["fails"] == 40 and report.summary["apsh"]["fails_residential"] == 40


def test_the_tower_takes_sun_from_the_homes_garden_on_21_march(city, report) -> None:
    from viewshed.br209 import garden_fails

    home = next(b for b in report.buildings if b["id"] == city.home.pk)
    # A 10 m band of open ground round a 40 m x 20 m home, less the corners' rounding and the band the site takes.
    assert 1000 < home["garden_m2"] < 1600
    assert home["garden_sunlit_after"] < home["garden_sunlit_before"]
    assert home["garden_fails"] == garden_fails(home["garden_sunlit_before"], home["garden_sunlit_after"])
    neighbour = next(b for b in report.buildings if b["id"] != city.home.pk)
    assert neighbour["garden_m2"] is None  # not a dwelling: no garden test
    assert report.summary["gardens"]["gardens"] == 1


def test_the_command_names_a_variant_that_does_not_exist(city) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No project variant with id 987654"):
        call_command("impact_report", "987654")
