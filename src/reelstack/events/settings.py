"""The events service's settings: where events go and how large a batch may be."""

from __future__ import annotations

from reelstack.config import Setting, SettingsGroup, parse_float, parse_int, parse_str
from reelstack.settings.base import add

EVENTS_TOPIC = add(
    Setting(
        "events.topic",
        parse_str,
        "player.events",
        "Event-log topic player telemetry is appended to, keyed by play session.",
    )
)
EVENTS_PARTITIONS = add(
    Setting(
        "events.partitions",
        parse_int(1, 1024),
        "8",
        "Partitions of the telemetry topic when the service creates it.",
    )
)
EVENTS_MAX_BATCH = add(
    Setting(
        "events.max_batch",
        parse_int(1, 10_000),
        "500",
        "Most events one POST /events may carry (more: 413).",
    )
)
EVENTS_MAX_BODY_BYTES = add(
    Setting(
        "events.max_body_bytes",
        parse_int(1024, 16 * 1024 * 1024),
        "262144",
        "Largest POST /events body in bytes (more: 413).",
    )
)

LIMITS: SettingsGroup = {
    "max_batch": EVENTS_MAX_BATCH,
    "max_body_bytes": EVENTS_MAX_BODY_BYTES,
}
"""Fields of :class:`reelstack.events.models.BatchLimits`."""

EVENTS_GC_INTERVAL_S = add(
    Setting(
        "events.gc_interval_s",
        parse_float(0.0, 60.0),
        "1",
        "Seconds between the events service's garbage collections of young objects "
        "(everything every 60th), as the gateway does; 0: CPython's own rhythm, by "
        "allocation count. A batch parses into hundreds of objects; in one in-process "
        "measurement collections by count took a 100-event request from 2.0 to 3.3 ms of CPU.",
    )
)

EVENTS_QOE_MAX_REGIONS = add(
    Setting(
        "events.qoe_max_regions",
        parse_int(1, 676),
        "50",
        "Distinct regions the QoE series (reelstack_qoe_*) label by name; events of any "
        "further region, or none, count under 'other'. Each label is a series kept for the "
        "process' life, and a demo lets clients name their region.",
    )
)
