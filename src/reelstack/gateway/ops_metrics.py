"""Reading instances' Prometheus exposition into the few totals the ops console charts.

Only families the services already export are read: the chassis' request
counters and latency histogram (``reelstack.chassis.metrics``) and the edge's
``edge_requests_total{result}`` (``reelstack.edge.metrics``). Everything is
kept cumulative; the console turns two reads into rates, as Prometheus'
``rate()`` would.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

log = logging.getLogger(__name__)

# The chassis' own endpoints: scrapes and probes, not the service's work.
_CHASSIS_ROUTES = frozenset({"/metrics", "/health", "/ready", "/runtime"})
# A play start is playback's POST /playback/plays answered 201.
PLAY_ROUTE = ("/playback/plays", "POST", "201")


@dataclass(slots=True)
class Sample:
    """What one instance's exposition says, summed over its routes."""

    requests: int = 0
    errors: int = 0
    buckets: dict[str, float] = field(default_factory=dict)
    latency_count: float = 0.0
    latency_sum: float = 0.0
    play_starts: int = 0
    edge_results: dict[str, int] = field(default_factory=dict)


def parse_exposition(text: str) -> Sample:
    """Sum one instance's request, latency, play and edge families."""
    sample = Sample()
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as exc:
        log.warning("ops: metrics that do not parse: %s", exc)
        return sample
    for family in families:
        for s in family.samples:
            labels = s.labels
            if labels.get("route") in _CHASSIS_ROUTES:
                continue
            if s.name == "http_requests_total":
                count = int(s.value)
                sample.requests += count
                if labels.get("status", "").startswith("5"):
                    sample.errors += count
                key = (labels.get("route"), labels.get("method"), labels.get("status"))
                if key == PLAY_ROUTE:
                    sample.play_starts += count
            elif s.name == "http_request_duration_seconds_bucket":
                le = labels.get("le", "+Inf")
                sample.buckets[le] = sample.buckets.get(le, 0.0) + s.value
            elif s.name == "http_request_duration_seconds_count":
                sample.latency_count += s.value
            elif s.name == "http_request_duration_seconds_sum":
                sample.latency_sum += s.value
            elif s.name == "edge_requests_total":
                result = labels.get("result", "")
                sample.edge_results[result] = sample.edge_results.get(result, 0) + int(s.value)
    return sample


@dataclass(slots=True)
class ServiceTotals:
    """One service's samples summed over the instances that answered."""

    instances: int = 0
    scraped: int = 0
    total: Sample = field(default_factory=Sample)
    has_edge: bool = False

    def add(self, sample: Sample) -> None:
        """Add one instance's sample."""
        t = self.total
        t.requests += sample.requests
        t.errors += sample.errors
        for le, count in sample.buckets.items():
            t.buckets[le] = t.buckets.get(le, 0.0) + count
        t.latency_count += sample.latency_count
        t.latency_sum += sample.latency_sum
        t.play_starts += sample.play_starts
        for result, count in sample.edge_results.items():
            self.has_edge = True
            t.edge_results[result] = t.edge_results.get(result, 0) + count

    @property
    def play_starts(self) -> int:
        """Play starts answered by this service's instances."""
        return self.total.play_starts

    @property
    def edge_results(self) -> dict[str, int] | None:
        """The edges' results by kind, or None when no instance exported them."""
        return dict(sorted(self.total.edge_results.items())) if self.has_edge else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready totals; latency buckets sorted by bound, cumulative as exported."""
        t = self.total
        buckets = sorted(t.buckets.items(), key=lambda kv: float(kv[0]))
        return {
            "instances": self.instances,
            "scraped": self.scraped,
            "requests": t.requests,
            "errors": t.errors,
            "latency": {
                "buckets": [[le, count] for le, count in buckets],
                "count": t.latency_count,
                "sum": round(t.latency_sum, 6),
            },
        }
