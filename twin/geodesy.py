"""Every coordinate and height transformation of the twin: PROJ's best operation whose grids are here, never a ballpark.

PROJ, asked for a CRS-to-CRS transformation without the grid its best operation needs, silently falls back to
a "ballpark" operation: no datum shift at all (RD New to Lambert-93: 108 m off; NAP or NGF-IGN69 heights to
the ellipsoid: tens of metres). Here PROJ lists its operations without ballparks (TransformerGroup,
allow_ballpark=False); the first usable one whose stated accuracy is within the limit is taken, and its
name and accuracy are recorded in the current session (a sync run reads them into its report). When none
is usable, GeodesyError names the missing grids and where they come from, and the escape hatch:
`allow_approximate_m`, an error the operator accepts (the sync commands' --allow-approximate METRES).
Pure core: no Django.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from pyproj import CRS, Transformer
from pyproj.crs import CompoundCRS
from pyproj.exceptions import CRSError as ProjCRSError
from pyproj.transformer import TransformerGroup

# Accuracy (metres) accepted without the operator's say-so: Helmert datum shifts (RGF93 to WGS 84, 1 m;
# Amersfoort to WGS 84, 2 m) pass and are recorded with their accuracy; a ballpark (unknown) never does.
DEFAULT_MAX_ERROR_M = 2.0
GRID_ADVICE = (
    "put the grid file in PROJ's user data folder (`python -m pyproj sync --file NAME` where the "
    "network is allowed, or copy it from another machine), or accept the error with "
    "--allow-approximate METRES"
)


class GeodesyError(ValueError):
    """No operation PROJ can run here reaches the requested accuracy; the message names what is missing."""

    def __init__(self, message: str, advice: str = GRID_ADVICE) -> None:
        self.message, self.advice = message, advice
        super().__init__(message)


@dataclass(frozen=True)
class Operation:
    """One coordinate operation from `source` to `target`, as PROJ names it, with its stated accuracy."""

    source: str
    target: str
    name: str
    accuracy_m: float | None  # PROJ's stated accuracy; None when PROJ states none
    approximate: bool = False  # taken only because the operator allowed `accepted_error_m`
    accepted_error_m: float | None = None
    transformer: Transformer | None = field(default=None, compare=False, repr=False)

    @property
    def identity(self) -> bool:
        return self.transformer is None

    def describe(self) -> dict[str, Any]:
        """What a run report keeps of the operation."""
        return {
            "from": self.source,
            "to": self.target,
            "operation": self.name,
            "accuracy_m": self.accuracy_m,
            "approximate": self.approximate,
            "accepted_error_m": self.accepted_error_m,
        }

    def summary(self) -> str:
        acc = (
            "exact"
            if self.accuracy_m == 0
            else (f"accuracy {self.accuracy_m:g} m" if self.accuracy_m is not None else "accuracy unknown")
        )
        extra = f", accepted by the operator up to {self.accepted_error_m:g} m" if self.approximate else ""
        return f"{self.source} → {self.target}: {self.name} ({acc}{extra})"

    def transform(self, x, y, z=None, *, direction: str = "FORWARD") -> tuple[np.ndarray, ...]:
        """Arrays of x, y[, z] in the source CRS's units (x = easting/longitude first) → the target CRS."""
        arrays = [np.asarray(c, float) for c in ((x, y) if z is None else (x, y, z))]
        if self.transformer is None:
            return tuple(a.copy() for a in arrays)
        if arrays[0].size == 1:
            # pyproj's single-point path turns a one-element array into a float, which NumPy deprecates.
            out = self.transformer.transform(*(a.item() for a in arrays), direction=direction)
            return tuple(np.full(arrays[0].shape, v, dtype=float) for v in out)
        return tuple(np.asarray(a) for a in self.transformer.transform(*arrays, direction=direction))


