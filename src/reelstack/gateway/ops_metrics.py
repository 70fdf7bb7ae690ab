"""Reading instances' Prometheus exposition into the few totals the ops console charts.

Only families the services already export are read: the chassis' request
counters and latency histogram (``reelstack.chassis.metrics``), the edge's
``edge_requests_total{result}`` (``reelstack.edge.metrics``) and the events
service's QoE series by region (``reelstack_qoe_*``, ``reelstack.events.qoe``;
the region label is already bounded there). Everything is
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
# A play start is playback's POST /playback/plays answered 201, unless playback
# exports a counter of its own (which also counts starts made through the graph).
PLAY_ROUTE = ("/playback/plays", "POST", "201")
PLAY_COUNTER = "reelstack_play_starts_total"
# The events service's QoE series by region: sample name -> RegionQoe field.
_QOE_COUNTERS = {
    "reelstack_qoe_plays_total": "plays",
    "reelstack_qoe_rebuffers_total": "rebuffers",
    "reelstack_qoe_rebuffer_seconds_total": "rebuffer_seconds",
    "reelstack_qoe_errors_total": "errors",
    "reelstack_qoe_startup_seconds_count": "startup_count",
    "reelstack_qoe_startup_seconds_sum": "startup_sum",
}
_QOE_BUCKET = "reelstack_qoe_startup_seconds_bucket"


@dataclass(slots=True)
class RegionQoe:
    """One region's QoE counters, cumulative: plays, startup histogram, stalls, errors."""

    plays: float = 0.0
    startup_buckets: dict[str, float] = field(default_factory=dict)
    startup_count: float = 0.0
    startup_sum: float = 0.0
    rebuffers: float = 0.0
    rebuffer_seconds: float = 0.0
    errors: float = 0.0

    def add(self, other: RegionQoe) -> None:
        """Add another instance's counters for the same region."""
        self.plays += other.plays
        for le, count in other.startup_buckets.items():
            self.startup_buckets[le] = self.startup_buckets.get(le, 0.0) + count
        self.startup_count += other.startup_count
        self.startup_sum += other.startup_sum
        self.rebuffers += other.rebuffers
        self.rebuffer_seconds += other.rebuffer_seconds
        self.errors += other.errors

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; startup buckets sorted by bound, cumulative as exported."""
        buckets = sorted(self.startup_buckets.items(), key=lambda kv: float(kv[0]))
        return {
            "plays": int(self.plays),
            "startup": {
                "buckets": [[le, count] for le, count in buckets],
                "count": self.startup_count,
                "sum": round(self.startup_sum, 6),
            },
            "rebuffers": int(self.rebuffers),
            "rebuffer_seconds": round(self.rebuffer_seconds, 6),
            "errors": int(self.errors),
        }


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
    qoe: dict[str, RegionQoe] = field(default_factory=dict)
    """QoE by region, when the instance exports it (the events service)."""


def _add_qoe(sample: Sample, name: str, labels: dict[str, str], value: float) -> None:
    region = labels.get("region", "")
    # The events service bounds its labels; an exposition that does not is not trusted to.
    if not (region == "other" or (len(region) == 2 and region.isascii() and region.isupper())):
        return
    entry = sample.qoe.get(region)
    if entry is None:
        entry = sample.qoe[region] = RegionQoe()
    if name == _QOE_BUCKET:
        le = labels.get("le", "+Inf")
        entry.startup_buckets[le] = entry.startup_buckets.get(le, 0.0) + value
    else:
        attribute = _QOE_COUNTERS[name]
        setattr(entry, attribute, getattr(entry, attribute) + value)


def parse_exposition(text: str) -> Sample:
    """Sum one instance's request, latency, play and edge families."""
    sample = Sample()
    counted: int | None = None
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
            elif s.name == PLAY_COUNTER:
                counted = (counted or 0) + int(s.value)
            elif s.name in _QOE_COUNTERS or s.name == _QOE_BUCKET:
                _add_qoe(sample, s.name, labels, s.value)
    if counted is not None:
        sample.play_starts = counted
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
        for region, qoe in sample.qoe.items():
            t.qoe.setdefault(region, RegionQoe()).add(qoe)

    @property
    def play_starts(self) -> int:
        """Play starts answered by this service's instances."""
        return self.total.play_starts

    @property
    def edge_results(self) -> dict[str, int] | None:
        """The edges' results by kind, or None when no instance exported them."""
        return dict(sorted(self.total.edge_results.items())) if self.has_edge else None

    @property
    def qoe_by_region(self) -> dict[str, dict[str, Any]]:
        """QoE by region summed over the instances (empty before the first play)."""
        return {region: qoe.as_dict() for region, qoe in sorted(self.total.qoe.items())}

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
