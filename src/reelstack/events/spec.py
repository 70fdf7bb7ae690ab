"""The events service's spec: player telemetry ingestion."""

from __future__ import annotations

from reelstack.chassis.spec import ServiceSpec

SPEC = ServiceSpec(
    name="events",
    app="reelstack.events.app:create_app",
    ports=("log",),
    settings="reelstack.events.settings",
    # A token is needed: the gateway names the caller in x-account-id and
    # x-profile-id, and the events carry those. The body limit matches
    # events.max_body_bytes' default so an oversized batch stops at the door.
    routes=("/api/events;rewrite=/events;max_body=262144",),
)
