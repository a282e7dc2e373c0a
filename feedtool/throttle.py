"""The sending pace: at most `[smtp] rate` messages a second, and slower for the rest of the run
each time the server asks for it (421 or 451)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

MAX_PAUSE = 300.0  # seconds: the longest pause between messages that a slow-down leads to
# A server still asking to slow down after this many pauses in a row (the last ones at
# MAX_PAUSE) is not going to take the rest today: they are left for the next run.
MAX_SLOW_DOWNS = 10
RATE_LIMITED = (421, 451)  # "service not available, closing" and "try again later"


class Pace:
    """When each try may start: tries are `interval` seconds apart (start to start); a
    slow-down doubles the interval (at least `backoff`, at most `cap`) for the rest of the run."""

    def __init__(
        self,
        rate: float = 0.0,
        backoff: float = 1.0,
        *,
        cap: float = MAX_PAUSE,
        most: int = MAX_SLOW_DOWNS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.backoff, self.cap, self.most = backoff, cap, most
        self.clock, self.sleep = clock, sleep
        self.slow_downs = 0  # in a row, since the last message the server took
        self._next = -math.inf

    def wait(self) -> None:
        """Before each try: sleep until `interval` has passed since the last one started."""
        delay = self._next - self.clock()
        if delay > 0:
            self.sleep(delay)
        self._next = max(self.clock(), self._next) + self.interval

    def slow_down(self) -> bool:
        """The server asked to slow down: the next try waits the new, longer interval. False
        (and no pause) once it has asked more than `most` times in a row."""
        self.slow_downs += 1
        if self.slow_downs > self.most:
            return False
        self.interval = min(self.cap, max(self.backoff, 2 * self.interval))
        self._next = self.clock() + self.interval
        return True

    def went_through(self) -> None:
        """The server took a message (the pace stays as slow as it got)."""
        self.slow_downs = 0
