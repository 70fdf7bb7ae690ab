"""The gateway's own metrics, beside the chassis' per-route request metrics.

Requests by route, method and status and their latency histogram are the
chassis' ``http_requests`` and ``http_request_duration_seconds`` (labelled by
route prefix, never by raw path); the resilient client's collector exposes
each target service's breaker, bulkhead, retries and connection failures.
This adds, read from plain counters at scrape time:

- ``gateway_upstream_attempts_total{route, outcome}``: every attempt at an
  instance (``ok``, ``connect_error``, ``reset``, ``timeout``, ``retried_status``)
- ``gateway_rate_limited_total{scope}``, ``gateway_auth_failures_total{reason}``,
  ``gateway_faults_injected_total``
- ``gateway_refused_total{reason}``: requests and connections the front door
  refused (reasons in :mod:`reelstack.gateway.front`)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector


class GatewayStats:
    """Plain counters the request path increments."""

    __slots__ = ("attempts",)

    def __init__(self) -> None:
        self.attempts: dict[tuple[str, str], int] = {}

    def count_attempt(self, route: str, outcome: str) -> None:
        """Count one attempt at an instance."""
        key = (route, outcome)
        self.attempts[key] = self.attempts.get(key, 0) + 1


class GatewayCollector(Collector):
    """Exposes the gateway's counters as Prometheus families."""

    def __init__(
        self,
        stats: GatewayStats,
        *,
        rate_limited: Callable[[], Mapping[str, int]],
        auth_failures: Callable[[], Mapping[str, int]],
        faults_injected: Callable[[], int],
        refused: Callable[[], Mapping[str, int]] = dict,
    ) -> None:
        self.stats = stats
        self.rate_limited = rate_limited
        self.auth_failures = auth_failures
        self.faults_injected = faults_injected
        self.refused = refused

    def collect(self) -> Iterator[Metric]:
        attempts = CounterMetricFamily(
            "gateway_upstream_attempts",
            "Attempts at a service instance, by route and outcome.",
            labels=["route", "outcome"],
        )
        for (route, outcome), count in sorted(self.stats.attempts.items()):
            attempts.add_metric([route, outcome], count)
        yield attempts
        limited = CounterMetricFamily(
            "gateway_rate_limited", "Requests refused by a rate limit.", labels=["scope"]
        )
        for scope, count in sorted(self.rate_limited().items()):
            limited.add_metric([scope], count)
        yield limited
        auth = CounterMetricFamily(
            "gateway_auth_failures", "Requests refused for their token.", labels=["reason"]
        )
        for reason, count in sorted(self.auth_failures().items()):
            auth.add_metric([reason], count)
        yield auth
        refused = CounterMetricFamily(
            "gateway_refused",
            "Requests and connections the front door refused, by reason.",
            labels=["reason"],
        )
        for reason, count in sorted(self.refused().items()):
            refused.add_metric([reason], count)
        yield refused
        yield CounterMetricFamily(
            "gateway_faults_injected",
            "Requests given an injected fault.",
            value=self.faults_injected(),
        )
