"""The supervisor's pure rules: ids, zones, slots, backoff, exit reasons, discovery."""

from __future__ import annotations

import pytest

from reelstack.cluster.model import (
    Backoff,
    State,
    check_version,
    describe_exit,
    free_slots,
    instance_id,
    parse_zones,
    prometheus_targets,
    spec_for,
)


def test_a_group_spreads_round_robin_over_the_zones_with_stable_ids() -> None:
    specs = [spec_for("hello", "v1", slot, ("a", "b"), "v1") for slot in range(5)]
    assert [s.instance_id for s in specs] == [
        "hello-a-1",
        "hello-b-1",
        "hello-a-2",
        "hello-b-2",
        "hello-a-3",
    ]
    assert [s.zone for s in specs] == ["a", "b", "a", "b", "a"]
    # The same slot always gives the same id: a restarted instance keeps it.
    assert spec_for("hello", "v1", 3, ("a", "b"), "v1") == specs[3]


def test_other_versions_carry_the_version_in_their_id() -> None:
    assert instance_id("hello", "a", 1, "v2", primary="v1") == "hello-a-v2-1"
    assert spec_for("hello", "v2", 1, ("a", "b", "c"), "v1").instance_id == "hello-b-v2-1"
    assert spec_for("hello", "v1", 0, ("a",), "v1").instance_id == "hello-a-1"


def test_free_slots_fill_gaps_first() -> None:
    assert free_slots([], 2) == [0, 1]
    assert free_slots([0, 2, 3], 3) == [1, 4, 5]
    assert free_slots([0, 1], 0) == []


def test_backoff_doubles_to_its_cap_and_resets() -> None:
    backoff = Backoff(initial_s=0.5, max_s=3.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next() == 0.5


@pytest.mark.parametrize(
    ("raw", "zones"),
    [("a,b", ("a", "b")), (" a , b ,c ", ("a", "b", "c")), ("eu_1", ("eu_1",))],
)
def test_zones_parse(raw: str, zones: tuple[str, ...]) -> None:
    assert parse_zones(raw) == zones


@pytest.mark.parametrize(
    ("raw", "reason"), [("", "at least one"), ("a,a", "twice"), ("a-b", "a-b")]
)
def test_bad_zones_are_refused(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_zones(raw)


@pytest.mark.parametrize("version", ["v2", "2.0.1", "canary_7", "V"])
def test_good_versions(version: str) -> None:
    assert check_version(version) == version


@pytest.mark.parametrize("version", ["", "-v2", "v 2", "v2/../x", "v-2", "x" * 33])
def test_bad_versions(version: str) -> None:
    with pytest.raises(ValueError):
        check_version(version)


def test_exit_reasons() -> None:
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(0) == "exited with code 0 (stopped)"
    assert describe_exit(2) == "exited with code 2 (invalid setting)"
    assert describe_exit(17) == "exited with code 17 (failed)"


def view(instance: str, state: State, port: int | None, version: str = "v1") -> dict[str, object]:
    return {
        "service": "hello",
        "instance": instance,
        "zone": instance.split("-")[1],
        "version": version,
        "host": "127.0.0.1",
        "port": port,
        "state": state.value,
    }


def test_service_discovery_lists_only_instances_that_are_up() -> None:
    views = [
        view("hello-a-1", State.UP, 4001),
        view("hello-b-1", State.STARTING, 4002),
        view("hello-a-2", State.DOWN, None),
        view("hello-b-v2-1", State.UP, 4003, version="v2"),
    ]
    assert prometheus_targets(views) == [
        {
            "targets": ["127.0.0.1:4001"],
            "labels": {
                "service": "hello",
                "instance_id": "hello-a-1",
                "zone": "a",
                "version": "v1",
            },
        },
        {
            "targets": ["127.0.0.1:4003"],
            "labels": {
                "service": "hello",
                "instance_id": "hello-b-v2-1",
                "zone": "b",
                "version": "v2",
            },
        },
    ]
