"""Circuit breaker with Hystrix's semantics, one per target service.

Closed, it lets every call through and counts calls and errors over a rolling
window (10 s in 10 buckets by default). Once the window holds at least
``request_volume`` calls and ``error_threshold_pct`` percent of them failed, it
opens: every call is short-circuited (fails at once, without touching the
network) for ``sleep_window_s``. Then it lets exactly one trial call through
(half-open); the trial's success closes the breaker with a fresh window, its
failure opens it for another sleep window.

A call asks :meth:`CircuitBreaker.allow` for a ticket and hands the ticket
back with its outcome, so only the trial itself can close or reopen a
half-open breaker: a slow call admitted before the breaker opened cannot. The
state is three plain attributes and the window's counters: no lock (the event
loop is the only writer) and nothing allocated per call.
"""

from __future__ import annotations

from reelstack.chassis.resilience.window import RollingWindow

# States, also the value of the breaker-state gauge.
CLOSED = 0
OPEN = 1
HALF_OPEN = 2
STATE_NAMES = ("closed", "open", "half_open")

# Tickets returned by allow(): falsy means short-circuited.
REJECT = 0
PASS = 1
TRIAL = 2


class CircuitBreaker:
    """Opens on a high error rate, lets one trial through after a sleep, closes on its success."""

    __slots__ = (
        "error_threshold_pct",
        "opened",
        "opened_at",
        "request_volume",
        "sleep_window_s",
        "state",
        "window",
    )

    def __init__(
        self,
        *,
        error_threshold_pct: float = 50.0,
        request_volume: int = 20,
        window_s: float = 10.0,
        sleep_window_s: float = 5.0,
        buckets: int = 10,
    ) -> None:
        self.error_threshold_pct = error_threshold_pct
        self.request_volume = request_volume
        self.sleep_window_s = sleep_window_s
        self.window = RollingWindow(window_s, buckets)
        self.state = CLOSED
        self.opened_at = 0.0
        self.opened = 0  # times it has opened, for metrics

    def configure(
        self,
        *,
        error_threshold_pct: float,
        request_volume: int,
        window_s: float,
        sleep_window_s: float,
    ) -> None:
        """Apply new settings; a new window length starts an empty window."""
        self.error_threshold_pct = error_threshold_pct
        self.request_volume = request_volume
        self.sleep_window_s = sleep_window_s
        if window_s != self.window.window_s:
            self.window = RollingWindow(window_s, self.window.buckets)

    def allow(self, now: float) -> int:
        """Return PASS or TRIAL if a call may go ahead at ``now``, REJECT if short-circuited."""
        if self.state == CLOSED:
            return PASS
        if self.state == OPEN and now - self.opened_at >= self.sleep_window_s:
            self.state = HALF_OPEN
            return TRIAL
        return REJECT

    def on_success(self, ticket: int, now: float) -> None:
        """Record a call that succeeded."""
        if ticket == TRIAL:
            if self.state == HALF_OPEN:
                self.state = CLOSED
                self.window.reset()
            return
        if self.state == CLOSED:
            window = self.window
            window.add(now, False)
            # A success can still trip the breaker: it may be the call that
            # brings the window to the volume threshold.
            if (
                window.total >= self.request_volume
                and window.marked * 100 >= self.error_threshold_pct * window.total
            ):
                self._open(now)

    def on_failure(self, ticket: int, now: float) -> None:
        """Record a call that failed (an error, a timeout or a 5xx response)."""
        if ticket == TRIAL:
            if self.state == HALF_OPEN:
                self._open(now)
            return
        if self.state == CLOSED:
            window = self.window
            window.add(now, True)
            if (
                window.total >= self.request_volume
                and window.marked * 100 >= self.error_threshold_pct * window.total
            ):
                self._open(now)

    def calls(self, now: float) -> int:
        """Return the calls counted over the window at ``now`` (the retry budget's base)."""
        self.window.roll(now)
        return self.window.total

    def release(self, ticket: int) -> None:
        """Give back a ticket whose call never ran (bulkhead full, cancelled, no instance).

        A trial given back leaves the breaker open with its sleep already
        over, so the next call becomes the trial.
        """
        if ticket == TRIAL and self.state == HALF_OPEN:
            self.state = OPEN

    def _open(self, now: float) -> None:
        self.state = OPEN
        self.opened_at = now
        self.opened += 1

    @property
    def state_name(self) -> str:
        """``closed``, ``open`` or ``half_open``."""
        return STATE_NAMES[self.state]

    def error_pct(self, now: float) -> float:
        """Return the error percentage over the window at ``now`` (0 when empty)."""
        self.window.roll(now)
        total = self.window.total
        return 100.0 * self.window.marked / total if total else 0.0
