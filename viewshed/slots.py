"""A fixed number of computation slots, taken without waiting: past them a request is turned away, not queued."""

from __future__ import annotations

import threading


class Slots:
    """Up to `size` computations at once; `try_take` never blocks, so no work piles up behind busy cores."""

    def __init__(self, size: int):
        if size < 1:
            raise ValueError(f"A viewshed needs at least one computation slot, got {size}.")
        self.size = size
        self._in_use = 0
        self._lock = threading.Lock()

    def try_take(self) -> bool:
        """Take a slot if one is free; False at once otherwise."""
        with self._lock:
            if self._in_use >= self.size:
                return False
            self._in_use += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            if self._in_use == 0:
                raise RuntimeError("A viewshed slot was given back twice.")
            self._in_use -= 1

    @property
    def in_use(self) -> int:
        return self._in_use
