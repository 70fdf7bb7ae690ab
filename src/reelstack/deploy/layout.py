"""Where a deployment runs each service's instances, and the volumes services share.

A service runs ``spec.instances`` instances (the ``cluster.instances``
default when the spec says nothing), spread round-robin over the
``cluster.zones`` default exactly as the local supervisor spreads them
(:func:`reelstack.cluster.model.zone_of`), with the same instance ids. The
defaults, not this machine's settings, so the files do not depend on who
renders them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from reelstack.chassis.spec import ServiceSpec, Volume
from reelstack.cluster.model import instance_id, zone_of
from reelstack.config import Setting
from reelstack.errors import SpecError
from reelstack.settings.cluster import CLUSTER_INSTANCES, CLUSTER_ZONES

T = TypeVar("T")

HTTP_PORT = 8000
"""The port every instance listens on inside its container (the image's default)."""
INTERNAL_PORT = 8001
"""The gateway's port for /health, /ready and /metrics (probes, Prometheus): never published."""
SERVE_PORT = 8002
"""Where a service's viewer listener (``deploy.listener``) listens inside its container."""


def _default(setting: Setting[T]) -> T:
    assert isinstance(setting.default, str), setting.key
    return setting.parse(setting.default)


@dataclass(frozen=True)
class Layout:
    """The zones instances spread over and the count of a spec that sets none."""

    zones: tuple[str, ...]
    instances: int

    @classmethod
    def defaults(cls) -> Layout:
        """Return the layout the settings' defaults give (zones and instances of ``cluster``)."""
        return cls(zones=_default(CLUSTER_ZONES), instances=_default(CLUSTER_INSTANCES))

    def count(self, spec: ServiceSpec) -> int:
        """Return how many instances of ``spec`` a deployment runs."""
        return spec.instances or self.instances


@dataclass(frozen=True)
class Placement:
    """One instance of a service in a deployment: its zone and number there."""

    service: str
    slot: int
    zone: str
    number: int

    @property
    def instance_id(self) -> str:
        """Return the instance's id, as the local supervisor names it (``hello-a-1``)."""
        return instance_id(self.service, self.zone, self.number, "", "")

    @property
    def host(self) -> str:
        """Return the instance's host name: ``<service>-<zone>``, then ``-<n>`` from the second."""
        base = f"{self.service}-{self.zone}"
        return base if self.number == 1 else f"{base}-{self.number}"


def placements(spec: ServiceSpec, layout: Layout) -> tuple[Placement, ...]:
    """Return every instance of ``spec``, in slot order."""
    out: list[Placement] = []
    for slot in range(layout.count(spec)):
        zone, number = zone_of(slot, layout.zones)
        out.append(Placement(service=spec.name, slot=slot, zone=zone, number=number))
    return tuple(out)


def replicas(spec: ServiceSpec, layout: Layout) -> list[tuple[str, int]]:
    """Return ``(zone, instances)`` for every zone that runs an instance of ``spec``."""
    counts: dict[str, int] = {}
    for placement in placements(spec, layout):
        counts[placement.zone] = counts.get(placement.zone, 0) + 1
    return [(zone, counts[zone]) for zone in layout.zones if zone in counts]


@dataclass(frozen=True)
class SharedVolume:
    """A volume and the services that mount it (in spec order)."""

    volume: Volume
    services: tuple[str, ...]

    @property
    def about(self) -> str:
        """Return what the volume holds, and where it is mounted."""
        where = (
            f"Mounted by {', '.join(self.services)} at {self.volume.path}"
            f" (the setting {self.volume.setting})."
        )
        return f"{self.volume.about} {where}" if self.volume.about else where


def shared_volumes(specs: Iterable[ServiceSpec]) -> list[SharedVolume]:
    """Return each volume once, with its users; refuse two specs that mount one differently."""
    found: dict[str, tuple[Volume, list[str]]] = {}
    for spec in specs:
        for volume in spec.deploy.volumes:
            known = found.get(volume.name)
            if known is None:
                found[volume.name] = (volume, [spec.name])
                continue
            first, users = known
            if (first.setting, first.path) != (volume.setting, volume.path):
                raise SpecError(
                    spec.name,
                    f"volume {volume.name!r} is {volume.setting}={volume.path} here but "
                    f"{first.setting}={first.path} in {users[0]!r}",
                )
            if volume.about and not first.about:
                first = volume
            found[volume.name] = (first, [*users, spec.name])
    return [SharedVolume(volume, tuple(users)) for volume, users in found.values()]
