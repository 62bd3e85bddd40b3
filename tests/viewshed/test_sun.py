"""The sun's position: pvlib's SPA against the published NREL SPA test values, and the local days it walks."""

from datetime import UTC, date, datetime

import numpy as np

from viewshed.sun import day_times, sun_positions


def test_it_matches_the_nrel_spa_reference_to_a_hundredth_of_a_degree():
    # Reda & Andreas (2004), NREL/TP-560-34302, appendix A.5: Golden, Colorado, 17 Oct 2003
    # 12:30:30 local (UTC-7), 820 mbar, 11 °C, delta T 67 s -> zenith 50.11162°, azimuth 194.34024°.
    sun = sun_positions(
        [datetime(2003, 10, 17, 19, 30, 30, tzinfo=UTC)],
        39.742476,
        -105.1786,
        1830.14,
        pressure_mbar=820,
        temperature_c=11,
        delta_t=67,
    )
    assert abs((90 - sun.elevation[0]) - 50.11162) < 0.01
    assert abs(sun.azimuth[0] - 194.34024) < 0.01


def test_the_sun_over_antibes_stands_south_at_solar_noon_and_sets_in_the_west():
    times = day_times(date(2026, 6, 21), "Europe/Paris", 10)
    sun = sun_positions(times, 43.58, 7.12)
    top = int(np.argmax(sun.elevation))
    # Solar noon at 7.12°E is about 11:31 UTC: 13:31 summer time.
    assert abs(sun.azimuth[top] - 180) < 3
    assert 69 < sun.elevation[top] < 70.5  # 90 - 43.58 + 23.44
    assert 14.5 < sun.up.sum() * 10 / 60 < 16  # about 15 h 20 of daylight at the solstice
    assert sun.azimuth[np.flatnonzero(sun.up)[-1]] > 290


def test_a_day_of_the_clock_change_has_23_hours_of_steps():
    assert len(day_times(date(2026, 3, 29), "Europe/Paris", 15)) == 92
    assert len(day_times(date(2026, 7, 1), "Europe/Paris", 15)) == 96
