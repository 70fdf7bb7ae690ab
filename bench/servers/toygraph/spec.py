"""The toy subgraph's spec (loaded through ``services.extra``)."""

from __future__ import annotations

from reelstack.chassis.spec import Deploy, ServiceSpec

SPEC = ServiceSpec(
    name="toygraph",
    app="bench.servers.toygraph.app:create_app",
    deploy=Deploy(needs_engines=False),
)
