"""Bulkhead: at most ``max_concurrent`` calls in flight to one dependency.

Hystrix's semaphore isolation: a dependency that slows down can hold only its
own share of the caller's capacity, never all of it. A call over the limit is
refused at once with :class:`BulkheadFullError` rather than queued, because a
queue in front of a slow dependency only adds waiting to the failure. The
count is a plain integer (the event loop is the only writer).
"""

from __future__ import annotations


class Bulkhead:
    """Bounded concurrency for one dependency; full means refuse, not wait."""

    __slots__ = ("in_use", "max_concurrent", "rejected")

    def __init__(self, max_concurrent: int = 100) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be >= 1")
        self.max_concurrent = max_concurrent
        self.in_use = 0
        self.rejected = 0  # calls refused, for metrics

    def try_acquire(self) -> bool:
        """Take a slot and return True, or count a rejection and return False."""
        if self.in_use >= self.max_concurrent:
            self.rejected += 1
            return False
        self.in_use += 1
        return True

    def release(self) -> None:
        """Give back a slot taken by :meth:`try_acquire`."""
        self.in_use -= 1
