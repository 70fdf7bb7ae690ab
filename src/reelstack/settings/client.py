"""The resilient client (Ribbon and Hystrix): every threshold, changeable at runtime."""

from __future__ import annotations

from typing import Any

from reelstack.config import (
    Setting,
    parse_float,
    parse_int,
)
from reelstack.settings.base import add

# -- resilient client ---------------------------------------------------------------
# Defaults for every call through ResilientClient (reelstack.chassis.resilience);
# all may change while an instance runs. A service overrides them per target
# service in code (ResilientClient(overrides={"catalog": {"timeout_s": 0.5}})).

CLIENT_TIMEOUT_S = add(
    Setting(
        "client.timeout_s",
        parse_float(0.001),
        "2.0",
        "Seconds a call may take in all, retries included, unless the caller says otherwise.",
        runtime=True,
    )
)
CLIENT_CONNECT_TIMEOUT_S = add(
    Setting(
        "client.connect_timeout_s",
        parse_float(0.001),
        "1.0",
        "Seconds one connection attempt to an instance may take before trying another.",
        runtime=True,
    )
)
CLIENT_RETRIES = add(
    Setting(
        "client.retries",
        parse_int(0, 10),
        "1",
        "Retries of one call, each on another instance (Ribbon's MaxAutoRetriesNextServer).",
        runtime=True,
    )
)
CLIENT_RETRY_BUDGET_RATIO = add(
    Setting(
        "client.retry_budget_ratio",
        parse_float(0.0, 10.0),
        "0.2",
        "Retries allowed per call over a rolling 10 s, beyond the reserve (0.2: 20%).",
        runtime=True,
    )
)
CLIENT_RETRY_BUDGET_MIN_PER_S = add(
    Setting(
        "client.retry_budget_min_per_s",
        parse_float(0.0),
        "10",
        "Retries per second always allowed, so a caller with little traffic can retry.",
        runtime=True,
    )
)
CLIENT_BREAKER_ERROR_THRESHOLD_PCT = add(
    Setting(
        "client.breaker.error_threshold_pct",
        parse_float(0.0, 100.0),
        "50",
        "Error percentage over the window at which a service's circuit breaker opens.",
        runtime=True,
    )
)
CLIENT_BREAKER_REQUEST_VOLUME = add(
    Setting(
        "client.breaker.request_volume",
        parse_int(1),
        "20",
        "Calls the window must hold before the breaker may open.",
        runtime=True,
    )
)
CLIENT_BREAKER_WINDOW_S = add(
    Setting(
        "client.breaker.window_s",
        parse_float(0.01),
        "10",
        "Length of the breaker's rolling window in seconds (10 buckets).",
        runtime=True,
    )
)
CLIENT_BREAKER_SLEEP_WINDOW_S = add(
    Setting(
        "client.breaker.sleep_window_s",
        parse_float(0.0),
        "5",
        "Seconds an open breaker short-circuits calls before letting one trial call through.",
        runtime=True,
    )
)
CLIENT_BULKHEAD_MAX_CONCURRENT = add(
    Setting(
        "client.bulkhead.max_concurrent",
        parse_int(1),
        "100",
        "Calls to one service that may be in flight at once; more are refused at once.",
        runtime=True,
    )
)
CLIENT_AVAILABILITY_FAILURES = add(
    Setting(
        "client.availability.failures",
        parse_int(1),
        "3",
        "Consecutive connection failures after which an instance is skipped.",
        runtime=True,
    )
)
CLIENT_AVAILABILITY_SKIP_S = add(
    Setting(
        "client.availability.skip_s",
        parse_float(0.0),
        "30",
        "Seconds a failing instance is skipped; doubled each time it fails again.",
        runtime=True,
    )
)
CLIENT_AVAILABILITY_MAX_SKIP_S = add(
    Setting(
        "client.availability.max_skip_s",
        parse_float(0.0),
        "300",
        "Longest a failing instance is skipped, however often it fails.",
        runtime=True,
    )
)

CLIENT: dict[str, Setting[Any]] = {
    "timeout_s": CLIENT_TIMEOUT_S,
    "connect_timeout_s": CLIENT_CONNECT_TIMEOUT_S,
    "retries": CLIENT_RETRIES,
    "retry_budget_ratio": CLIENT_RETRY_BUDGET_RATIO,
    "retry_budget_min_per_s": CLIENT_RETRY_BUDGET_MIN_PER_S,
    "error_threshold_pct": CLIENT_BREAKER_ERROR_THRESHOLD_PCT,
    "request_volume": CLIENT_BREAKER_REQUEST_VOLUME,
    "window_s": CLIENT_BREAKER_WINDOW_S,
    "sleep_window_s": CLIENT_BREAKER_SLEEP_WINDOW_S,
    "max_concurrent": CLIENT_BULKHEAD_MAX_CONCURRENT,
    "availability_failures": CLIENT_AVAILABILITY_FAILURES,
    "skip_s": CLIENT_AVAILABILITY_SKIP_S,
    "max_skip_s": CLIENT_AVAILABILITY_MAX_SKIP_S,
}
"""The resilient client's options (``ClientOptions``), field by field: their one source."""
