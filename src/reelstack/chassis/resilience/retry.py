"""When a failed call may be tried again, on another instance, within a budget.

A retry goes to a different instance than the attempts before it (Ribbon's
``MaxAutoRetriesNextServer``), and only when trying again is safe and useful:

- the connection could not be made (refused, connect timeout): nothing was
  sent, so any method may be retried, as Ribbon does with its
  ``OkToRetryOnConnectErrors``;
- the connection broke after the request was sent, or the instance answered
  502, 503 or 504: only an idempotent request is retried (GET, HEAD, PUT,
  DELETE, OPTIONS, or one the caller marks idempotent), because the first
  attempt may have taken effect.

Retries are capped per call (``retries``) and, across calls, by a retry
budget, as Finagle's ``RetryBudget`` and Envoy's retry budgets do: over a
rolling window, retries may be at most ``ratio`` of the calls made, plus a
small reserve of ``min_per_s`` per second so a quiet caller can still retry.
Without a budget, a struggling service sees every caller triple its load
exactly when it can least take it.
"""

from __future__ import annotations

from reelstack.chassis.resilience.window import RollingWindow

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({502, 503, 504})


def is_idempotent(method: str, idempotent: bool | None = None) -> bool:
    """Return whether a request may be sent twice: the caller's word, else by method."""
    if idempotent is not None:
        return idempotent
    return method in IDEMPOTENT_METHODS


class RetryBudget:
    """Retries allowed over a rolling window: ``ratio`` of calls plus a reserve."""

    __slots__ = ("min_per_s", "ratio", "window")

    def __init__(self, ratio: float = 0.2, min_per_s: float = 10.0, window_s: float = 10.0) -> None:
        self.ratio = ratio
        self.min_per_s = min_per_s
        # total: calls (first attempts) and retries; marked: retries.
        self.window = RollingWindow(window_s)

    def configure(self, *, ratio: float, min_per_s: float) -> None:
        """Apply new settings."""
        self.ratio = ratio
        self.min_per_s = min_per_s

    def deposit(self, now: float) -> None:
        """Count a call's first attempt."""
        self.window.add(now, False)

    def try_withdraw(self, now: float) -> bool:
        """Count a retry and return True if the budget allows one now, else return False."""
        window = self.window
        window.roll(now)
        calls = window.total - window.marked
        allowed = self.ratio * calls + self.min_per_s * window.window_s
        if window.marked + 1 > allowed:
            return False
        window.add(now, True)
        return True
