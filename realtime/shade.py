"""Shade on the walk graph: the share of each street edge out of direct sun, per 15-minute slot of a day.

Pure: arrays in, arrays out. Coordinates are the storage CRS (metres), heights
orthometric metres, sun directions in the DSM grid's frame (viewshed.shadow).
What casts the shade is the surface model (terrain and buildings, and a
project variant when one is burnt in) and the city's trees where it has them:
their crowns cast exactly as ellipsoids (realtime.crowns), not burnt into the
DSM, because the sun shines under a crown onto the pavement beside its trunk.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from realtime.crowns import Crowns, crown_shade
from viewshed.shadow import shaded_points, shadow_heights_at_cells

SLOT_MINUTES = 15
SAMPLE_STEP_M = 2.0  # a sample every 2 m: a 1 m DSM, and shade edges a walker notices
# Shares are stored as bytes: 1/255 is far finer than a walker can tell.
SHARE_SCALE = 255


@dataclass(frozen=True)
class EdgeSamples:
    """Points along the edges: edge index, storage-CRS x/y (metres), street height z (orthometric metres)."""

    edge: np.ndarray
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    n_edges: int


def edge_samples(x, y, z, u, v, step_m: float = SAMPLE_STEP_M) -> EdgeSamples:
    """Points at the middle of equal pieces no longer than `step_m` metres along each edge u[i] -> v[i].

    x, y, z: node coordinates (storage CRS, metres). Every edge gets at least one point.
    """
    x, y, z = (np.asarray(a, np.float64) for a in (x, y, z))
    u, v = np.asarray(u, np.int64), np.asarray(v, np.int64)
    length = np.hypot(x[v] - x[u], y[v] - y[u])
    pieces = np.maximum(1, np.ceil(length / step_m)).astype(np.int64)
    edge = np.repeat(np.arange(len(u)), pieces)
    first = np.concatenate([[0], np.cumsum(pieces)[:-1]])
    frac = (np.arange(len(edge)) - first[edge] + 0.5) / pieces[edge]
    a, b = u[edge], v[edge]
    return EdgeSamples(
        edge, x[a] + frac * (x[b] - x[a]), y[a] + frac * (y[b] - y[a]), z[a] + frac * (z[b] - z[a]), len(u)
    )


def shade_shares(
    dsm: np.ndarray, grid, samples: EdgeSamples, azimuth_deg, elevation_deg, crowns: Crowns | None = None
) -> np.ndarray:
    """Share of each edge out of direct sun (float32 0..1), shape (n_edges, n_positions).

    dsm: the surface (metres) on `grid` (viewshed.dsm.Grid); azimuth_deg, elevation_deg: one sun
    position per column, in the grid frame (viewshed.shadow.grid_azimuth). A sun below the horizon
    leaves every edge in shade. A sample whose own cell is a roof more than COVER_CLEARANCE_M above
    the street stands under it; samples off the grid count as sunny (nothing known casts shade there).
    crowns: the trees' crowns (storage CRS, orthometric metres), casting shade with the buildings.
    """
    rows_f, cols_f = grid.pixel(samples.x, samples.y)
    r, c = np.floor(rows_f).astype(np.int64), np.floor(cols_f).astype(np.int64)
    inside = (r >= 0) & (r < grid.rows) & (c >= 0) & (c < grid.cols)
    r, c = r[inside], c[inside]
    own = np.asarray(dsm[r, c], np.float64)
    street = samples.z[inside]
    # On the ground the walker stands on the DSM; a roof above the street line means a covered passage.
    z = np.where(own <= street + 2.5, own, street)
    counts = np.bincount(samples.edge, minlength=samples.n_edges).astype(np.float64)
    out = np.ones((samples.n_edges, len(np.atleast_1d(elevation_deg))), np.float32)
    if not len(r):
        out[:, np.asarray(elevation_deg) > 0] = 0.0
        return out
    dsm_t = None
    edge_in = samples.edge[inside]
    x_in, y_in = samples.x[inside], samples.y[inside]
    for i, (az, el) in enumerate(zip(np.atleast_1d(azimuth_deg), np.atleast_1d(elevation_deg))):
        if el <= 0.0:
            continue
        if _transposed(az) and dsm_t is None:
            dsm_t = np.ascontiguousarray(np.asarray(dsm).T)
        # Swept for the samples' cells alone: writing every cell's height cost as much as the sweep itself.
        sh = shadow_heights_at_cells(dsm, grid.cell, float(az), float(el), r, c, dsm_t)
        shaded = shaded_points(sh.astype(np.float32).astype(np.float64), own, z)
        if crowns is not None and len(crowns):
            shaded |= crown_shade(crowns, x_in, y_in, z, float(az), float(el))
        out[:, i] = np.bincount(edge_in, weights=shaded, minlength=samples.n_edges) / np.maximum(counts, 1)
    return out


def _transposed(azimuth_deg: float) -> bool:
    a = np.radians(azimuth_deg)
    return abs(np.cos(a)) > abs(np.sin(a))


def graph_key(x, y, u, v) -> str:
    """A digest of the graph's nodes (to the centimetre) and edges: a table fits only the graph it was made for."""
    h = hashlib.sha256()
    for arr in (np.round(np.asarray(x) * 100), np.round(np.asarray(y) * 100)):
        h.update(arr.astype(np.int64).tobytes())
    h.update(np.asarray(u, np.int64).tobytes())
    h.update(np.asarray(v, np.int64).tobytes())
    return h.hexdigest()[:24]


