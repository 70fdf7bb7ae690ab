"""Zone-preferring round-robin load balancer with Ribbon's availability filter.

Choosing: round robin over the service's instances, preferring those in the
caller's own zone (a call that stays in its zone is faster and survives
another zone's outage); an instance in another zone is chosen only when no
instance in ours is available. The instance list is whatever discovery
returns on this call, so instances coming and going need no notification.

Availability filtering (Ribbon's ``AvailabilityFilteringRule``): after
``failures`` consecutive connection failures an instance is skipped for
``skip_s`` seconds. If it fails again after coming back, without a success in
between, it is skipped twice as long, and so on up to ``max_skip_s``. A
success forgets its failures. Failures reported while an instance is already
skipped (calls that started before it was) do not lengthen the skip, so a
burst of in-flight calls to a dead instance trips it once, not many times.
When every instance is skipped, a call's first attempt still goes to one (the
one back soonest) rather than none, as Ribbon does: a skip is a guess, and a
failed call costs little next to refusing every call. A retry never goes to a
skipped instance.

Per-instance state exists only for instances that have failed, so the usual
call is a scan of the list with one empty-dict lookup per instance looked at.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from reelstack.chassis.discovery import InstanceInfo

# Past this many failed instances remembered, forget the long-recovered ones.
PRUNE_AT = 64


class InstanceHealth:
    """Connection failures of one instance and how long it is skipped."""

    __slots__ = ("failures", "skip_until", "trips")

    def __init__(self) -> None:
        self.failures = 0  # consecutive connection failures
        self.skip_until = 0.0
        self.trips = 0  # skips since its last success


class LoadBalancer:
    """Picks the instance for each call of one service."""

    __slots__ = ("_next", "failures", "health", "max_skip_s", "skip_s", "tripped", "zone")

    def __init__(
        self,
        zone: str,
        *,
        failures: int = 3,
        skip_s: float = 30.0,
        max_skip_s: float = 300.0,
    ) -> None:
        self.zone = zone
        self.failures = failures
        self.skip_s = skip_s
        self.max_skip_s = max_skip_s
        self.health: dict[str, InstanceHealth] = {}
        self.tripped = 0  # times an instance started being skipped, for metrics
        self._next = 0

    def configure(self, *, failures: int, skip_s: float, max_skip_s: float) -> None:
        """Apply new availability settings (skips in force keep their end)."""
        self.failures = failures
        self.skip_s = skip_s
        self.max_skip_s = max_skip_s

    def choose(
        self,
        instances: Sequence[InstanceInfo],
        now: float,
        exclude: Collection[str] = (),
    ) -> InstanceInfo | None:
        """Return the instance for the next call, or None if there is none.

        ``exclude`` holds instance ids already tried by this call (a retry goes
        to another instance); an excluded instance is never returned, nor, for
        a retry, a skipped one.
        """
        if not instances:
            return None
        zone = self.zone
        health = self.health
        # Count the available instances in our zone and in others, then take
        # the n-th of them in round robin: no list is built, and the turn is
        # fair even when the list mixes zones or holds skipped instances.
        local = other = 0
        for instance in instances:
            if exclude and instance.instance_id in exclude:
                continue
            if health:
                state = health.get(instance.instance_id)
                if state is not None and state.skip_until > now:
                    continue
            if instance.zone == zone:
                local += 1
            else:
                other += 1
        if local or other:
            turn = self._next
            if not exclude:
                # A retry takes no turn, or the instance after a failing one
                # would get the next call as well as the retry.
                self._next = turn + 1 if turn < 1 << 30 else 0
            in_zone = local > 0
            turn %= local if in_zone else other
            for instance in instances:
                if (instance.zone == zone) is not in_zone:
                    continue
                if exclude and instance.instance_id in exclude:
                    continue
                if health:
                    state = health.get(instance.instance_id)
                    if state is not None and state.skip_until > now:
                        continue
                if not turn:
                    return instance
                turn -= 1
        if exclude:
            # A retry is an extra; it is not worth sending to a skipped instance.
            return None
        # Everything is skipped: take the one whose skip ends first.
        best: InstanceInfo | None = None
        best_until = 0.0
        for instance in instances:
            state = health.get(instance.instance_id)
            until = state.skip_until if state is not None else 0.0
            if best is None or until < best_until:
                best, best_until = instance, until
        return best

    def on_connect_failure(self, instance: InstanceInfo, now: float) -> None:
        """Record that a connection to ``instance`` failed (refused, reset, timed out)."""
        state = self.health.get(instance.instance_id)
        if state is None:
            if len(self.health) >= PRUNE_AT:
                self._prune(now)
            state = self.health[instance.instance_id] = InstanceHealth()
        elif state.skip_until > now:
            return
        state.failures += 1
        if state.failures >= self.failures:
            state.trips += 1
            self.tripped += 1
            # Doubling per repeated trip; the exponent is capped so a flapping
            # instance cannot overflow the float.
            state.skip_until = now + min(
                self.skip_s * 2.0 ** min(state.trips - 1, 32), self.max_skip_s
            )

    def on_success(self, instance: InstanceInfo) -> None:
        """Record a call that reached ``instance``: its failures are forgotten."""
        if self.health:
            self.health.pop(instance.instance_id, None)

    def skipped(self, now: float) -> int:
        """Return how many instances are being skipped at ``now``."""
        return sum(1 for state in self.health.values() if state.skip_until > now)

    def _prune(self, now: float) -> None:
        # Instances that died and never came back (a restart gets a new id)
        # would otherwise stay here forever; one whose skip ended long ago
        # is either gone or would start from scratch anyway.
        stale = now - self.max_skip_s
        for instance_id in [i for i, s in self.health.items() if s.skip_until < stale]:
            del self.health[instance_id]
