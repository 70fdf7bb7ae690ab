"""QoE by region: what accepted player events say, as Prometheus series labelled ``region``.

For every batch the service appended, the events of a few kinds are tallied
under the request's ``X-Region`` (set by the gateway) and added to:

- ``reelstack_qoe_plays_total{region}``: ``play_start`` events;
- ``reelstack_qoe_startup_seconds{region}``: their ``startup_ms``, a histogram;
- ``reelstack_qoe_rebuffers_total{region}``: ``rebuffer_start`` events (a stall
  counts when it begins, so one that never ends still counts);
- ``reelstack_qoe_rebuffer_seconds_total{region}``: ``rebuffer_end``'s ``duration_ms``;
- ``reelstack_qoe_errors_total{region}``: ``error`` events, fatal or not.

A label value is a series kept for the process' life, and where the gateway
lets clients name their region (``gateway.region.from_client``, for demos) a
client chooses it. So only a well-formed region (two letters, the gateway's
own rule) becomes a label, and only the first ``events.qoe_max_regions``
distinct ones; anything else is counted under ``other``. A batch refused in
part counts nothing: these run only after the append.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

OTHER = "other"
"""The label of events whose region is missing, malformed, or past the cap."""

# Startup times are seconds to a few; the bounds follow what a viewer notices.
STARTUP_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)

PLAY = "play_start"
REBUFFER_START = "rebuffer_start"
REBUFFER_END = "rebuffer_end"
ERROR = "error"
COUNTED = frozenset({PLAY, REBUFFER_START, REBUFFER_END, ERROR})


def well_formed(region: str) -> bool:
    """Return True if ``region`` is a region name the gateway could have set (``US``)."""
    return len(region) == 2 and region.isascii() and region.isalpha() and region.isupper()


class _Series:
    """One region's children of the QoE families (``labels()`` once, not per batch)."""

    __slots__ = ("errors", "plays", "rebuffer_seconds", "rebuffers", "startup")

    def __init__(self, qoe: QoeMetrics, region: str) -> None:
        self.plays = qoe.plays.labels(region)
        self.startup = qoe.startup.labels(region)
        self.rebuffers = qoe.rebuffers.labels(region)
        self.rebuffer_seconds = qoe.rebuffer_seconds.labels(region)
        self.errors = qoe.errors.labels(region)


class QoeMetrics:
    """The QoE families in one registry, and the bounded set of regions they hold."""

    def __init__(self, registry: CollectorRegistry, *, max_regions: int) -> None:
        self.max_regions = max_regions
        self.plays = Counter(
            "reelstack_qoe_plays",
            "Plays started (play_start events), by region.",
            ["region"],
            registry=registry,
        )
        self.startup = Histogram(
            "reelstack_qoe_startup_seconds",
            "Startup time of plays (play_start's startup_ms), by region.",
            ["region"],
            buckets=STARTUP_BUCKETS,
            registry=registry,
        )
        self.rebuffers = Counter(
            "reelstack_qoe_rebuffers",
            "Stalls after the first frame (rebuffer_start events), by region.",
            ["region"],
            registry=registry,
        )
        self.rebuffer_seconds = Counter(
            "reelstack_qoe_rebuffer_seconds",
            "Seconds stalled (rebuffer_end's duration_ms), by region.",
            ["region"],
            registry=registry,
        )
        self.errors = Counter(
            "reelstack_qoe_errors",
            "Playback errors (error events, fatal or not), by region.",
            ["region"],
            registry=registry,
        )
        self._series: dict[str, _Series] = {}

    def region_label(self, region: str | None) -> str:
        """Return the label events from ``region`` are counted under."""
        if region is None or not well_formed(region):
            return OTHER
        if region in self._series:
            return region
        named = len(self._series) - (OTHER in self._series)
        return region if named < self.max_regions else OTHER

    def _for(self, region: str | None) -> _Series:
        label = self.region_label(region)
        series = self._series.get(label)
        if series is None:
            series = self._series[label] = _Series(self, label)
        return series

    @property
    def regions(self) -> list[str]:
        """The labels counted so far (``other`` among them once used)."""
        return sorted(self._series)

    def count(
        self, region: str | None, events: Iterable[tuple[str, Mapping[str, Any] | Any]]
    ) -> None:
        """Add appended events, as ``(kind, event)`` pairs, to ``region``'s series."""
        series: _Series | None = None
        for kind, event in events:
            if kind not in COUNTED:
                continue
            if series is None:
                series = self._for(region)
            if kind == PLAY:
                series.plays.inc()
                series.startup.observe(_field(event, "startup_ms") / 1000)
            elif kind == REBUFFER_START:
                series.rebuffers.inc()
            elif kind == REBUFFER_END:
                series.rebuffer_seconds.inc(_field(event, "duration_ms") / 1000)
            else:
                series.errors.inc()


def _field(event: Mapping[str, Any] | Any, name: str) -> int:
    # A checked dict from the slow path, or a struct from the compiled decoder.
    value = event[name] if type(event) is dict else getattr(event, name)
    return int(value)
