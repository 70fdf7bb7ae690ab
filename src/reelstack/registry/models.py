"""The registry's domain: registered instances, their leases, and the change log.

Pure data and rules, no I/O. Names and rules follow Eureka 1.x, whose REST
shapes the registry speaks: an instance reports its own status, an operator
may override it, and the status the registry serves is decided by
:func:`effective_status`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

UP = "UP"
DOWN = "DOWN"
STARTING = "STARTING"
OUT_OF_SERVICE = "OUT_OF_SERVICE"
UNKNOWN = "UNKNOWN"
STATUSES = frozenset({UP, DOWN, STARTING, OUT_OF_SERVICE, UNKNOWN})

DEFAULT_RENEWAL_INTERVAL_S = 30
DEFAULT_DURATION_S = 90
DEFAULT_DATA_CENTER = {
    "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
    "name": "MyOwn",
}


class Action(StrEnum):
    """What happened to an instance, as the delta reports it (Eureka's actionType)."""

    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


@dataclass(slots=True)
class Instance:
    """One instance as it registered: Eureka's InstanceInfo, minus what the lease holds."""

    app: str  # upper-case, as Eureka keeps app names
    instance_id: str
    host_name: str
    ip_addr: str
    vip_address: str
    port: int = 0
    port_enabled: bool = True
    secure_port: int = 443
    secure_port_enabled: bool = False
    status: str = UP  # what the instance itself reports
    overridden_status: str = UNKNOWN  # set by an operator; UNKNOWN means none
    secure_vip_address: str = ""
    home_page_url: str = ""
    status_page_url: str = ""
    health_check_url: str = ""
    secure_health_check_url: str = ""
    country_id: int = 1
    data_center: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_DATA_CENTER))
    renewal_interval_s: int = DEFAULT_RENEWAL_INTERVAL_S
    duration_s: int = DEFAULT_DURATION_S
    metadata: dict[str, str] = field(default_factory=dict)
    last_updated_ms: int = 0
    last_dirty_ms: int = 0
    # Fields carried as the instance sent them (asgName, appGroupName, sid).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def effective_status(self) -> str:
        """The status the registry serves for this instance."""
        return effective_status(self.status, self.overridden_status)


def effective_status(own: str, overridden: str) -> str:
    """Return the status to serve, as Eureka's override rules decide it.

    An instance that says it is DOWN or STARTING is believed whatever the
    override (it knows it cannot serve); otherwise an operator's override
    wins; otherwise the instance's own status.
    """
    if own in (DOWN, STARTING):
        return own
    if overridden != UNKNOWN:
        return overridden
    return own


@dataclass(slots=True)
class Lease:
    """An instance's lease: it stays registered while it renews within its duration."""

    instance: Instance
    registered_s: float
    last_renewal_s: float
    service_up_s: float = 0.0
    eviction_s: float = 0.0

    def expired(self, now_s: float) -> bool:
        """Whether the instance has not renewed within its lease duration.

        (Eureka adds the duration twice by a long-standing quirk; this does not.)
        """
        return now_s > self.last_renewal_s + self.instance.duration_s


@dataclass(slots=True)
class Change:
    """One entry of the recently-changed queue that deltas are made of."""

    at_s: float
    action: Action
    lease: Lease


def reconcile_hashcode(statuses: Iterable[str]) -> str:
    """Return Eureka's apps hashcode: ``STATUS_count_`` per status, sorted by status.

    Clients compute the same over their local copy after applying a delta; a
    mismatch tells them to fetch the full registry.
    """
    counts = Counter(statuses)
    return "".join(f"{status}_{counts[status]}_" for status in sorted(counts))


class ReplicationAction(StrEnum):
    """What a registry replicates to its peers (Eureka's replication actions)."""

    REGISTER = "Register"
    HEARTBEAT = "Heartbeat"
    CANCEL = "Cancel"
    STATUS_UPDATE = "StatusUpdate"
    DELETE_STATUS_OVERRIDE = "DeleteStatusOverride"


@dataclass(frozen=True, slots=True)
class Replication:
    """One change to send to the peers, in Eureka's batch replication shape."""

    action: ReplicationAction
    app: str
    instance_id: str
    last_dirty_ms: int | None = None
    status: str | None = None
    overridden_status: str | None = None
    instance: dict[str, Any] | None = None  # the instance JSON, for a Register

    @property
    def key(self) -> tuple[str, str, str]:
        """A newer task with the same key replaces a queued one (only the latest matters)."""
        return (self.action.value, self.app, self.instance_id)

    def to_wire(self) -> dict[str, Any]:
        """Return the task as one entry of ``replicationList``."""
        wire: dict[str, Any] = {
            "appName": self.app,
            "id": self.instance_id,
            "action": self.action.value,
        }
        if self.last_dirty_ms is not None:
            wire["lastDirtyTimestamp"] = self.last_dirty_ms
        if self.status is not None:
            wire["status"] = self.status
        if self.overridden_status is not None:
            wire["overriddenStatus"] = self.overridden_status
        if self.instance is not None:
            wire["instanceInfo"] = self.instance
        return wire
