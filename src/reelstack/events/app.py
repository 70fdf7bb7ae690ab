"""The events service's app: ``POST /events`` onto the event log.

When the log opens (at start-up, or later if its engine was unreachable) the
service creates its topic (``events.topic``, ``events.partitions``
partitions; an existing topic is kept); its counters join the instance's
metrics.

Garbage collection runs on a timetable, as on the gateway
(:mod:`reelstack.chassis.collector`, ADR 7's addendum): every batch parses
into a few hundred dicts, so CPython's count-driven collector would run every
few requests and scan the whole heap every few hundred; in one in-process
measurement that took a 100-event request from 2.0 to 3.3 ms of CPU.
"""

from __future__ import annotations

from fastapi import FastAPI

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import create_service_app
from reelstack.chassis.collector import PacedCollector
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.events import api
from reelstack.events import settings as events_settings
from reelstack.events.context import EventsContext
from reelstack.events.spec import SPEC
from reelstack.ports import EventLog
from reelstack.ports.log import TopicSpec


def create_app(config: Config, *, adapters: Adapters | None = None) -> FastAPI:
    """Return the events service's ASGI app."""
    topic = TopicSpec(
        config.get(events_settings.EVENTS_TOPIC),
        partitions=config.get(events_settings.EVENTS_PARTITIONS),
    )

    async def create_topic(log: EventLog) -> None:
        await log.create_topic(topic)

    gc_interval_s = config.get(events_settings.EVENTS_GC_INTERVAL_S)
    collector = PacedCollector(gc_interval_s) if gc_interval_s > 0 else None

    async def start(chassis: Chassis) -> None:
        if collector is not None:
            collector.start()

    async def stop(chassis: Chassis) -> None:
        if collector is not None:
            await collector.stop()

    async def build(chassis: Chassis) -> EventsContext:
        # The adapter itself: until it opens it answers UnavailableError (503),
        # and the chassis keeps retrying it meanwhile.
        return EventsContext.build(
            config, log=chassis.adapters.log, registry=chassis.metrics.registry
        )

    return create_service_app(
        config,
        spec=SPEC,
        routers=[api.make_router()],
        context=build,
        on_open={"log": create_topic},
        on_startup=[start],
        on_shutdown=[stop],
        adapters=adapters,
    )
