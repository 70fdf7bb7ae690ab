"""What the media service refused, for the operator: one log line and one counter each.

Every refusal issue 11 asks for (a subtitle file the parser will not read, a
quota an account has used up, an upload refused or an encode paused below the
free-disk floor) goes through :meth:`Refusals.note`, so the client's status
and reason, the log line and the ``media_refusals_total{kind=...}`` series
always agree.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)


class Refusals(Collector):
    """Counts of refusals by kind (``quota:bytes``, ``disk_floor``, ``subtitle``...)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def note(self, kind: str, reason: str, *, account: str | None = None) -> None:
        """Count one refusal of ``kind`` and log its reason."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        log.warning("media refused (%s) account=%s: %s", kind, account or "-", reason)

    def count(self, kind: str) -> int:
        """How many refusals of ``kind`` so far (for tests and checks)."""
        return self.counts.get(kind, 0)

    def register(self, registry: CollectorRegistry) -> None:
        """Expose the counts on an app's ``/metrics``."""
        registry.register(self)

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "media_refusals",
            "Requests and encodes the media service refused, by kind.",
            labels=["kind"],
        )
        for kind, count in sorted(self.counts.items()):
            family.add_metric([kind], count)
        yield family
