"""Progress of a long job as a terminal and a worker log show it: done/total, percent, rate and time left."""

from __future__ import annotations

import time
from collections.abc import Callable

Say = Callable[[str], None]


def eta_text(seconds: float) -> str:
    """'42 s', '3 min 05 s' or '1 h 02 min' for a duration in seconds."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Meter:
    """Counts `total` units of work and says where it stands at most every `every_s` seconds, and at the end.

    The time left is the elapsed time scaled by the share still to do: exact for work of even size."""

    def __init__(
        self,
        label: str,
        total: int,
        say: Say | None,
        *,
        unit: str = "",
        every_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.label, self.total, self.say, self.unit, self.every_s = label, max(0, int(total)), say, unit, every_s
        self.clock = clock
        self.done = 0
        self.started = clock()
        self._last = self.started

    def line(self) -> str:
        elapsed = self.clock() - self.started
        unit = f" {self.unit}" if self.unit else ""
        text = f"{self.label}: {self.done:,}/{self.total:,}{unit}"
        if self.total:
            text += f" ({100 * self.done / self.total:.0f} %)"
        if self.done and elapsed > 0:
            text += f", {self.done / elapsed:,.1f}/s"
            if self.done < self.total:
                text += f", about {eta_text(elapsed * (self.total - self.done) / self.done)} left"
            else:
                text += f", done in {eta_text(elapsed)}"
        return text

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = self.clock()
        if self.say is not None and (now - self._last >= self.every_s or self.done >= self.total):
            self._last = now
            self.say(self.line())
