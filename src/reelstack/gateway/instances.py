"""A fixed list of service instances for the gateway, from the ``gateway.instances`` setting.

``hello@a=127.0.0.1:9001,hello@b=127.0.0.1:9002``: service, zone (``a`` if
left out) and address of each instance. When it is set the gateway uses it
instead of the registry: for tests, benchmarks, and a gateway in front of
services that do not register.
"""

from __future__ import annotations

from typing import NamedTuple


class StaticInstance(NamedTuple):
    """One entry of the setting (the app turns it into an InstanceInfo)."""

    service: str
    zone: str
    host: str
    port: int


def parse_instances(raw: str) -> tuple[StaticInstance, ...]:
    """Parse ``SERVICE[@ZONE]=HOST:PORT`` entries, comma-separated."""
    instances: list[StaticInstance] = []
    for entry in raw.split(","):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, address = entry.partition("=")
        service, _, zone = name.strip().partition("@")
        host, colon, port_text = address.strip().rpartition(":")
        if not sep or not service or not colon or not host:
            raise ValueError(f"instance {entry!r}: expected SERVICE[@ZONE]=HOST:PORT")
        try:
            port = int(port_text)
        except ValueError:
            raise ValueError(f"instance {entry!r}: port {port_text!r} is not a number") from None
        if not 0 < port < 65536:
            raise ValueError(f"instance {entry!r}: port {port} out of range")
        zone = zone.strip() or "a"
        instances.append(StaticInstance(service.strip().lower(), zone, host.strip("[]"), port))
    return tuple(instances)
