"""The services reelstack runs, by name: each an ASGI app factory.

The supervisor starts each listed service; ``reelstack.chassis.run`` turns a
name into a running instance. Later services add themselves here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    factory: str  # "module:function", called with the process's Config
    instances: int | None = None  # None: the cluster.instances setting


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec("registry", "reelstack.registry.app:create_app"),
        ServiceSpec("hello", "reelstack.hello.app:create_app"),
        ServiceSpec("gateway", "reelstack.gateway.app:create_app"),
        ServiceSpec("media", "reelstack.media.app:create_app"),
        ServiceSpec("media-worker", "reelstack.media.worker_app:create_app"),
    )
}
