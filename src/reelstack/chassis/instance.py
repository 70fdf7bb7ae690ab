"""Who this instance is (service, instance id, zone, version, address); not the identity service."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from reelstack import settings
from reelstack.config import Config


@dataclass(frozen=True, slots=True)
class InstanceIdentity:
    """The identity an instance reports in health, metrics and logs."""

    service: str
    instance: str
    zone: str
    version: str
    host: str
    port: int
    pid: int
    advertise_host: str = ""

    @property
    def reachable_host(self) -> str:
        """The address to register: where other processes reach this instance."""
        return self.advertise_host or self.host

    @classmethod
    def from_config(cls, config: Config, *, service: str | None = None) -> InstanceIdentity:
        """Build the identity from settings; the instance id defaults to service-zone-port."""
        name = service or config.get(settings.SERVICE_NAME)
        zone = config.get(settings.SERVICE_ZONE)
        port = config.get(settings.SERVICE_PORT)
        instance = config.get(settings.INSTANCE_ID) or f"{name}-{zone}-{port}"
        return cls(
            service=name,
            instance=instance,
            zone=zone,
            version=config.get(settings.SERVICE_VERSION),
            host=config.get(settings.SERVICE_HOST),
            port=port,
            pid=os.getpid(),
            advertise_host=advertise_host(config),
        )


WILDCARDS = frozenset({"0.0.0.0", "::", ""})


def advertise_host(config: Config) -> str:
    """Return the address this instance registers under."""
    explicit = config.get(settings.SERVICE_ADVERTISE_HOST)
    if explicit:
        return explicit
    host = config.get(settings.SERVICE_HOST)
    return socket.gethostname() if host in WILDCARDS else host
