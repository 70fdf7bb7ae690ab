"""The registry service's spec (Eureka's role)."""

from __future__ import annotations

from reelstack.chassis.spec import Deploy, ServiceSpec

SPEC = ServiceSpec(
    name="registry",
    app="reelstack.registry.app:create_app",
    settings="reelstack.registry.settings",
    background=(
        "reelstack.registry.background:evict_expired",
        "reelstack.registry.background:copy_from_peers",
    ),
    # Everyone else finds services through it, so it is found by address.
    deploy=Deploy(addressable=True, needs_engines=False),
)
