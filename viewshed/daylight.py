"""Vertical sky component under the CIE standard overcast sky, from a window's obstruction horizon.

BRE BR 209 (2022), Appendix C: the VSC is the ratio of the direct sky illuminance falling on the
vertical plane of a window to the simultaneous illuminance on an unobstructed horizontal plane,
under the CIE standard overcast sky; an unobstructed vertical window receives 39.6 % at most.
"""

from __future__ import annotations

import math

import numpy as np

# CIE standard overcast sky (CIE S 011, sky type 1; Moon & Spencer): luminance at elevation t is
# L(t) = Lz (1 + 2 sin t) / 3. Integrated over the hemisphere with the horizontal plane's cos(zenith)
# weight, E_h = Lz * 2 pi * (1/2 + 2/3) / 3 = 7 pi / 9 * Lz.
UNOBSTRUCTED_HORIZONTAL = 7.0 * math.pi / 9.0


def elevation_integral(h: np.ndarray) -> np.ndarray:
    """Integral over elevation t from h to pi/2 of L(t)/Lz * cos^2 t dt (closed form).

    One cos t is the solid angle element, the other the incidence on a vertical plane facing the
    azimuth. h: obstruction angle in radians; below the horizontal the window's sky starts at 0
    (the VSC counts the sky only, never the ground).
    """
    t = np.clip(np.asarray(h, np.float64), 0.0, np.pi / 2)
    cos_part = math.pi / 4 - t / 2 - np.sin(2 * t) / 4  # integral of cos^2
    sin_part = 2.0 / 3.0 * np.cos(t) ** 3  # integral of 2 sin t cos^2
    return (cos_part + sin_part) / 3.0


def azimuth_weights(n: int) -> np.ndarray:
    """Exact integral of cos(a) over each of n equal sectors from -pi/2 to pi/2 (they sum to 2)."""
    edges = -np.pi / 2 + np.arange(n + 1) * (np.pi / n)
    return np.diff(np.sin(edges))


def vertical_sky_component(horizons: np.ndarray) -> np.ndarray:
    """VSC in percent for each row of `horizons` (radians, n equal front sectors from -90 to +90 degrees
    about the window's normal, as `facade_horizons` gives them). Unobstructed: 39.6 %."""
    h = np.atleast_2d(np.asarray(horizons, np.float64))
    weights = azimuth_weights(h.shape[1])
    return 100.0 * (elevation_integral(h) @ weights) / UNOBSTRUCTED_HORIZONTAL


UNOBSTRUCTED_VSC = float(vertical_sky_component(np.zeros((1, 180)))[0])
