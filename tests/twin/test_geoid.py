"""Orthometric heights become ellipsoidal only through a real geoid grid."""

from __future__ import annotations

import numpy as np
import pytest

from twin.geoid import GeoidGridMissing, HeightFrame

OLD_TOWN = (1033398.8, 6284466.2)  # Antibes, Lambert-93


def test_the_egm96_undulation_at_antibes_is_about_48_metres():
    frame = HeightFrame(2154, "egm96_15.gtx")
    lon, lat, h = frame.to_geographic([OLD_TOWN[0]], [OLD_TOWN[1]], [10.0])
    assert lon[0] == pytest.approx(7.1283, abs=1e-3) and lat[0] == pytest.approx(43.5808, abs=1e-3)
    assert 45.0 < h[0] - 10.0 < 52.0


def test_ecef_round_trips_to_the_millimetre():
    frame = HeightFrame(2154, "egm96_15.gtx")
    ecef = frame.to_ecef([OLD_TOWN[0], OLD_TOWN[0] + 500], [OLD_TOWN[1], OLD_TOWN[1] - 800], [10.0, 75.0])
    x, y, h = frame.from_ecef(ecef)
    assert np.allclose(x, [OLD_TOWN[0], OLD_TOWN[0] + 500], atol=1e-3)
    assert np.allclose(h, [10.0, 75.0], atol=1e-3)


def test_a_missing_grid_is_an_error_not_a_silent_ballpark():
    with pytest.raises(GeoidGridMissing, match="about 50 m off"):
        HeightFrame(2154, "fr_ign_RAF20.tif").undulation([7.12], [43.58])
