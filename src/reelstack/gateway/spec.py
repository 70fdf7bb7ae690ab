"""The gateway's spec (Zuul's role): the front door, routing to every other spec's routes."""

from __future__ import annotations

from reelstack.chassis.spec import Deploy, ServiceSpec

SPEC = ServiceSpec(
    name="gateway",
    app="reelstack.gateway.app:create_app",
    settings="reelstack.gateway.settings",
    deploy=Deploy(public_port=8080),
)
