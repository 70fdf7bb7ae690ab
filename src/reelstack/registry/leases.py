"""The lease table: registrations, renewals, overrides, eviction and self-preservation.

Kept in memory, as Eureka keeps it; peers (see :mod:`reelstack.registry.peers`)
provide the durability, and :mod:`reelstack.registry.service` holds the use
cases that change the table and replicate each change. Everything here runs
on the event loop, so no locks. The clock is injectable so the rules are
tested without waiting.

Self-preservation: each lease is expected to renew every
``renewalIntervalInSecs`` it declared. When the renewals counted over the
last ``renewal_window_s`` fall below ``renewal_threshold`` of those expected,
the registry assumes a network problem rather than mass death and stops
evicting, as Eureka does. Unlike Eureka, the expectation is taken from each
lease's own declared interval, in whole renewals, and a lease younger than
the window is expected to have renewed only for its age, less half an
interval for the client's own delay (so a registry that just started or
synced does not enter self-preservation while its leases are young).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from reelstack.registry.models import (
    UNKNOWN,
    UP,
    Action,
    Change,
    Instance,
    Lease,
    reconcile_hashcode,
)

log = logging.getLogger(__name__)


class Renewal(Enum):
    """How a renewal went, as the heartbeat endpoint answers it."""

    OK = 200
    NOT_FOUND = 404  # unknown, or the caller has newer data: it must register again
    CONFLICT = 409  # a peer replicated older data than ours: it should take ours


@dataclass(frozen=True)
class Preservation:
    """The self-preservation figures at one moment."""

    enabled: bool  # the setting
    active: bool  # evictions are stopped now
    renewals: int  # counted over the window
    expected: int  # renewals expected over the window
    threshold: float  # share of expected below which evictions stop


class Registry:
    """The instances registered with this registry, by app, with their leases."""

    def __init__(
        self,
        *,
        renewal_window_s: float = 60.0,
        delta_retention_s: float = 180.0,
        renewal_threshold: Callable[[], float] = lambda: 0.85,
        self_preservation: Callable[[], bool] = lambda: True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.renewal_window_s = renewal_window_s
        self.delta_retention_s = delta_retention_s
        self.renewal_threshold = renewal_threshold
        self.self_preservation = self_preservation
        self.clock = clock
        self._apps: dict[str, dict[str, Lease]] = {}
        # Operator overrides by instance id: they outlive a re-registration
        # (Eureka's overriddenInstanceStatusMap) and end with a cancel.
        self._overrides: dict[str, str] = {}
        self._recent: OrderedDict[str, Change] = OrderedDict()
        self._renewals: deque[float] = deque()
        # Bumped on every change a client would see; caches key on it.
        self.version = 1
        self.registrations = 0
        self.renewals_total = 0
        self.cancels = 0
        self.evictions = 0
        self.eviction_runs = 0

    # -- writes --------------------------------------------------------------------

    def register(self, instance: Instance) -> Lease:
        """Register (or re-register) an instance; return its new lease.

        If the registry already holds newer data for this instance (a later
        ``lastDirtyTimestamp``, e.g. a replication that arrived late), that
        data is kept and only the lease is refreshed.
        """
        now = self.clock()
        leases = self._apps.setdefault(instance.app, {})
        existing = leases.get(instance.instance_id)
        if existing is not None and existing.instance.last_dirty_ms > instance.last_dirty_ms:
            log.info(
                "keeping newer data for %s/%s than the registration carries",
                instance.app,
                instance.instance_id,
            )
            instance = existing.instance
        if instance.overridden_status != UNKNOWN:
            self._overrides.setdefault(instance.instance_id, instance.overridden_status)
        instance.overridden_status = self._overrides.get(instance.instance_id, UNKNOWN)
        instance.last_updated_ms = int(now * 1000)
        lease = Lease(instance, registered_s=now, last_renewal_s=now)
        if existing is not None and existing.service_up_s:
            lease.service_up_s = existing.service_up_s
        elif instance.effective_status == UP:
            lease.service_up_s = now
        leases[instance.instance_id] = lease
        self.registrations += 1
        self._changed(lease, Action.ADDED, now)
        return lease

    def renew(
        self,
        app: str,
        instance_id: str,
        *,
        status: str | None = None,
        last_dirty_ms: int | None = None,
        replication: bool = False,
    ) -> tuple[Renewal, Lease | None]:
        """Renew a lease; return the outcome and the lease if it was renewed.

        ``status`` is the status the instance reports with its heartbeat: a
        change is applied (Eureka ignores it; taking it spares a client a
        re-registration). ``last_dirty_ms`` is compared as Eureka does:
        newer than ours means the caller must register again; older than
        ours from a peer means the peer should take our data.
        """
        lease = self._lease(app, instance_id)
        if lease is None:
            return Renewal.NOT_FOUND, None
        instance = lease.instance
        if instance.effective_status == UNKNOWN:
            # The registry does not know this instance's status (an override
            # was removed from a synced copy): make the instance tell it.
            return Renewal.NOT_FOUND, None
        now = self.clock()
        lease.last_renewal_s = now
        self._renewals.append(now)
        self.renewals_total += 1
        if status is not None and not replication and status != instance.status:
            instance.status = status
            self._modified(lease, now)
        if last_dirty_ms is not None:
            if last_dirty_ms > instance.last_dirty_ms:
                return Renewal.NOT_FOUND, lease
            if last_dirty_ms < instance.last_dirty_ms and replication:
                return Renewal.CONFLICT, lease
        return Renewal.OK, lease

    def cancel(self, app: str, instance_id: str) -> Lease | None:
        """Remove an instance; return its lease, or None if it was not registered."""
        lease = self._remove(app, instance_id)
        if lease is not None:
            self.cancels += 1
        return lease

    def _remove(self, app: str, instance_id: str) -> Lease | None:
        leases = self._apps.get(app.upper())
        lease = None if leases is None else leases.pop(instance_id, None)
        if lease is None:
            return None
        if leases is not None and not leases:
            del self._apps[app.upper()]
        self._overrides.pop(instance_id, None)
        now = self.clock()
        lease.eviction_s = now
        self._changed(lease, Action.DELETED, now)
        return lease

    def override_status(self, app: str, instance_id: str, status: str) -> Lease | None:
        """Set an operator's status override; return the lease, or None if unknown."""
        lease = self._lease(app, instance_id)
        if lease is None:
            return None
        self._overrides[instance_id] = status
        lease.instance.overridden_status = status
        self._modified(lease, self.clock(), dirty=True)
        return lease

    def remove_override(self, app: str, instance_id: str, status: str | None) -> Lease | None:
        """Remove a status override, optionally setting the instance's own status."""
        lease = self._lease(app, instance_id)
        if lease is None:
            return None
        self._overrides.pop(instance_id, None)
        lease.instance.overridden_status = UNKNOWN
        if status is not None:
            lease.instance.status = status
        self._modified(lease, self.clock(), dirty=True)
        return lease

    def update_metadata(
        self, app: str, instance_id: str, values: Mapping[str, str]
    ) -> Lease | None:
        """Merge ``values`` into an instance's metadata; return the lease, or None if unknown."""
        lease = self._lease(app, instance_id)
        if lease is None:
            return None
        lease.instance.metadata.update(values)
        self._modified(lease, self.clock(), dirty=True)
        return lease

    def _modified(self, lease: Lease, now: float, *, dirty: bool = False) -> None:
        lease.instance.last_updated_ms = int(now * 1000)
        if dirty:
            # Later than what the instance holds, so peers take this version
            # and the instance's next heartbeat is not mistaken for newer.
            lease.instance.last_dirty_ms = max(
                lease.instance.last_dirty_ms + 1, lease.instance.last_updated_ms
            )
        if lease.instance.effective_status == UP and not lease.service_up_s:
            lease.service_up_s = now
        self._changed(lease, Action.MODIFIED, now)

    def _changed(self, lease: Lease, action: Action, now: float) -> None:
        key = lease.instance.instance_id
        self._recent.pop(key, None)
        self._recent[key] = Change(now, action, lease)
        self.version += 1

    # -- eviction ------------------------------------------------------------------

    def preservation(self) -> Preservation:
        """Return the self-preservation figures now."""
        now = self.clock()
        window = self.renewal_window_s
        renewals = self._renewals
        while renewals and renewals[0] <= now - window:
            renewals.popleft()
        expected = 0
        for leases in self._apps.values():
            for lease in leases.values():
                interval = lease.instance.renewal_interval_s
                span = min(window, max(0.0, now - lease.registered_s - interval / 2))
                # Whole renewals: a client renewing every 30 s makes 2 in a
                # 60 s window, and 1 in its first 45 s.
                expected += math.floor(span / interval)
        threshold = self.renewal_threshold()
        enabled = self.self_preservation()
        # With no renewal expected yet there is nothing to judge.
        active = enabled and expected >= 1 and len(renewals) < threshold * expected
        return Preservation(enabled, active, len(renewals), expected, threshold)

    def evict(self) -> list[Lease]:
        """Evict expired leases unless self-preservation holds; return those evicted.

        As Eureka does, one run evicts at most the share of the registry that
        the renewal threshold allows, picked at random, so a burst of expiries
        is spread over several runs.
        """
        self.eviction_runs += 1
        if self.preservation().active:
            expired_count = sum(1 for lease in self.leases() if lease.expired(self.clock()))
            if expired_count:
                log.warning("self-preservation: not evicting %d expired leases", expired_count)
            return []
        now = self.clock()
        expired = [lease for lease in self.leases() if lease.expired(now)]
        if not expired:
            return []
        size = sum(len(leases) for leases in self._apps.values())
        limit = size - int(size * self.renewal_threshold())
        if len(expired) > limit:
            random.shuffle(expired)
            expired = expired[: max(1, limit)]
        for lease in expired:
            log.info(
                "evicting %s/%s: no renewal for %.1f s",
                lease.instance.app,
                lease.instance.instance_id,
                now - lease.last_renewal_s,
                extra={"app": lease.instance.app, "instance_id": lease.instance.instance_id},
            )
            self._remove(lease.instance.app, lease.instance.instance_id)
            self.evictions += 1
        return expired

    # -- reads ---------------------------------------------------------------------

    def _lease(self, app: str, instance_id: str) -> Lease | None:
        leases = self._apps.get(app.upper())
        return None if leases is None else leases.get(instance_id)

    def lease(self, app: str, instance_id: str) -> Lease | None:
        """Return an instance's lease, or None."""
        return self._lease(app, instance_id)

    def find(self, instance_id: str) -> Lease | None:
        """Return the lease of an instance id in any app, or None."""
        for leases in self._apps.values():
            lease = leases.get(instance_id)
            if lease is not None:
                return lease
        return None

    def leases(self) -> list[Lease]:
        """Return every lease."""
        return [lease for leases in self._apps.values() for lease in leases.values()]

    def applications(self) -> list[tuple[str, list[Lease]]]:
        """Return every app with its leases, sorted by name."""
        return [(name, list(self._apps[name].values())) for name in sorted(self._apps)]

    def application(self, app: str) -> list[Lease]:
        """Return an app's leases (empty if it has none)."""
        return list(self._apps.get(app.upper(), {}).values())

    def by_vip(self, vip: str, *, secure: bool = False) -> list[tuple[str, list[Lease]]]:
        """Return the apps and leases whose (secure) VIP address lists ``vip``."""
        found: dict[str, list[Lease]] = {}
        for lease in self.leases():
            addresses = lease.instance.secure_vip_address if secure else lease.instance.vip_address
            if vip in (a.strip() for a in addresses.split(",")):
                found.setdefault(lease.instance.app, []).append(lease)
        return sorted(found.items())

    def hashcode(self) -> str:
        """Return the reconcile hashcode of the whole registry."""
        return reconcile_hashcode(lease.instance.effective_status for lease in self.leases())

    def delta(self) -> list[Change]:
        """Return the changes of the last ``delta_retention_s``, oldest first."""
        horizon = self.clock() - self.delta_retention_s
        recent = self._recent
        while recent:
            key, change = next(iter(recent.items()))
            if change.at_s >= horizon:
                break
            del recent[key]
        return list(recent.values())

    def counts(self) -> dict[str, int]:
        """Return how many instances have each effective status."""
        counts: dict[str, int] = {}
        for lease in self.leases():
            status = lease.instance.effective_status
            counts[status] = counts.get(status, 0) + 1
        return counts


def group_changes(
    changes: Iterable[Change],
) -> tuple[list[tuple[str, list[Lease]]], dict[str, Action]]:
    """Return a delta's leases grouped by app, and the action of each instance id."""
    by_app: dict[str, list[Lease]] = {}
    actions: dict[str, Action] = {}
    for change in changes:
        by_app.setdefault(change.lease.instance.app, []).append(change.lease)
        actions[change.lease.instance.instance_id] = change.action
    return sorted(by_app.items()), actions
