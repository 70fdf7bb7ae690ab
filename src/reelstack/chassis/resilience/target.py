"""The layers guarding calls to one service, and the counters the metrics read.

One :class:`ServiceTarget` per target service holds that service's load
balancer, circuit breaker, bulkhead and retry budget, plus plain integer
counters of call outcomes. The resilient client makes one per service on first
use; the gateway can take the same objects (``client.target(name)``) and run
its own call path through them, sharing their state and metrics.
"""

from __future__ import annotations

from aiohttp import ClientTimeout

from reelstack.chassis.resilience.breaker import CircuitBreaker
from reelstack.chassis.resilience.bulkhead import Bulkhead
from reelstack.chassis.resilience.loadbalancer import LoadBalancer
from reelstack.chassis.resilience.options import ClientOptions
from reelstack.chassis.resilience.retry import RetryBudget

# Call outcomes: indices into ServiceTarget.counts, and their metric labels.
# A call counts once as success, failure, timeout, short_circuited or
# bulkhead_rejected; a call answered by its fallback counts once more as
# fallback (as Hystrix counts FALLBACK_SUCCESS beside the failure).
SUCCESS = 0
FAILURE = 1
TIMEOUT = 2
SHORT_CIRCUITED = 3
BULKHEAD_REJECTED = 4
FALLBACK = 5
OUTCOMES = ("success", "failure", "timeout", "short_circuited", "bulkhead_rejected", "fallback")

# Distinct per-call timeouts kept as ready ClientTimeout objects.
_TIMEOUT_CACHE_SIZE = 32


class ServiceTarget:
    """Load balancer, breaker, bulkhead, retry budget and counters for one service."""

    __slots__ = (
        "_timeouts",
        "balancer",
        "breaker",
        "budget",
        "bulkhead",
        "connection_failures",
        "counts",
        "options",
        "retries",
        "retries_denied",
        "service",
        "timeout",
    )

    def __init__(self, service: str, zone: str, options: ClientOptions) -> None:
        self.service = service
        self.options = options
        self.balancer = LoadBalancer(
            zone,
            failures=options.availability_failures,
            skip_s=options.skip_s,
            max_skip_s=options.max_skip_s,
        )
        self.breaker = CircuitBreaker(
            error_threshold_pct=options.error_threshold_pct,
            request_volume=options.request_volume,
            window_s=options.window_s,
            sleep_window_s=options.sleep_window_s,
        )
        self.bulkhead = Bulkhead(options.max_concurrent)
        # The budget allows retries in proportion to the calls the breaker
        # counted over its window, so a call needs no separate deposit.
        self.budget = RetryBudget(
            options.retry_budget_ratio,
            options.retry_budget_min_per_s,
            options.window_s,
            calls=self.breaker.calls,
        )
        self.counts = [0] * len(OUTCOMES)
        self.retries = 0
        self.retries_denied = 0
        self.connection_failures = 0
        self._timeouts: dict[float, ClientTimeout] = {}
        self.timeout = self.client_timeout(options.timeout_s)

    def configure(self, options: ClientOptions) -> None:
        """Apply new options to every layer; state (open breaker, skips) is kept."""
        self.options = options
        self.balancer.configure(
            failures=options.availability_failures,
            skip_s=options.skip_s,
            max_skip_s=options.max_skip_s,
        )
        self.breaker.configure(
            error_threshold_pct=options.error_threshold_pct,
            request_volume=options.request_volume,
            window_s=options.window_s,
            sleep_window_s=options.sleep_window_s,
        )
        self.bulkhead.max_concurrent = options.max_concurrent
        self.budget.configure(
            ratio=options.retry_budget_ratio, min_per_s=options.retry_budget_min_per_s
        )
        self._timeouts.clear()
        self.timeout = self.client_timeout(options.timeout_s)

    def client_timeout(self, total_s: float) -> ClientTimeout:
        """Return aiohttp's timeout for a call of ``total_s`` seconds in all.

        The connect timeout bounds each connection attempt, so a dead host
        that swallows SYNs costs one attempt, not the whole call.
        """
        timeout = self._timeouts.get(total_s)
        if timeout is None:
            timeout = ClientTimeout(
                total=total_s, sock_connect=min(self.options.connect_timeout_s, total_s)
            )
            if len(self._timeouts) >= _TIMEOUT_CACHE_SIZE:
                self._timeouts.clear()
            self._timeouts[total_s] = timeout
        return timeout

    def remaining_timeout(self, remaining_s: float) -> ClientTimeout:
        """Return a timeout for a retry with ``remaining_s`` left (not cached)."""
        return ClientTimeout(
            total=remaining_s, sock_connect=min(self.options.connect_timeout_s, remaining_s)
        )
