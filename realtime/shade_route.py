"""Walks that trade distance for shade, within a maximum detour, with the shade read at the walker's own clock."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realtime.route_search import PedestrianGraph, Route
from realtime.shade import ShadeTable
from realtime.sun_bounds import sun_bounds

# Extra cost of a second in direct sun, as a share of a second of walking: "most" walks up to
# four times as long through the sun as through the shade before it gives up on a shady way.
PREFERENCES = {"none": 0.0, "some": 1.0, "most": 3.0}
DEFAULT_MAX_DETOUR = 0.20
# The search never leaves the detour's ellipse; when pruning by each node's best walk hid every
# feasible one, the sun's weight is halved and the search run again, at most this many times,
# before the fastest walk is kept.
RETRIES = 3


class ShadePreferenceError(ValueError):
    """A shade preference or detour the route service cannot use; the message says what it accepts."""


@dataclass(frozen=True)
class ShadeWalk:
    """A walk and its shade: per-edge shade shares at the walker's time, the detour against the fastest walk."""

    route: Route
    fastest: Route
    edge_shade: np.ndarray | None  # shade share (0..1) of each edge walked, None without a table
    penalty: float  # the sun's weight the walk was found with (0: the fastest walk)

    @property
    def detour(self) -> float:
        """Extra plan length over the fastest walk, as a share of it (0.12 = 12 % longer)."""
        return self.route.length_m / self.fastest.length_m - 1.0 if self.fastest.length_m > 0 else 0.0

    def shade_share(self, lengths: np.ndarray) -> float | None:
        """Share of the walk's plan length in shade, each edge at the time the walker is on it."""
        if self.edge_shade is None or not len(lengths) or lengths.sum() <= 0:
            return None
        return float((self.edge_shade * lengths).sum() / lengths.sum())


def check_preference(preference: str | None, max_detour: float | str | None) -> tuple[str, float]:
    """The preference ("none", "some", "most"; "none" when absent) and the detour (a share, 0.2 when absent)."""
    pref = (preference or "none").strip().lower()
    if pref not in PREFERENCES:
        raise ShadePreferenceError(f"shade is one of {', '.join(PREFERENCES)}, not {preference!r}")
    if max_detour is None or max_detour == "":
        return pref, DEFAULT_MAX_DETOUR
    try:
        detour = float(max_detour)
    except (TypeError, ValueError):
        raise ShadePreferenceError(
            f"max_detour is a share of the shortest walk (0.2 = +20 %), not {max_detour!r}"
        ) from None
    if not 0.0 <= detour <= 2.0:
        raise ShadePreferenceError(f"max_detour must lie between 0 and 2 (+0 % to +200 %), not {detour}")
    return pref, detour


def shade_walk(
    graph: PedestrianGraph,
    origin: int,
    destination: int,
    table: ShadeTable | None,
    slot_shade: np.ndarray | None,
    depart_s: float,
    preference: str = "none",
    max_detour: float = DEFAULT_MAX_DETOUR,
) -> ShadeWalk | None:
    """The walk between two node ids for a shade preference, or None when they are not connected.

    table / slot_shade: the graph's ShadeTable and `graph.slot_shade(table.shade)` (None: no shade known, the
    fastest walk);
    depart_s: the departure in seconds from the table's slot 0. The walk is at most `max_detour` longer
    (plan metres) and slower (minutes) than the fastest one; when the search finds no such walk (its bounds
    prune by each node's best walk so far), the sun weighs less and the search runs again, down to the
    fastest walk.
    """
    fastest = graph.route(origin, destination)
    if fastest is None:
        return None
    chosen, used = fastest, 0.0
    penalty = PREFERENCES[preference]
    fastest_shade = None
    if slot_shade is not None:
        # The same shares as table.shade_at, in one compiled pass.
        fastest_shade = graph.walk_shade(fastest, slot_shade, depart_s, table.slot_minutes * 60.0)
    elif table is not None:
        fastest_shade = table.shade_at(graph.edge_of[fastest.edges], depart_s + fastest.arrival_s[:-1])
    # A fastest walk with no sun on it at the walker's time (the night, a shaded lane) cannot be beaten.
    if fastest_shade is not None and (fastest_shade >= 1.0).all():
        return ShadeWalk(fastest, fastest, fastest_shade, 0.0)
    if slot_shade is not None and penalty > 0:
        # The detour holds for the metres and for the minutes: a walk 20 % longer that climbs a flight of
        # stairs can take half as long again, which a walker asking for at most +20 % would not accept. The
        # minutes also bound the walker's clock, so the sun bounds cover only the slots the walk can last.
        limit = fastest.length_m * (1.0 + max_detour) + 1e-6
        time_limit = fastest.duration_s * (1.0 + max_detour) + 1e-6
        slot_s = table.slot_minutes * 60.0
        # Built for the preference's penalty, the bounds also guide the retries with a lighter one.
        bounds = sun_bounds(graph, slot_shade)
        landmarks = bounds.for_walk(depart_s, time_limit, slot_s, penalty)
        for _ in range(RETRIES + 1):
            found = graph.sun_route(
                origin,
                destination,
                slot_shade,
                depart_s,
                slot_s,
                penalty,
                limit,
                landmarks,
                bounds.plan_metres,
                time_limit,
            )
            if found is not None:
                chosen, used = found, penalty
                break
            penalty /= 2.0
    shade = fastest_shade
    if chosen is not fastest:
        shade = graph.walk_shade(chosen, slot_shade, depart_s, table.slot_minutes * 60.0)
    return ShadeWalk(chosen, fastest, shade, used)
