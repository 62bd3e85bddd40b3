"""Fast storage-CRS → ECEF for one tile: a quadratic fitted to twin.geoid's exact transform, then checked.

Calling PROJ (projection + geoid grid) costs about 3 µs a vertex; a tile of 500 buildings has
~30,000 vertices. Over a tile-sized patch the map (x, y) → ECEF on the ellipsoid is smooth to far
below a millimetre, and a geodetic height h moves a point exactly along the ellipsoid normal U:

    ECEF(x, y, h_ortho) = Q(x, y) + h_ortho · U(x, y),   Q = ECEF(x, y, 0 ortho) = P(x, y, N(x, y))

so Q and U are fitted once per tile with a quadratic in (x, y), from exact samples of the
HeightFrame (the same one every layer uses), and the fit is checked on points between the
samples. When the check fails (a tile too large, a kink in the geoid grid), the exact transform is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.geoid import HeightFrame

# A fit must reproduce the exact transform to this many metres on the check points.
TOLERANCE_M = 0.002
_SAMPLES = 7


def _monomials(u: np.ndarray, v: np.ndarray) -> list[np.ndarray]:
    uu, vv = u * u, v * v
    return [np.ones_like(u), u, v, uu, u * v, vv, uu * v, u * vv, uu * u, vv * v]


def _design(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.column_stack(_monomials(u, v))


def _evaluate(terms: list[np.ndarray], coef: np.ndarray) -> np.ndarray:
    # Term by term rather than a matrix product: multithreaded BLAS on small matrices is
    # slower than this on a busy 2-core machine (and sometimes 50 times slower).
    out = np.empty((terms[0].shape[0], 3))
    for c in range(3):
        acc = np.full(terms[0].shape[0], coef[0, c])
        for k in range(1, len(terms)):
            acc += terms[k] * coef[k, c]
        out[:, c] = acc
    return out


@dataclass
class TileGeoref:
    """Maps storage-CRS x, y (m) and orthometric heights (m) to ECEF metres for points near one tile."""

    frame: HeightFrame
    origin: tuple[float, float]
    scale: float
    q_coef: np.ndarray | None  # (10, 3) or None when the exact transform is used
    u_coef: np.ndarray | None

    @classmethod
    def fit(cls, frame: HeightFrame, bounds: tuple[float, float, float, float]) -> TileGeoref:
        """A georeference valid inside bounds (xmin, ymin, xmax, ymax), storage CRS metres."""
        xmin, ymin, xmax, ymax = (float(b) for b in bounds)
        pad = max(1.0, 0.02 * max(xmax - xmin, ymax - ymin))
        xmin, ymin, xmax, ymax = xmin - pad, ymin - pad, xmax + pad, ymax + pad
        origin = ((xmin + xmax) / 2, (ymin + ymax) / 2)
        scale = max(xmax - xmin, ymax - ymin, 1.0) / 2
        g = np.linspace(-1.0, 1.0, _SAMPLES)
        gu, gv = (a.ravel() for a in np.meshgrid(g, g))
        # Check points sit between the samples, where a bad fit strays most.
        c = (g[:-1] + g[1:]) / 2
        cu, cv = (a.ravel() for a in np.meshgrid(c, c))
        u = np.concatenate([gu, cu])
        v = np.concatenate([gv, cv])
        x = origin[0] + u * scale
        y = origin[1] + v * scale
        q = frame.to_ecef(x, y, np.zeros_like(x))
        up = frame.to_ecef(x, y, np.full_like(x, 100.0))
        unit = (up - q) / 100.0
        n = gu.size
        design = _design(gu, gv)
        q_coef, *_ = np.linalg.lstsq(design, q[:n], rcond=None)
        u_coef, *_ = np.linalg.lstsq(design, unit[:n], rcond=None)
        err_q = np.abs(_evaluate(_monomials(cu, cv), q_coef) - q[n:]).max()
        # A point 500 m above or below the geoid is the worst a city has.
        err_u = np.abs(_evaluate(_monomials(cu, cv), u_coef) - unit[n:]).max() * 500.0
        if err_q + err_u > TOLERANCE_M:
            return cls(frame, origin, scale, None, None)
        return cls(frame, origin, scale, q_coef, u_coef)

    @property
    def exact(self) -> bool:
        return self.q_coef is None

    def to_ecef(self, x: np.ndarray, y: np.ndarray, h: np.ndarray) -> np.ndarray:
        """(n, 3) ECEF metres of storage-CRS x, y (m) and orthometric heights h (m)."""
        x = np.asarray(x, np.float64)
        y = np.asarray(y, np.float64)
        h = np.asarray(h, np.float64)
        if self.q_coef is None:
            return self.frame.to_ecef(x, y, h)
        terms = _monomials((x - self.origin[0]) / self.scale, (y - self.origin[1]) / self.scale)
        return _evaluate(terms, self.q_coef) + h[:, None] * _evaluate(terms, self.u_coef)

    def local_axes(self) -> np.ndarray:
        """3x3 matrix whose columns are the storage CRS's x, y and up directions in ECEF at the tile centre.

        Rotates normals computed in the storage CRS (projected x, y with heights) into ECEF,
        grid convergence included.
        """
        x0, y0 = self.origin
        # One call with four points: pyproj takes a one-element array for a scalar (and warns).
        pts = self.frame.to_ecef(
            np.array([x0, x0 + 1.0, x0, x0]), np.array([y0, y0, y0 + 1.0, y0]), np.array([0.0, 0.0, 0.0, 1.0])
        )
        ex = pts[1] - pts[0]
        ey = pts[2] - pts[0]
        ez = pts[3] - pts[0]
        axes = np.column_stack([ex / np.linalg.norm(ex), ey / np.linalg.norm(ey), ez / np.linalg.norm(ez)])
        return axes
