"""Replication queues and what a registry does with a peer's answers (no network)."""

from __future__ import annotations

from reelstack.registry.leases import Registry
from reelstack.registry.models import Replication, ReplicationAction
from reelstack.registry.peers import Peer, Peers
from reelstack.registry.schemas import instance_to_wire
from reelstack.registry.service import register_task
from tests.unit.registry.conftest import make_instance

HEARTBEAT = ReplicationAction.HEARTBEAT


def test_queue_keeps_the_latest_change_per_action_and_instance() -> None:
    peer = Peer("b", "http://127.0.0.1:8762/eureka/")
    peer.queue(Replication(ReplicationAction.REGISTER, "HELLO", "a", last_dirty_ms=1))
    peer.queue(Replication(HEARTBEAT, "HELLO", "a", last_dirty_ms=1))
    peer.queue(Replication(ReplicationAction.CANCEL, "HELLO", "a"))
    peer.queue(Replication(ReplicationAction.REGISTER, "HELLO", "a", last_dirty_ms=2))
    for _ in range(100):
        peer.queue(Replication(HEARTBEAT, "HELLO", "b"))
    order = [(t.action, t.instance_id, t.last_dirty_ms) for t in peer.pending.values()]
    assert order == [
        (HEARTBEAT, "a", 1),
        (ReplicationAction.CANCEL, "a", None),
        (ReplicationAction.REGISTER, "a", 2),
        (HEARTBEAT, "b", None),
    ]
    assert peer.url == "http://127.0.0.1:8762/eureka" and peer.wake.is_set()


def test_a_heartbeat_the_peer_does_not_know_sends_it_the_instance() -> None:
    registry = Registry()
    lease = registry.register(make_instance("a"))
    peers = Peers([("b", "http://peer/eureka")], registry=registry)
    (peer,) = peers.peers
    peers._handle(peer, Replication(HEARTBEAT, "HELLO", "a"), {"statusCode": 404})
    (task,) = peer.pending.values()
    assert task == register_task(lease)
    # An instance cancelled meanwhile is not sent back.
    registry.cancel("HELLO", "a")
    peer.pending.clear()
    peers._handle(peer, Replication(HEARTBEAT, "HELLO", "a"), {"statusCode": 404})
    assert not peer.pending


def test_a_peer_with_newer_data_wins() -> None:
    registry = Registry()
    registry.register(make_instance("a", last_dirty_ms=1000))
    newer = Registry()
    entity = instance_to_wire(
        newer.register(make_instance("a", last_dirty_ms=2000, metadata={"version": "v2"})),
        own_status=True,
    )
    peers = Peers([("b", "http://peer/eureka")], registry=registry)
    answer = {"statusCode": 409, "responseEntity": entity}
    peers._handle(peers.peers[0], Replication(HEARTBEAT, "HELLO", "a"), answer)
    lease = registry.lease("HELLO", "a")
    assert lease is not None and lease.instance.metadata == {"version": "v2"}
    assert not peers.peers[0].pending


def test_a_synced_override_leaves_the_own_status_to_the_next_heartbeat() -> None:
    source = Registry()
    source.register(make_instance("a"))
    source.override_status("HELLO", "a", "OUT_OF_SERVICE")
    document = [{"name": "HELLO", "instance": [instance_to_wire(source.leases()[0])]}]
    registry = Registry()
    peers = Peers([("b", "http://peer/eureka")], registry=registry)
    assert peers._load(document) == 1
    lease = registry.lease("HELLO", "a")
    assert lease is not None and lease.instance.effective_status == "OUT_OF_SERVICE"
    registry.renew("HELLO", "a", status="UP")
    registry.remove_override("HELLO", "a", None)
    assert lease.instance.effective_status == "UP"