@dataclass
class Session:
    """Operations used while it is active (a sync run), and the error the operator accepts."""

    allow_approximate_m: float | None = None
    max_error_m: float = DEFAULT_MAX_ERROR_M
    operations: list[Operation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def record(self, op: Operation) -> None:
        if op not in self.operations:
            self.operations.append(op)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def describe(self) -> list[dict[str, Any]]:
        return [op.describe() for op in self.operations]


_SESSION: contextvars.ContextVar[Session | None] = contextvars.ContextVar("geodesy_session", default=None)


@contextlib.contextmanager
def session(allow_approximate_m: float | None = None, max_error_m: float = DEFAULT_MAX_ERROR_M) -> Iterator[Session]:
    """Collect the operations used inside the block; allow_approximate_m: the error (m) the operator accepts."""
    current = Session(allow_approximate_m=_metres(allow_approximate_m), max_error_m=max_error_m)
    token = _SESSION.set(current)
    try:
        yield current
    finally:
        _SESSION.reset(token)


def current_session() -> Session | None:
    return _SESSION.get()


def note(text: str) -> None:
    """An assumption (an unstated height datum, a unit) for the current session's report."""
    s = _SESSION.get()
    if s is not None:
        s.note(text)


def _metres(value: Any) -> float | None:
    if value in (None, "", False):
        return None
    metres = float(value)
    if not math.isfinite(metres) or metres <= 0:
        raise GeodesyError(
            f"--allow-approximate needs a positive number of metres, not {value!r}", advice="e.g. --allow-approximate 2"
        )
    return metres


@lru_cache(maxsize=128)
def crs_from(code: int | str) -> CRS:
    """A CRS from an EPSG code (int), 'EPSG:a+b', WKT or any PROJ input."""
    try:
        return CRS.from_epsg(code) if isinstance(code, int) else CRS.from_user_input(code)
    except ProjCRSError as exc:
        raise GeodesyError(f"{code} is not a CRS PROJ knows ({exc})", advice="use an EPSG code PROJ knows") from None


def label(crs: CRS) -> str:
    code = crs.to_epsg(min_confidence=90)
    if code is None and crs.is_compound:
        parts = [s.to_epsg(min_confidence=90) for s in crs.sub_crs_list]
        if all(parts):
            return f"EPSG:{'+'.join(str(p) for p in parts)} ({crs.name})"
    return f"EPSG:{code} ({crs.name})" if code else crs.name


def operation(
    source: int | str | CRS,
    target: int | str | CRS,
    *,
    max_error_m: float | None = None,
    allow_approximate_m: float | None = None,
    record: bool = True,
) -> Operation:
    """The best operation PROJ can run here from source to target, recorded in the current session.

    max_error_m: the accuracy required (default: the session's, DEFAULT_MAX_ERROR_M without one).
    allow_approximate_m: the error the operator accepts when nothing better is available (default: the
    session's); a ballpark is then allowed and recorded as approximate. Raises GeodesyError otherwise.
    record: False for a look-up that moves no data (where an extent lies), kept out of the session's report.
    """
    s = _SESSION.get()
    limit = max_error_m if max_error_m is not None else (s.max_error_m if s else DEFAULT_MAX_ERROR_M)
    accepted = allow_approximate_m if allow_approximate_m is not None else (s.allow_approximate_m if s else None)
    src = source if isinstance(source, CRS) else crs_from(source)
    dst = target if isinstance(target, CRS) else crs_from(target)
    op = _choose(src, dst, float(limit), None if accepted is None else float(accepted))
    if s is not None and record:
        s.record(op)
    return op


@lru_cache(maxsize=128)
def _choose(src: CRS, dst: CRS, limit: float, accepted: float | None) -> Operation:
    names = label(src), label(dst)
    if src == dst:
        return Operation(*names, "identity", 0.0)
    with warnings.catch_warnings():
        # TransformerGroup warns "best transformation is not available"; the choice below says why instead.
        warnings.simplefilter("ignore")
        group = TransformerGroup(src, dst, always_xy=True, allow_ballpark=False)
    usable = [t for t in group.transformers if t.accuracy is not None and 0 <= t.accuracy <= limit]
    if usable:
        best = usable[0]
        return Operation(*names, best.description, float(best.accuracy), transformer=best)
    if accepted is not None:
        fallback = [t for t in group.transformers if t.accuracy is None or t.accuracy < 0 or t.accuracy <= accepted]
        best = fallback[0] if fallback else Transformer.from_crs(src, dst, always_xy=True)
        acc = float(best.accuracy) if best.accuracy is not None and best.accuracy >= 0 else None
        return Operation(*names, best.description, acc, approximate=True, accepted_error_m=accepted, transformer=best)
    if not group.transformers and not group.unavailable_operations:
        raise GeodesyError(
            f"PROJ has no operation at all from {names[0]} to {names[1]}: their areas of use do not overlap",
            advice="check the file's CRS, or store the data in a twin whose storage CRS covers it",
        )
    raise GeodesyError(_refusal(names, group, limit))


def _refusal(names: tuple[str, str], group: TransformerGroup, limit: float) -> str:
    text = f"no operation from {names[0]} to {names[1]} that PROJ can run here is known to be within {limit:g} m"
    if group.transformers:
        best = group.transformers[0]
        acc = f"{best.accuracy:g} m" if best.accuracy is not None and best.accuracy >= 0 else "unknown accuracy"
        text += f"; the best available is {best.description} ({acc})"
    missing: dict[str, str] = {}
    for op in group.unavailable_operations:
        for grid in op.grids:
            if not grid.available and grid.short_name not in missing:
                where = grid.package_name or grid.url or "PROJ's grid distribution (cdn.proj.org)"
                missing[grid.short_name] = f"{grid.short_name} (from {where})"
    if missing:
        text += f"; better operations need the grid(s) {', '.join(missing.values())}, not installed"
    return text


def horizontal(crs: CRS) -> CRS:
    """The horizontal part of a compound CRS, the CRS itself otherwise."""
    if crs.is_compound:
        for sub in crs.sub_crs_list:
            if not sub.is_vertical:
                return sub
    return crs


def vertical(crs: CRS) -> CRS | None:
    """The vertical part of a compound or vertical CRS, None for a 2D (or geographic 3D) CRS."""
    # CRS.is_vertical is also true of a compound CRS: look at its parts first.
    if crs.is_compound:
        for sub in crs.sub_crs_list:
            if sub.is_vertical:
                return sub
        return None
    return crs if crs.is_vertical else None


def vertical_unit_m(crs: CRS) -> float:
    """Metres per height unit of a CRS's vertical axis (0.3048006096 for US survey feet); 1 without one."""
    v = vertical(crs)
    axes = v.axis_info if v is not None else []
    return float(axes[0].unit_conversion_factor) if axes else 1.0


def compound(horizontal_crs: CRS, vertical_crs: CRS) -> CRS:
    """The compound CRS of a horizontal and a vertical CRS (EPSG:2154 + EPSG:5720 = EPSG:5698)."""
    h, v = horizontal_crs.to_epsg(min_confidence=90), vertical_crs.to_epsg(min_confidence=90)
    if h and v:
        return crs_from(f"EPSG:{h}+{v}")
    return CompoundCRS(f"{horizontal_crs.name} + {vertical_crs.name}", [horizontal_crs, vertical_crs])
