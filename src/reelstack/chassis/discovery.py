"""Discovery: how a caller learns where a service's instances are.

The registry (Eureka's role) is the source of truth; every process keeps a
local copy it refreshes in the background, so calls keep working while the
registry is down. The resilient client and the gateway ask a
:class:`Discovery` for a service's instances and never talk to the registry
on the request path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Status = Literal["UP", "DOWN", "STARTING", "OUT_OF_SERVICE", "UNKNOWN"]


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    """One registered instance of a service, as the registry reports it."""

    service: str  # lower-case service name (Eureka's app name, upper-cased on the wire)
    instance_id: str
    host: str
    port: int
    zone: str = "a"
    version: str = "v1"
    status: Status = "UP"
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        """``host:port``."""
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"


class Discovery(Protocol):
    """Where each service's instances are, answered from a local copy."""

    def instances(self, service: str) -> Sequence[InstanceInfo]:
        """Return the service's instances whose status is UP (may be empty)."""
        ...


class StaticDiscovery:
    """A fixed instance list: for tests, and for a caller given addresses by hand."""

    def __init__(self, instances: Sequence[InstanceInfo] = ()) -> None:
        self._by_service: dict[str, list[InstanceInfo]] = {}
        self.replace(instances)

    def replace(self, instances: Sequence[InstanceInfo]) -> None:
        """Replace every instance."""
        by_service: dict[str, list[InstanceInfo]] = {}
        for instance in instances:
            by_service.setdefault(instance.service, []).append(instance)
        self._by_service = by_service

    def instances(self, service: str) -> Sequence[InstanceInfo]:
        return [i for i in self._by_service.get(service, ()) if i.status == "UP"]

    def all(self) -> list[InstanceInfo]:
        """Every instance, whatever its status."""
        return [i for found in self._by_service.values() for i in found]
