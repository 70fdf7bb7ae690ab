"""Replication queues, and what a registry does with a peer's answers (a peer on loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from reelstack.registry.leases import Registry
from reelstack.registry.models import Replication, ReplicationAction
from reelstack.registry.peers import Peer, Peers
from reelstack.registry.schemas import instance_to_wire
from reelstack.registry.service import register_task
from tests.support.ports import free_port
from tests.support.wait import eventually
from tests.unit.registry.conftest import make_instance

HEARTBEAT = ReplicationAction.HEARTBEAT
REGISTER = ReplicationAction.REGISTER


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


class FakePeer:
    """A peer registry on a loopback port: answers each replicated change as scripted.

    ``answers`` maps an instance id to the answer for its heartbeats (200 by
    default); ``apps`` is what ``GET /apps`` returns.
    """

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: dict[str, dict[str, Any]] = {}
        self.apps: list[dict[str, Any]] = []

    async def batch(self, request: web.Request) -> web.Response:
        tasks = (await request.json())["replicationList"]
        self.received += tasks
        replies = [
            self.answers.get(t["id"], {"statusCode": 200})
            if t["action"] == HEARTBEAT.value
            else {"statusCode": 200}
            for t in tasks
        ]
        return web.json_response({"responseList": replies})

    async def applications(self, request: web.Request) -> web.Response:
        return web.json_response({"applications": {"application": self.apps}})

    def sent(self, action: ReplicationAction, instance_id: str) -> list[dict[str, Any]]:
        return [t for t in self.received if t["action"] == action.value and t["id"] == instance_id]


@pytest.fixture
async def peer() -> AsyncIterator[tuple[FakePeer, str]]:
    fake = FakePeer()
    app = web.Application()
    app.router.add_post("/eureka/peerreplication/batch/", fake.batch)
    app.router.add_get("/eureka/apps", fake.applications)
    server = TestServer(app, host="127.0.0.1", port=free_port())
    await server.start_server()
    yield fake, f"http://127.0.0.1:{server.port}/eureka"
    await server.close()


@pytest.fixture
async def replicating(peer: tuple[FakePeer, str]) -> AsyncIterator[tuple[FakePeer, Peers]]:
    fake, url = peer
    peers = Peers([("b", url)], registry=Registry())
    await peers.start()
    yield fake, peers
    await peers.stop()


async def test_a_heartbeat_the_peer_does_not_know_sends_it_the_instance(
    replicating: tuple[FakePeer, Peers],
) -> None:
    fake, peers = replicating
    lease = peers.registry.register(make_instance("a"))
    fake.answers["a"] = {"statusCode": 404}
    peers.replicate(Replication(HEARTBEAT, "HELLO", "a"))
    await eventually(lambda: fake.sent(REGISTER, "a"), "the instance sent to the peer")
    assert fake.sent(REGISTER, "a") == [register_task(lease).to_wire()]
    # An instance cancelled meanwhile is not sent back.
    peers.registry.register(make_instance("gone"))
    peers.registry.cancel("HELLO", "gone")
    fake.answers["gone"] = {"statusCode": 404}
    peers.replicate(Replication(HEARTBEAT, "HELLO", "gone"))
    await eventually(lambda: fake.sent(HEARTBEAT, "gone"), "the heartbeat at the peer")
    # A later change goes after whatever the 404 queued: once it arrived, nothing was.
    peers.replicate(Replication(HEARTBEAT, "HELLO", "a"))
    await eventually(lambda: len(fake.sent(HEARTBEAT, "a")) == 2, "the next heartbeat")
    assert fake.sent(REGISTER, "gone") == []


async def test_a_peer_with_newer_data_wins(replicating: tuple[FakePeer, Peers]) -> None:
    fake, peers = replicating
    peers.registry.register(make_instance("a", last_dirty_ms=1000))
    newer = Registry()
    entity = instance_to_wire(
        newer.register(make_instance("a", last_dirty_ms=2000, metadata={"version": "v2"})),
        own_status=True,
    )
    fake.answers["a"] = {"statusCode": 409, "responseEntity": entity}
    peers.replicate(Replication(HEARTBEAT, "HELLO", "a"))

    def taken() -> bool:
        lease = peers.registry.lease("HELLO", "a")
        return lease is not None and lease.instance.metadata == {"version": "v2"}

    await eventually(taken, "the peer's newer instance taken")
    assert fake.sent(REGISTER, "a") == [], "nothing sent back to the peer that knew better"


async def test_a_synced_override_leaves_the_own_status_to_the_next_heartbeat(
    peer: tuple[FakePeer, str],
) -> None:
    fake, url = peer
    source = Registry()
    source.register(make_instance("a"))
    source.override_status("HELLO", "a", "OUT_OF_SERVICE")
    fake.apps = [{"name": "HELLO", "instance": [instance_to_wire(source.leases()[0])]}]
    registry = Registry()
    peers = Peers([("b", url)], registry=registry)
    await peers.start()
    try:
        assert await peers.sync(timeout_s=30) == 1
    finally:
        await peers.stop()
    lease = registry.lease("HELLO", "a")
    assert lease is not None and lease.instance.effective_status == "OUT_OF_SERVICE"
    registry.renew("HELLO", "a", status="UP")
    registry.remove_override("HELLO", "a", None)
    assert lease.instance.effective_status == "UP"
