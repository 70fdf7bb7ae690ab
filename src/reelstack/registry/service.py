"""The registry's use cases: each applies a change to the lease table, then replicates it.

A change that came from a peer (Eureka's ``x-netflix-discovery-replication``
header) is applied but not replicated again, so changes never loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from reelstack.registry.leases import Registry, Renewal
from reelstack.registry.models import Instance, Lease, Replication, ReplicationAction
from reelstack.registry.schemas import FieldError, instance_from_wire, instance_to_wire


class Replicator(Protocol):
    """Where changes go to reach the peer registries."""

    def replicate(self, task: Replication) -> None:
        """Queue ``task`` for every peer (never blocks, never fails)."""
        ...


def register_task(lease: Lease) -> Replication:
    """Return the replication of a lease's current instance data."""
    i = lease.instance
    return Replication(
        ReplicationAction.REGISTER,
        i.app,
        i.instance_id,
        last_dirty_ms=i.last_dirty_ms,
        status=i.status,
        overridden_status=i.overridden_status,
        instance=instance_to_wire(lease, own_status=True),
    )


def register(
    *, registry: Registry, peers: Replicator | None, instance: Instance, replication: bool
) -> Lease:
    """Register an instance."""
    lease = registry.register(instance)
    if peers is not None and not replication:
        peers.replicate(register_task(lease))
    return lease


def renew(
    *,
    registry: Registry,
    peers: Replicator | None,
    app: str,
    instance_id: str,
    status: str | None,
    last_dirty_ms: int | None,
    replication: bool,
) -> tuple[Renewal, Lease | None]:
    """Renew an instance's lease."""
    outcome, lease = registry.renew(
        app, instance_id, status=status, last_dirty_ms=last_dirty_ms, replication=replication
    )
    if peers is not None and not replication and lease is not None:
        i = lease.instance
        peers.replicate(
            Replication(
                ReplicationAction.HEARTBEAT,
                i.app,
                i.instance_id,
                last_dirty_ms=i.last_dirty_ms,
                status=i.status,
                overridden_status=i.overridden_status,
            )
        )
    return outcome, lease


def cancel(
    *, registry: Registry, peers: Replicator | None, app: str, instance_id: str, replication: bool
) -> Lease | None:
    """Cancel an instance's registration."""
    lease = registry.cancel(app, instance_id)
    if lease is not None and peers is not None and not replication:
        peers.replicate(Replication(ReplicationAction.CANCEL, lease.instance.app, instance_id))
    return lease


def override_status(
    *,
    registry: Registry,
    peers: Replicator | None,
    app: str,
    instance_id: str,
    status: str,
    replication: bool,
) -> Lease | None:
    """Override an instance's status (OUT_OF_SERVICE takes it out of discovery)."""
    lease = registry.override_status(app, instance_id, status)
    if lease is not None and peers is not None and not replication:
        peers.replicate(
            Replication(
                ReplicationAction.STATUS_UPDATE,
                lease.instance.app,
                instance_id,
                last_dirty_ms=lease.instance.last_dirty_ms,
                status=status,
            )
        )
    return lease


def remove_override(
    *,
    registry: Registry,
    peers: Replicator | None,
    app: str,
    instance_id: str,
    status: str | None,
    replication: bool,
) -> Lease | None:
    """Remove an instance's status override."""
    lease = registry.remove_override(app, instance_id, status)
    if lease is not None and peers is not None and not replication:
        peers.replicate(
            Replication(
                ReplicationAction.DELETE_STATUS_OVERRIDE,
                lease.instance.app,
                instance_id,
                last_dirty_ms=lease.instance.last_dirty_ms,
                status=status,
            )
        )
    return lease


def update_metadata(
    *,
    registry: Registry,
    peers: Replicator | None,
    app: str,
    instance_id: str,
    values: Mapping[str, str],
) -> Lease | None:
    """Merge metadata into an instance (replicated as a registration: Eureka does not)."""
    lease = registry.update_metadata(app, instance_id, values)
    if lease is not None and peers is not None:
        peers.replicate(register_task(lease))
    return lease


def apply_replicated(
    *, registry: Registry, task: Replication, now_ms: int
) -> tuple[int, dict[str, Any] | None]:
    """Apply one change a peer replicated; return the status code and, on 409, our instance."""
    action = task.action
    if action is ReplicationAction.REGISTER:
        instance = instance_from_wire(task.instance, app=task.app, now_ms=now_ms)
        register(registry=registry, peers=None, instance=instance, replication=True)
        return 200, None
    if action is ReplicationAction.HEARTBEAT:
        outcome, lease = registry.renew(
            task.app, task.instance_id, last_dirty_ms=task.last_dirty_ms, replication=True
        )
        if outcome is Renewal.CONFLICT and lease is not None:
            return 409, instance_to_wire(lease, own_status=True)
        return outcome.value, None
    if action is ReplicationAction.CANCEL:
        found = registry.cancel(task.app, task.instance_id)
    elif action is ReplicationAction.STATUS_UPDATE:
        if task.status is None:
            raise FieldError("status", "missing")
        found = registry.override_status(task.app, task.instance_id, task.status)
    else:
        found = registry.remove_override(task.app, task.instance_id, task.status)
    return (200 if found is not None else 404), None
