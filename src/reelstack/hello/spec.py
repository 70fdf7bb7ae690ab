"""The sample service's spec."""

from __future__ import annotations

from reelstack.chassis.spec import ServiceSpec

SPEC = ServiceSpec(
    name="hello",
    app="reelstack.hello.app:create_app",
    ports=("sql", "cache"),
    settings="reelstack.hello.settings",
    migrations="hello",
    routes=("/api/hello;public;rewrite=/hello",),
)
