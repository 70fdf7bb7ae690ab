"""The lease table: renewals, dirty timestamps, overrides, eviction, self-preservation, deltas."""

from __future__ import annotations

from reelstack.registry.leases import Registry, Renewal, group_changes
from reelstack.registry.models import Action, reconcile_hashcode
from tests.unit.registry.conftest import Clock, make_instance


def test_register_renew_cancel(registry: Registry, clock: Clock) -> None:
    registry.register(make_instance())
    clock.advance(30)
    outcome, lease = registry.renew("hello", "hello-a-1")
    assert outcome is Renewal.OK and lease is not None
    assert lease.last_renewal_s == clock.now
    assert registry.cancel("HELLO", "hello-a-1") is not None
    assert registry.renew("HELLO", "hello-a-1") == (Renewal.NOT_FOUND, None)
    assert registry.cancel("HELLO", "hello-a-1") is None
    assert registry.applications() == []


def test_renewal_of_an_unknown_instance_is_not_found(registry: Registry) -> None:
    registry.register(make_instance("one"))
    assert registry.renew("HELLO", "two")[0] is Renewal.NOT_FOUND
    assert registry.renew("OTHER", "one")[0] is Renewal.NOT_FOUND


def test_dirty_timestamps_decide_who_has_newer_data(registry: Registry) -> None:
    registry.register(make_instance(last_dirty_ms=5000))
    # The instance has changed since it registered: it must register again.
    assert registry.renew("HELLO", "hello-a-1", last_dirty_ms=6000)[0] is Renewal.NOT_FOUND
    # A peer replicating older data than ours is told so, with our data.
    outcome, lease = registry.renew("HELLO", "hello-a-1", last_dirty_ms=4000, replication=True)
    assert outcome is Renewal.CONFLICT and lease is not None
    # The instance itself with older data is simply renewed.
    assert registry.renew("HELLO", "hello-a-1", last_dirty_ms=4000)[0] is Renewal.OK
    assert registry.renew("HELLO", "hello-a-1", last_dirty_ms=5000)[0] is Renewal.OK


def test_a_late_registration_does_not_overwrite_newer_data(registry: Registry) -> None:
    registry.register(make_instance(last_dirty_ms=5000, metadata={"version": "v2"}))
    lease = registry.register(make_instance(last_dirty_ms=4000, metadata={"version": "v1"}))
    assert lease.instance.metadata == {"version": "v2"}
    lease = registry.register(make_instance(last_dirty_ms=6000, metadata={"version": "v3"}))
    assert lease.instance.metadata == {"version": "v3"}


def test_a_heartbeat_status_change_is_applied(registry: Registry) -> None:
    registry.register(make_instance(status="STARTING"))
    version = registry.version
    outcome, lease = registry.renew("HELLO", "hello-a-1", status="UP")
    assert outcome is Renewal.OK and lease is not None
    assert lease.instance.effective_status == "UP"
    assert registry.version > version
    assert lease.service_up_s > 0


def test_override_wins_outlives_reregistration_and_ends_with_cancel(registry: Registry) -> None:
    registry.register(make_instance())
    registry.override_status("HELLO", "hello-a-1", "OUT_OF_SERVICE")
    lease = registry.register(make_instance(last_dirty_ms=9000))
    assert lease.instance.effective_status == "OUT_OF_SERVICE"
    # An instance that says it is DOWN is believed whatever the override.
    lease.instance.status = "DOWN"
    assert lease.instance.effective_status == "DOWN"
    registry.cancel("HELLO", "hello-a-1")
    assert registry.register(make_instance()).instance.effective_status == "UP"


def test_removing_an_override_restores_the_own_status(registry: Registry) -> None:
    registry.register(make_instance())
    registry.override_status("HELLO", "hello-a-1", "OUT_OF_SERVICE")
    lease = registry.remove_override("HELLO", "hello-a-1", None)
    assert lease is not None and lease.instance.effective_status == "UP"
    assert registry.override_status("HELLO", "nobody", "UP") is None


def test_an_unknown_status_makes_the_instance_register_again(registry: Registry) -> None:
    registry.register(make_instance(status="UNKNOWN"))
    assert registry.renew("HELLO", "hello-a-1") == (Renewal.NOT_FOUND, None)


def test_expired_lease_is_evicted_without_self_preservation(clock: Clock) -> None:
    registry = Registry(renewal_window_s=60, self_preservation=lambda: False, clock=clock)
    registry.register(make_instance(duration_s=90))
    clock.advance(89)
    assert registry.evict() == []
    clock.advance(2)
    evicted = registry.evict()
    assert [lease.instance.instance_id for lease in evicted] == ["hello-a-1"]
    assert registry.applications() == [] and registry.evictions == 1
    assert group_changes(registry.delta())[1] == {"hello-a-1": Action.DELETED}


