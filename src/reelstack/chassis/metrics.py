"""Prometheus metrics for one app: requests, latency, in-flight, process, identity.

Each app owns its own :class:`CollectorRegistry`, so several apps in one
process (tests, the benchmark) never share or clash over series. Requests are
labelled by route template (``/titles/{title_id}``), never by raw path, so a
crawler cannot grow the series without bound; unmatched paths share one label.
Labelled children are cached per label tuple because ``labels()`` takes a
lock and builds a tuple on every call, and this runs once per request.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from reelstack.chassis.identity import Identity

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


class Metrics:
    """The request and process metrics of one app."""

    def __init__(self, identity: Identity, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests",
            "HTTP requests handled, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to handle an HTTP request, by route template and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight",
            "HTTP requests being handled now.",
            registry=self.registry,
        )
        self.info = Info(
            "reelstack_service",
            "The service, instance, zone and version of this process.",
            registry=self.registry,
        )
        self.info.info(
            {
                "service": identity.service,
                "instance": identity.instance,
                "zone": identity.zone,
                "version": identity.version,
            }
        )
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self._counters: dict[tuple[str, str, int], Counter] = {}
        self._histograms: dict[tuple[str, str], Histogram] = {}

    def observe(self, route: str, method: str, status: int, duration_s: float) -> None:
        """Count one finished request and record its latency."""
        key = (route, method, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.requests.labels(route, method, str(status))
        counter.inc()
        hkey = (route, method)
        histogram = self._histograms.get(hkey)
        if histogram is None:
            histogram = self._histograms[hkey] = self.latency.labels(route, method)
        histogram.observe(duration_s)

    def render(self) -> tuple[bytes, str]:
        """Return the exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
