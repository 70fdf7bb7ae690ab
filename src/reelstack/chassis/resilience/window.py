"""Counts of two kinds of event over a rolling time window, kept in buckets.

Hystrix's rolling number: the window is cut into buckets of equal width; an
event lands in the bucket of its time, and a bucket is cleared when the
window rolls past it. Totals over the window are kept as running sums, so
reading them costs nothing and adding an event is two integer increments (plus
a roll, at most once per bucket width).
"""

from __future__ import annotations


class RollingWindow:
    """Two running counts (``total`` and ``marked``) over the last ``window_s`` seconds.

    The breaker counts requests and errors in it; the retry budget counts
    requests and retries. Time is whatever clock the caller passes as ``now``
    (seconds, only ever going forward), so tests drive it by hand.
    """

    __slots__ = ("_index", "_marked", "_slot", "_total", "buckets", "marked", "total", "width")

    def __init__(self, window_s: float, buckets: int = 10) -> None:
        if window_s <= 0 or buckets < 1:
            raise ValueError("window_s must be > 0 and buckets >= 1")
        self.buckets = buckets
        self.width = window_s / buckets
        self._total = [0] * buckets
        self._marked = [0] * buckets
        self.total = 0
        self.marked = 0
        # Serial number of the bucket now being filled (time // width) and its slot.
        self._index = 0.0
        self._slot = 0

    @property
    def window_s(self) -> float:
        """Length of the window in seconds."""
        return self.width * self.buckets

    def reset(self) -> None:
        """Forget every event."""
        for slot in range(self.buckets):
            self._total[slot] = 0
            self._marked[slot] = 0
        self.total = 0
        self.marked = 0

    def roll(self, now: float) -> None:
        """Drop the buckets that have left the window at ``now``."""
        index = now // self.width
        if index > self._index:
            self._advance(index)

    def add(self, now: float, marked: bool) -> None:
        """Count one event at ``now``; ``marked`` counts it in ``marked`` too."""
        # A float floor division: no int() call on every event.
        index = now // self.width
        if index > self._index:
            self._advance(index)
        slot = self._slot
        self._total[slot] += 1
        self.total += 1
        if marked:
            self._marked[slot] += 1
            self.marked += 1

    def _advance(self, index: float) -> None:
        steps = int(index - self._index)
        if steps >= self.buckets:
            self.reset()
        else:
            totals, marks = self._total, self._marked
            for step in range(1, steps + 1):
                slot = (int(self._index) + step) % self.buckets
                self.total -= totals[slot]
                self.marked -= marks[slot]
                totals[slot] = 0
                marks[slot] = 0
        self._index = index
        self._slot = int(index) % self.buckets
