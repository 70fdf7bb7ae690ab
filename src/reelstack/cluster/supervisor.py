"""The supervisor: the local autoscaling group of every service's instances.

It keeps, for each service, a group of instances of the cluster's primary
version (``cluster.instances`` of them, or the service's own count) spread
round-robin over ``cluster.zones``, plus any groups of other versions started
next to them (canaries). The control API calls the methods here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reelstack.cluster.instance import Launcher, ManagedInstance
from reelstack.cluster.model import MAX_GROUP_SIZE, free_slots, prometheus_targets, spec_for
from reelstack.cluster.schemas import FieldError
from reelstack.cluster.statefile import InstanceRecord
from reelstack.errors import NotFoundError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterPlan:
    """What the supervisor starts with."""

    services: Mapping[str, int]  # service name -> instances of the primary version
    zones: Sequence[str]
    primary_version: str


class Supervisor:
    """Starts, restarts, scales and stops the instances of every service."""

    def __init__(self, plan: ClusterPlan, launcher: Launcher) -> None:
        self.plan = plan
        self.launcher = launcher
        self.instances: dict[str, ManagedInstance] = {}
        # Group changes (scale, versions, shutdown) one at a time, so two
        # scale requests never pick the same slot.
        self._lock = asyncio.Lock()
        self.shutting_down = False

    # -- queries -------------------------------------------------------------------

    def views(self) -> list[dict[str, Any]]:
        """Return every instance's view, by service, version and slot."""
        ordered = sorted(
            self.instances.values(),
            key=lambda i: (
                i.spec.service,
                i.spec.version != self.plan.primary_version,
                i.spec.version,
                i.spec.slot,
            ),
        )
        return [instance.view() for instance in ordered]

    def get(self, instance_id: str) -> ManagedInstance:
        """Return the instance with this id; NotFoundError if there is none."""
        instance = self.instances.get(instance_id)
        if instance is None:
            raise NotFoundError(f"no instance {instance_id!r}")
        return instance

    def check_service(self, service: str) -> None:
        """Raise NotFoundError unless ``service`` is one the cluster runs."""
        if service not in self.plan.services:
            known = ", ".join(sorted(self.plan.services))
            raise NotFoundError(f"no service {service!r}; known: {known}")

    def group(self, service: str, version: str) -> list[ManagedInstance]:
        """Return the instances of ``service`` at ``version``, by slot."""
        found = [
            i
            for i in self.instances.values()
            if i.spec.service == service and i.spec.version == version
        ]
        return sorted(found, key=lambda i: i.spec.slot)

    def process_records(self) -> dict[str, InstanceRecord]:
        """Return the running instance processes, for the state file."""
        return {
            i.instance_id: InstanceRecord(i.ref.pid, i.ref.create_time, i.port)
            for i in self.instances.values()
            if i.ref is not None and i.port is not None
        }

    def prometheus_targets(self) -> list[dict[str, Any]]:
        """Return Prometheus HTTP service discovery groups for the instances that are up."""
        return prometheus_targets(self.views())

    # -- group changes -------------------------------------------------------------

    def _add(self, service: str, version: str, count: int) -> list[ManagedInstance]:
        taken = [i.spec.slot for i in self.group(service, version)]
        added: list[ManagedInstance] = []
        for slot in free_slots(taken, count):
            spec = spec_for(service, version, slot, self.plan.zones, self.plan.primary_version)
            instance = ManagedInstance(spec, self.launcher)
            self.instances[spec.instance_id] = instance
            instance.start()
            added.append(instance)
        return added

    async def _remove(self, instances: Sequence[ManagedInstance]) -> None:
        await asyncio.gather(*(instance.stop() for instance in instances))
        for instance in instances:
            self.instances.pop(instance.instance_id, None)
        self.launcher.on_change()

    async def start(self) -> None:
        """Start every service's primary group."""
        async with self._lock:
            for service, count in self.plan.services.items():
                self._add(service, self.plan.primary_version, count)

    async def scale(
        self, service: str, count: int, version: str | None = None
    ) -> list[dict[str, Any]]:
        """Grow or shrink a group to ``count`` (newest slots go first); return the group."""
        self.check_service(service)
        version = version or self.plan.primary_version
        async with self._lock:
            group = self.group(service, version)
            if count > len(group):
                self._add(service, version, count - len(group))
            elif count < len(group):
                await self._remove(group[count:])
            log.info("scaled %s %s to %d", service, version, count)
            return [i.view() for i in self.group(service, version)]

    async def start_version(self, service: str, version: str, count: int) -> list[dict[str, Any]]:
        """Add ``count`` instances of ``service`` running ``version``; return them."""
        self.check_service(service)
        async with self._lock:
            if len(self.group(service, version)) + count > MAX_GROUP_SIZE:
                raise FieldError("count", f"more than {MAX_GROUP_SIZE} instances of one version")
            added = self._add(service, version, count)
            log.info("started %d instances of %s %s", count, service, version)
            return [i.view() for i in added]

    async def remove_version(self, service: str, version: str) -> list[str]:
        """Stop and remove every instance of ``service`` at ``version``; return their ids."""
        self.check_service(service)
        async with self._lock:
            group = self.group(service, version)
            if not group:
                raise NotFoundError(f"no instances of {service} at version {version!r}")
            await self._remove(group)
            log.info("removed %s %s", service, version)
            return [i.instance_id for i in group]

    async def shutdown(self) -> list[str]:
        """Stop every instance gracefully (concurrently); return their ids."""
        self.shutting_down = True
        async with self._lock:
            instances = list(self.instances.values())
            await asyncio.gather(*(instance.stop() for instance in instances))
            self.launcher.on_change()
            return [i.instance_id for i in instances]
