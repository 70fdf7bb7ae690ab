"""What the events endpoint works with: the log, the topic, the limits, the counters."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

from reelstack.config import Config, read_group
from reelstack.events import settings as events_settings
from reelstack.events.models import BatchLimits
from reelstack.events.qoe import QoeMetrics
from reelstack.ports import EventLog


@dataclass
class EventsContext:
    """The events service's settings, log and metrics, for one process."""

    log: EventLog
    topic: str
    limits: BatchLimits
    accepted: Counter
    """Events appended (counted once the append is durable)."""
    rejected: Counter
    """Invalid events, by reason (:data:`reelstack.events.schemas.REASONS`)."""
    refused: Counter
    """Refused requests, by reason: a bad event, too large, not JSON, no caller."""
    qoe: QoeMetrics
    """QoE of accepted events by the caller's region (:mod:`reelstack.events.qoe`)."""

    @classmethod
    def build(cls, config: Config, *, log: EventLog, registry: CollectorRegistry) -> EventsContext:
        """Assemble the context from settings and the opened log."""
        return cls(
            log=log,
            topic=config.get(events_settings.EVENTS_TOPIC),
            limits=read_group(config, BatchLimits, events_settings.LIMITS),
            accepted=Counter(
                "reelstack_events_accepted",
                "Player events appended to the log.",
                registry=registry,
            ),
            rejected=Counter(
                "reelstack_events_rejected",
                "Player events refused by their schema, by reason.",
                ["reason"],
                registry=registry,
            ),
            refused=Counter(
                "reelstack_events_refused_batches",
                "POST /events requests refused, by reason.",
                ["reason"],
                registry=registry,
            ),
            qoe=QoeMetrics(
                registry, max_regions=config.get(events_settings.EVENTS_QOE_MAX_REGIONS)
            ),
        )
