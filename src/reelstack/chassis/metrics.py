"""Prometheus metrics for one app: requests, latency, in-flight, process, identity.

Each app owns its own :class:`CollectorRegistry`, so several apps in one
process (tests, the benchmark) never share or clash over series. Requests are
labelled by route template (``/titles/{title_id}``), never by raw path, so a
crawler cannot grow the series without bound; unmatched paths share one label.

The request metrics are plain counters kept per route and turned into
Prometheus families only when scraped. prometheus_client's own metric objects
take a lock and make several calls per update, which on this hot path cost
more than the rest of the middleware; the event loop is the only writer, and
the scrape runs on the loop too, so a scrape sees consistent numbers.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Info,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from reelstack.chassis.instance import InstanceIdentity

UNMATCHED_ROUTE = "<unmatched>"

# Seconds; covers a cache hit (sub-millisecond) up to a slow encode call.
LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


class RouteStats:
    """Counts and latency histogram of one (route, method)."""

    __slots__ = ("buckets", "by_status", "total_s")

    def __init__(self) -> None:
        self.by_status: dict[int, int] = {}
        # One slot per bucket plus +Inf; each request lands in exactly one
        # slot and the cumulative counts are summed at scrape time.
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.total_s = 0.0

    def observe(self, status: int, duration_s: float) -> None:
        by_status = self.by_status
        by_status[status] = by_status.get(status, 0) + 1
        self.buckets[bisect_left(LATENCY_BUCKETS, duration_s)] += 1
        self.total_s += duration_s


class RequestCollector(Collector):
    """Exposes the request counters of one app as Prometheus families."""

    def __init__(self, stats: dict[tuple[str, str], RouteStats], metrics: Metrics) -> None:
        self.stats = stats
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "http_requests",
            "HTTP requests handled, by route template, method and status.",
            labels=["route", "method", "status"],
        )
        latency = HistogramMetricFamily(
            "http_request_duration_seconds",
            "Time to handle an HTTP request, by route template and method.",
            labels=["route", "method"],
        )
        for (route, method), stats in sorted(self.stats.items()):
            for status, count in sorted(stats.by_status.items()):
                requests.add_metric([route, method, str(status)], count)
            cumulative = 0
            buckets: list[tuple[str, float]] = []
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), stats.buckets, strict=True):
                cumulative += count
                buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
            latency.add_metric([route, method], buckets, stats.total_s)
        yield requests
        yield latency
        yield GaugeMetricFamily(
            "http_requests_in_flight", "HTTP requests being handled now.", self.metrics.in_flight
        )


class Metrics:
    """The request and process metrics of one app."""

    def __init__(
        self, identity: InstanceIdentity, registry: CollectorRegistry | None = None
    ) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.in_flight = 0
        self.stats: dict[tuple[str, str], RouteStats] = {}
        self.registry.register(RequestCollector(self.stats, self))
        info = Info(
            "reelstack_service",
            "The service, instance, zone and version of this process.",
            registry=self.registry,
        )
        info.info(
            {
                "service": identity.service,
                "instance": identity.instance,
                "zone": identity.zone,
                "version": identity.version,
            }
        )
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)

    def observe(self, route: str, method: str, status: int, duration_s: float) -> None:
        """Count one finished request and record its latency."""
        stats = self.stats.get((route, method))
        if stats is None:
            stats = self.stats[(route, method)] = RouteStats()
        stats.observe(status, duration_s)

    def count(self, route: str, method: str, status: int) -> int:
        """Return how many requests finished with ``status`` (for tests and checks)."""
        stats = self.stats.get((route, method))
        return 0 if stats is None else stats.by_status.get(status, 0)

    def render(self) -> tuple[bytes, str]:
        """Return the exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
