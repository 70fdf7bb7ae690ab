"""Prometheus metrics of the resilient client, read from its plain counters.

The call path only increments integers on the per-service
:class:`~reelstack.chassis.resilience.target.ServiceTarget`; this collector
turns them into families when the app's registry is scraped, as the chassis'
request metrics do. Series, each labelled by target ``service``:

- ``client_calls_total{outcome}``: success, failure, timeout,
  short_circuited, bulkhead_rejected, and fallback (counted besides the
  outcome that led to it)
- ``client_retries_total``, ``client_retries_denied_total`` (retry budget spent)
- ``client_connection_failures_total``: attempts that could not connect
- ``client_breaker_state``: 0 closed, 1 open, 2 half-open;
  ``client_breaker_opened_total``
- ``client_bulkhead_in_use``, ``client_bulkhead_max``
- ``client_instances_filtered``: instances the availability filter skips now
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from reelstack.chassis.resilience.target import OUTCOMES, ServiceTarget


class ClientCollector(Collector):
    """Exposes the counters of one resilient client's targets."""

    def __init__(self, targets: Mapping[str, ServiceTarget], clock: Callable[[], float]) -> None:
        self.targets = targets
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        labels = ["service"]
        calls = CounterMetricFamily(
            "client_calls",
            "Calls through the resilient client, by target service and outcome.",
            labels=["service", "outcome"],
        )
        retries = CounterMetricFamily(
            "client_retries", "Retries sent to another instance.", labels=labels
        )
        denied = CounterMetricFamily(
            "client_retries_denied",
            "Retries not sent because the retry budget was spent.",
            labels=labels,
        )
        failures = CounterMetricFamily(
            "client_connection_failures",
            "Attempts that could not connect to an instance, or lost the connection.",
            labels=labels,
        )
        state = GaugeMetricFamily(
            "client_breaker_state",
            "Circuit breaker state: 0 closed, 1 open, 2 half-open.",
            labels=labels,
        )
        opened = CounterMetricFamily(
            "client_breaker_opened", "Times the circuit breaker opened.", labels=labels
        )
        in_use = GaugeMetricFamily(
            "client_bulkhead_in_use", "Calls in flight through the bulkhead.", labels=labels
        )
        capacity = GaugeMetricFamily(
            "client_bulkhead_max", "Calls the bulkhead lets in flight at once.", labels=labels
        )
        filtered = GaugeMetricFamily(
            "client_instances_filtered",
            "Instances skipped now by the availability filter.",
            labels=labels,
        )
        for name, target in sorted(self.targets.items()):
            for outcome, count in zip(OUTCOMES, target.counts, strict=True):
                calls.add_metric([name, outcome], count)
            retries.add_metric([name], target.retries)
            denied.add_metric([name], target.retries_denied)
            failures.add_metric([name], target.connection_failures)
            state.add_metric([name], target.breaker.state)
            opened.add_metric([name], target.breaker.opened)
            in_use.add_metric([name], target.bulkhead.in_use)
            capacity.add_metric([name], target.bulkhead.max_concurrent)
            filtered.add_metric([name], target.balancer.skipped(now))
        yield from (calls, retries, denied, failures, state, opened, in_use, capacity, filtered)