@dataclass(frozen=True)
class ShadeTable:
    """Shade shares per undirected edge (uint8, 255 = all in shade) for `slot_minutes` slots from `start`."""

    shade: np.ndarray  # (n_edges, n_slots) uint8
    start: np.datetime64  # UTC start of slot 0
    slot_minutes: int
    graph_key: str
    surface: str  # fingerprint of the surface model and the trees the shade was cast on
    trees: int = 0  # how many tree crowns cast shade with the buildings

    @classmethod
    def from_shares(
        cls, shares: np.ndarray, start, slot_minutes: int, graph_key: str, surface: str, trees: int = 0
    ) -> ShadeTable:
        q = np.clip(np.rint(np.asarray(shares) * SHARE_SCALE), 0, SHARE_SCALE).astype(np.uint8)
        return cls(q, np.datetime64(start, "s"), slot_minutes, graph_key, surface, trees)

    @property
    def n_slots(self) -> int:
        return int(self.shade.shape[1])

    @property
    def end(self) -> np.datetime64:
        return self.start + np.timedelta64(self.n_slots * self.slot_minutes * 60, "s")

    def seconds_from_start(self, when) -> float:
        """Seconds from slot 0 to `when` (datetime64 or aware datetime, UTC)."""
        return float((np.datetime64(_utc(when), "s") - self.start) / np.timedelta64(1, "s"))

    def covers(self, when) -> bool:
        return self.start <= np.datetime64(_utc(when), "s") < self.end

    def sun_shares(self) -> np.ndarray:
        """Share of each edge in direct sun per slot: float32 (n_slots, n_edges), slot-major for the search."""
        return np.ascontiguousarray(1.0 - self.shade.T.astype(np.float32) / SHARE_SCALE)

    def shade_at(self, edges: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """Shade share of undirected `edges` at `seconds` from slot 0 (clamped to the table's slots)."""
        slot = np.clip((np.asarray(seconds) // (self.slot_minutes * 60)).astype(np.int64), 0, self.n_slots - 1)
        return self.shade[np.asarray(edges, np.int64), slot].astype(np.float64) / SHARE_SCALE

    def save(self, path: Path) -> None:
        """Write atomically: a route service reading the file never sees half of it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(
                    f,
                    shade=self.shade,
                    start=np.asarray(self.start.astype(np.int64)),
                    slot_minutes=np.asarray(self.slot_minutes),
                    graph_key=np.asarray(self.graph_key),
                    surface=np.asarray(self.surface),
                    trees=np.asarray(self.trees),
                )
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> ShadeTable:
        with np.load(path) as npz:
            return cls(
                npz["shade"],
                np.datetime64(int(npz["start"]), "s"),
                int(npz["slot_minutes"]),
                str(npz["graph_key"]),
                str(npz["surface"]),
                int(npz["trees"]) if "trees" in npz.files else 0,
            )


def _utc(when):
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError(f"a shade time needs a time zone, got {when!r}")
        return when.astimezone(UTC).replace(tzinfo=None)
    return when
