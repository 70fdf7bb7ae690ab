"""Two registry peers as real processes: replication, a dead peer, a restart that syncs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.registry_processes import (
    Process,
    Processes,
    call,
    credentials_for,
    instances,
    registration,
    registry_status,
)
from tests.support.ports import free_port
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

REPLICATION = {"x-netflix-discovery-replication": "true"}


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Processes]:
    processes = Processes(tmp_path)
    yield processes
    processes.close()


def peers(spawn: Processes) -> tuple[Process, Process]:
    ports = free_port(), free_port()
    urls = f"a=http://127.0.0.1:{ports[0]}/eureka,b=http://127.0.0.1:{ports[1]}/eureka"
    common = {
        "REELSTACK_REGISTRY_PEERS": urls,
        "REELSTACK_REGISTRY_SYNC_TIMEOUT_S": "1",
        "REELSTACK_REGISTRY_REPLICATION_RETRY_S": "1",
    }
    one = spawn(port=ports[0], REELSTACK_SERVICE_ZONE="a", **common)
    two = spawn(port=ports[1], REELSTACK_SERVICE_ZONE="b", **common)
    # Each copies the registry from the other at start, in the background.
    wait_until(lambda: registry_status(one)["synced"] and registry_status(two)["synced"], "syncs")
    return one, two


def lease_renewed_ms(registry: Process, instance_id: str) -> int:
    renewed: int = instances(registry.eureka)[instance_id]["leaseInfo"]["lastRenewalTimestamp"]
    return renewed


def test_changes_on_one_peer_reach_the_other(spawn: Processes) -> None:
    one, two = peers(spawn)
    assert [p["url"] for p in registry_status(one)["peers"]] == [two.eureka]
    assert call("POST", one.eureka + "/apps/HELLO", registration("h1"))[0] == 204
    wait_until(lambda: "h1" in instances(two.eureka), "the registration on the other peer")

    before = lease_renewed_ms(two, "h1")
    assert call("PUT", one.eureka + "/apps/HELLO/h1")[0] == 200
    wait_until(lambda: lease_renewed_ms(two, "h1") > before, "the replicated heartbeat")

    assert call("PUT", two.eureka + "/apps/HELLO/h1/status?value=OUT_OF_SERVICE")[0] == 200
    wait_until(
        lambda: instances(one.eureka)["h1"]["status"] == "OUT_OF_SERVICE",
        "the replicated status override",
    )
    assert call("DELETE", one.eureka + "/apps/HELLO/h1/status")[0] == 200
    wait_until(lambda: instances(two.eureka)["h1"]["status"] == "UP", "the removed override")

    assert call("PUT", one.eureka + "/apps/HELLO/h1/metadata?weight=5")[0] == 200
    wait_until(
        lambda: instances(two.eureka)["h1"]["metadata"].get("weight") == "5",
        "the replicated metadata",
    )
    assert call("DELETE", two.eureka + "/apps/HELLO/h1")[0] == 200
    wait_until(lambda: "h1" not in instances(one.eureka), "the replicated cancel")


def test_a_heartbeat_the_peer_never_saw_sends_it_the_instance(spawn: Processes) -> None:
    one, two = peers(spawn)
    # A registration marked as replicated is not passed on: only "one" has it.
    body = registration("only-on-one")
    # Only a peer may mark a write as replicated: this one writes as a peer.
    as_peer = REPLICATION | credentials_for(one.eureka + "/peerreplication/batch")
    assert call("POST", one.eureka + "/apps/HELLO", body, headers=as_peer)[0] == 204
    assert "only-on-one" not in instances(two.eureka)
    assert call("PUT", one.eureka + "/apps/HELLO/only-on-one")[0] == 200
    wait_until(lambda: "only-on-one" in instances(two.eureka), "the instance after a 404")


def test_a_dead_peer_loses_nothing_and_a_restarted_one_syncs(spawn: Processes) -> None:
    one, two = peers(spawn)
    assert call("POST", one.eureka + "/apps/HELLO", registration("h1"))[0] == 204
    wait_until(lambda: "h1" in instances(two.eureka), "the replication")

    one.kill()
    assert "h1" in instances(two.eureka), "the other peer still knows h1"
    # The surviving peer keeps taking changes; what it cannot replicate it
    # retries, then drops with a log line.
    assert call("POST", two.eureka + "/apps/HELLO", registration("h2"))[0] == 204
    wait_until(lambda: "dropping" in two.log.read_text(), "the dropped replication's log line")
    assert registry_status(two)["peers"][0]["dropped"] >= 1

    one.restart()
    one.wait_healthy()
    # The restarted registry copies the whole registry from its peer at start.
    wait_until(lambda: {"h1", "h2"} <= set(instances(one.eureka)), "the start-up sync")
    assert registry_status(one)["synced"] is True