def test_self_preservation_stops_evictions_when_most_renewals_stop(clock: Clock) -> None:
    registry = Registry(renewal_window_s=60, clock=clock)
    for n in range(10):
        registry.register(make_instance(f"i{n}", renewal_s=30, duration_s=90))
    # Nothing is expected of leases younger than their renewal interval.
    assert not registry.preservation().active
    for _ in range(4):
        clock.advance(30)
        for n in range(10):
            registry.renew("HELLO", f"i{n}")
    figures = registry.preservation()
    assert not figures.active and figures.renewals == 20 and figures.expected == 20
    clock.advance(120)  # every instance stops renewing: a partition, not mass death
    figures = registry.preservation()
    assert figures.active and figures.renewals == 0
    assert registry.evict() == []
    assert len(registry.leases()) == 10
    registry.self_preservation = lambda: False
    assert registry.evict(), "without self-preservation the expired leases go"


def test_a_dead_minority_is_evicted_while_the_rest_renew(clock: Clock) -> None:
    registry = Registry(renewal_window_s=60, clock=clock)
    for n in range(10):
        registry.register(make_instance(f"i{n}", renewal_s=30, duration_s=90))
    for _ in range(6):
        clock.advance(30)
        for n in range(1, 10):  # i0 is dead
            registry.renew("HELLO", f"i{n}")
    figures = registry.preservation()
    assert figures.renewals == 18 and figures.expected == 20 and not figures.active
    assert [lease.instance.instance_id for lease in registry.evict()] == ["i0"]


def test_one_run_evicts_at_most_the_share_the_threshold_allows(clock: Clock) -> None:
    registry = Registry(renewal_window_s=60, self_preservation=lambda: False, clock=clock)
    for n in range(20):
        registry.register(make_instance(f"i{n}", duration_s=90))
    clock.advance(100)
    assert len(registry.evict()) == 20 - int(20 * 0.85)
    assert len(registry.leases()) == 17


def test_delta_keeps_the_latest_action_per_instance_within_retention(
    registry: Registry, clock: Clock
) -> None:
    registry.register(make_instance("a"))
    clock.advance(100)
    registry.register(make_instance("b"))
    registry.override_status("HELLO", "b", "OUT_OF_SERVICE")
    registry.register(make_instance("c"))
    registry.cancel("HELLO", "c")
    apps, actions = group_changes(registry.delta())
    assert actions == {"a": Action.ADDED, "b": Action.MODIFIED, "c": Action.DELETED}
    clock.advance(90)  # "a" changed 190 s ago: past the 180 s retention
    apps, actions = group_changes(registry.delta())
    assert actions == {"b": Action.MODIFIED, "c": Action.DELETED}
    assert [name for name, _ in apps] == ["HELLO"]


def test_hashcode_counts_effective_statuses(registry: Registry) -> None:
    assert registry.hashcode() == ""
    registry.register(make_instance("a"))
    registry.register(make_instance("b"))
    registry.register(make_instance("c", app="OTHER", status="DOWN"))
    registry.override_status("HELLO", "b", "OUT_OF_SERVICE")
    assert registry.hashcode() == "DOWN_1_OUT_OF_SERVICE_1_UP_1_"
    assert reconcile_hashcode(["UP", "UP", "DOWN"]) == "DOWN_1_UP_2_"


def test_vips_and_lookups(registry: Registry) -> None:
    registry.register(make_instance("a"))
    registry.register(make_instance("b", app="CATALOG", vip_address="catalog,shared"))
    assert [name for name, _ in registry.by_vip("shared")] == ["CATALOG"]
    assert registry.by_vip("nothing") == []
    found = registry.find("b")
    assert found is not None and found.instance.app == "CATALOG"
    assert registry.find("zzz") is None
    assert registry.update_metadata("catalog", "b", {"zone": "b"}) is not None
    assert registry.application("catalog")[0].instance.metadata == {"zone": "b"}


def test_young_leases_are_expected_to_have_renewed_only_for_their_age(clock: Clock) -> None:
    registry = Registry(renewal_window_s=60, clock=clock)
    for n in range(10):
        registry.register(make_instance(f"i{n}", renewal_s=30))
    clock.advance(30)
    for n in range(5):
        registry.renew("HELLO", f"i{n}")
    clock.advance(10)  # 40 s old: the first renewals may still be on their way
    assert registry.preservation().expected == 0
    clock.advance(6)  # 46 s old: one renewal each is due, and half of them came
    figures = registry.preservation()
    assert (figures.expected, figures.renewals, figures.active) == (10, 5, True)
    for n in range(5, 10):
        registry.renew("HELLO", f"i{n}")
    assert not registry.preservation().active
