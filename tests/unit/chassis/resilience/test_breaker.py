"""Circuit breaker: volume and error thresholds, rolling window, sleep, half-open trial."""

from __future__ import annotations

from reelstack.chassis.resilience.breaker import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    PASS,
    REJECT,
    TRIAL,
    CircuitBreaker,
)
from reelstack.chassis.resilience.window import RollingWindow


def breaker() -> CircuitBreaker:
    return CircuitBreaker(error_threshold_pct=50, request_volume=20, window_s=10, sleep_window_s=5)


def calls(b: CircuitBreaker, now: float, *, ok: int = 0, failed: int = 0) -> None:
    for _ in range(ok):
        b.on_success(b.allow(now), now)
    for _ in range(failed):
        b.on_failure(b.allow(now), now)


def test_stays_closed_below_the_request_volume_even_if_every_call_fails() -> None:
    b = breaker()
    calls(b, 1.0, failed=19)
    assert b.state == CLOSED
    assert b.allow(1.0) == PASS
    calls(b, 1.0, failed=1)
    assert b.state == OPEN


def test_opens_at_the_error_threshold_once_the_volume_is_reached() -> None:
    b = breaker()
    calls(b, 1.0, failed=10, ok=9)
    assert b.state == CLOSED
    # The 20th call is a success, yet 10 of 20 failed: 50% >= 50%.
    calls(b, 1.0, ok=1)
    assert b.state == OPEN
    assert b.opened == 1


def test_stays_closed_just_under_the_threshold() -> None:
    b = breaker()
    calls(b, 1.0, ok=21, failed=20)  # 48.8%
    assert b.state == CLOSED
    assert round(b.error_pct(1.0), 1) == 48.8


def test_failures_leave_the_window_after_window_s() -> None:
    b = breaker()
    calls(b, 0.5, failed=15)
    # 10 s later the first bucket has rolled out of the window.
    calls(b, 10.5, failed=5)
    assert b.state == CLOSED
    assert b.window.total == 5
    # Within the window they add up.
    calls(b, 11.0, failed=15)
    assert b.state == OPEN


def test_open_short_circuits_until_the_sleep_window_then_lets_one_trial_through() -> None:
    b = breaker()
    calls(b, 0.0, failed=20)
    assert b.allow(0.1) == REJECT
    assert b.allow(4.99) == REJECT
    assert b.allow(5.0) == TRIAL
    assert b.state == HALF_OPEN
    # While the trial is in flight, everything else is still short-circuited.
    assert b.allow(5.1) == REJECT
    assert b.allow(60.0) == REJECT


def test_trial_success_closes_with_a_fresh_window() -> None:
    b = breaker()
    calls(b, 0.0, failed=20)
    ticket = b.allow(5.0)
    b.on_success(ticket, 5.2)
    assert b.state == CLOSED
    assert b.window.total == 0
    assert b.allow(5.3) == PASS
    # The old failures are gone: 19 more failures do not reopen it.
    calls(b, 5.4, failed=19)
    assert b.state == CLOSED


def test_trial_failure_reopens_for_another_sleep_window() -> None:
    b = breaker()
    calls(b, 0.0, failed=20)
    ticket = b.allow(5.0)
    b.on_failure(ticket, 6.0)
    assert b.state == OPEN
    assert b.allow(10.5) == REJECT  # sleep counts from the trial's failure
    assert b.allow(11.0) == TRIAL
    assert b.opened == 2


def test_a_late_call_from_before_the_opening_cannot_close_it() -> None:
    b = breaker()
    slow = b.allow(0.0)
    calls(b, 0.0, failed=20)
    trial = b.allow(5.0)
    b.on_success(slow, 5.1)
    assert b.state == HALF_OPEN
    b.on_failure(trial, 5.2)
    assert b.state == OPEN


def test_a_released_trial_lets_the_next_call_be_the_trial() -> None:
    b = breaker()
    calls(b, 0.0, failed=20)
    trial = b.allow(5.0)
    b.release(trial)
    assert b.state == OPEN
    assert b.allow(5.1) == TRIAL


def test_configure_changes_thresholds_live() -> None:
    b = breaker()
    calls(b, 1.0, failed=5)
    b.configure(error_threshold_pct=50, request_volume=5, window_s=10, sleep_window_s=1)
    calls(b, 1.0, failed=1)
    assert b.state == OPEN
    assert b.allow(2.0) == TRIAL


def test_rolling_window_rolls_bucket_by_bucket() -> None:
    window = RollingWindow(10, buckets=10)
    for second in range(10):
        window.add(second + 0.5, second % 2 == 0)
    assert (window.total, window.marked) == (10, 5)
    window.roll(10.5)  # the bucket of 0.5 (marked) leaves
    assert (window.total, window.marked) == (9, 4)
    window.roll(13.0)  # those of 1.5, 2.5, 3.5 leave
    assert (window.total, window.marked) == (6, 3)
    window.roll(100.0)
    assert (window.total, window.marked) == (0, 0)
