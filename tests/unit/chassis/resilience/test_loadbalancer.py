"""Load balancer: zone preference, round robin, availability filtering and recovery."""

from __future__ import annotations

from collections import Counter

from reelstack.chassis.discovery import InstanceInfo
from reelstack.chassis.resilience.loadbalancer import LoadBalancer

A1 = InstanceInfo("svc", "a1", "127.0.0.1", 9001, zone="a")
A2 = InstanceInfo("svc", "a2", "127.0.0.1", 9002, zone="a")
B1 = InstanceInfo("svc", "b1", "127.0.0.1", 9003, zone="b")
B2 = InstanceInfo("svc", "b2", "127.0.0.1", 9004, zone="b")
ALL = [A1, B1, A2, B2]


def picks(lb: LoadBalancer, instances: list[InstanceInfo], now: float, n: int) -> Counter[str]:
    chosen = Counter[str]()
    for _ in range(n):
        instance = lb.choose(instances, now)
        assert instance is not None
        chosen[instance.instance_id] += 1
    return chosen


def fail(lb: LoadBalancer, instance: InstanceInfo, now: float, times: int) -> None:
    for _ in range(times):
        lb.on_connect_failure(instance, now)


def test_spreads_calls_over_its_own_zone_only() -> None:
    lb = LoadBalancer("a")
    assert picks(lb, ALL, 0.0, 1000) == {"a1": 500, "a2": 500}
    lb_b = LoadBalancer("b")
    assert picks(lb_b, ALL, 0.0, 1000) == {"b1": 500, "b2": 500}


def test_uses_other_zones_when_its_own_has_no_instance() -> None:
    lb = LoadBalancer("c")
    assert set(picks(lb, ALL, 0.0, 100)) == {"a1", "a2", "b1", "b2"}
    assert picks(LoadBalancer("a"), [B1, B2], 0.0, 10) == {"b1": 5, "b2": 5}


def test_no_instances_means_none() -> None:
    assert LoadBalancer("a").choose([], 0.0) is None


def test_skips_an_instance_after_three_consecutive_connection_failures() -> None:
    lb = LoadBalancer("a", failures=3, skip_s=30)
    fail(lb, A1, 1.0, 2)
    assert "a1" in picks(lb, ALL, 1.0, 10)
    fail(lb, A1, 1.0, 1)
    assert picks(lb, ALL, 1.0, 10) == {"a2": 10}
    assert lb.skipped(1.0) == 1
    # Back after 30 s.
    assert picks(lb, ALL, 30.9, 10) == {"a2": 10}
    assert picks(lb, ALL, 31.0, 10) == {"a1": 5, "a2": 5}
    assert lb.skipped(31.0) == 0


def test_a_success_forgets_the_failures() -> None:
    lb = LoadBalancer("a", failures=3)
    fail(lb, A1, 1.0, 2)
    lb.on_success(A1)
    fail(lb, A1, 1.0, 2)
    assert lb.skipped(1.0) == 0
    assert "a1" in picks(lb, ALL, 1.0, 10)


def test_skip_doubles_on_each_repeat_up_to_the_maximum() -> None:
    lb = LoadBalancer("a", failures=3, skip_s=30, max_skip_s=100)
    fail(lb, A1, 0.0, 3)
    ends = [lb.health["a1"].skip_until]
    now = ends[-1]
    for _ in range(3):
        # It comes back, fails once more (no success in between): skipped again, longer.
        fail(lb, A1, now, 1)
        ends.append(lb.health["a1"].skip_until)
        now = ends[-1]
    assert ends == [30.0, 90.0, 190.0, 290.0]
    assert lb.tripped == 4


def test_failures_while_skipped_do_not_lengthen_the_skip() -> None:
    lb = LoadBalancer("a", failures=3, skip_s=30)
    fail(lb, A1, 0.0, 10)  # a burst of in-flight calls failing together
    assert lb.health["a1"].skip_until == 30.0
    assert lb.tripped == 1


def test_falls_back_to_the_other_zone_when_its_own_is_skipped() -> None:
    lb = LoadBalancer("a", failures=1, skip_s=30)
    fail(lb, A1, 0.0, 1)
    fail(lb, A2, 0.0, 1)
    assert picks(lb, ALL, 1.0, 10) == {"b1": 5, "b2": 5}


def test_when_every_instance_is_skipped_it_still_picks_the_one_back_soonest() -> None:
    lb = LoadBalancer("a", failures=1, skip_s=30)
    fail(lb, A1, 0.0, 1)
    fail(lb, A2, 5.0, 1)
    assert picks(lb, [A1, A2], 6.0, 3) == {"a1": 3}


def test_excluded_instances_are_never_chosen() -> None:
    lb = LoadBalancer("a")
    assert picks(lb, [A1, A2], 0.0, 5) == {"a1": 3, "a2": 2}
    for _ in range(5):
        assert lb.choose([A1, A2], 0.0, ["a1"]) is A2
    assert lb.choose([A1, A2], 0.0, ["a1", "a2"]) is None
    lb.on_connect_failure(A2, 0.0)
    assert lb.choose([A1, A2], 0.0, ["a2"]) is A1


def test_configure_applies_to_the_next_failure() -> None:
    lb = LoadBalancer("a", failures=3, skip_s=30)
    lb.configure(failures=1, skip_s=5, max_skip_s=10)
    fail(lb, A1, 0.0, 1)
    assert lb.health["a1"].skip_until == 5.0


def test_turns_stay_even_with_skipped_instances_between() -> None:
    a3 = InstanceInfo("svc", "a3", "127.0.0.1", 9005, zone="a")
    lb = LoadBalancer("a", failures=1)
    fail(lb, A2, 0.0, 1)
    assert picks(lb, [A1, B1, A2, a3], 1.0, 1000) == {"a1": 500, "a3": 500}
    lb_c = LoadBalancer("c", failures=1)
    fail(lb_c, A2, 0.0, 1)
    assert picks(lb_c, [A1, B1, A2, a3], 1.0, 999) == {"a1": 333, "b1": 333, "a3": 333}


def test_a_retry_never_goes_to_a_skipped_instance() -> None:
    lb = LoadBalancer("a", failures=1)
    fail(lb, A2, 0.0, 1)
    assert lb.choose([A1, A2], 1.0, ["a1"]) is None
    assert lb.choose([A1, A2], 1.0) is A1
