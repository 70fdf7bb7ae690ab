"""Peer registries: every change replicated to each, and a full copy taken at start.

Each peer has its own queue and sender task, so a slow or dead peer delays no
one. Queued changes are kept per (action, instance): a newer heartbeat
replaces a queued one, so a peer that is down for a while costs one entry per
instance, not one per heartbeat. A batch the peer cannot take is retried with
backoff for ``registry.replication_retry_s``, then dropped with a log line;
the peer catches up when it restarts (it copies the whole registry from a
peer) and through heartbeats (a heartbeat it does not know is answered 404,
and the instance is sent to it again).

Batches use Eureka's own replication endpoint and shapes
(``POST /eureka/peerreplication/batch/``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import orjson

from reelstack.chassis.client import http_session
from reelstack.registry.leases import Registry
from reelstack.registry.models import UNKNOWN, Replication, ReplicationAction
from reelstack.registry.schemas import FieldError, instance_from_wire
from reelstack.registry.service import register_task

log = logging.getLogger(__name__)

REPLICATION_HEADER = "x-netflix-discovery-replication"
BATCH_SIZE = 250
MAX_PENDING = 20_000
RETRY_FIRST_S = 0.2
RETRY_MAX_S = 5.0


class PeerError(Exception):
    """A peer answered a batch with an error status."""

    def __init__(self, status: int, body: str) -> None:
        self.status = status
        super().__init__(f"HTTP {status}: {body[:200]}")


class Peer:
    """One peer registry and the changes queued for it."""

    def __init__(self, zone: str, url: str) -> None:
        self.zone = zone
        self.url = url.rstrip("/")
        self.pending: OrderedDict[tuple[str, str, str], Replication] = OrderedDict()
        self.wake = asyncio.Event()
        self.sent = 0
        self.dropped = 0
        self.failures = 0
        self.last_error: str | None = None
        self.task: asyncio.Task[None] | None = None

    def queue(self, task: Replication) -> None:
        """Queue ``task``, replacing a queued one for the same action and instance."""
        self.pending.pop(task.key, None)
        self.pending[task.key] = task
        if len(self.pending) > MAX_PENDING:
            self.pending.popitem(last=False)
            self.dropped += 1
            log.warning("replication queue for %s full: dropped its oldest change", self.url)
        self.wake.set()

    def view(self) -> dict[str, Any]:
        """The peer's replication figures, for the status endpoint."""
        return {
            "url": self.url,
            "zone": self.zone,
            "pending": len(self.pending),
            "sent": self.sent,
            "dropped": self.dropped,
            "failures": self.failures,
            "lastError": self.last_error,
        }


class Peers:
    """Replicates the registry's changes to its peers; implements ``Replicator``."""

    def __init__(
        self,
        peers: Sequence[tuple[str, str]],
        *,
        registry: Registry,
        timeout_s: float = 5.0,
        retry_s: float = 30.0,
        authorization: str = "",
    ) -> None:
        self.peers = [Peer(zone, url) for zone, url in peers]
        # The peer credential (registry_credentials): peers refuse batches without it.
        self.authorization = authorization
        self.registry = registry
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self.synced = not self.peers
        self._session: aiohttp.ClientSession | None = None

    def replicate(self, task: Replication) -> None:
        """Queue ``task`` for every peer."""
        for peer in self.peers:
            peer.queue(task)

    async def start(self) -> None:
        """Start one sender per peer."""
        if not self.peers or self._session is not None:
            return
        self._session = http_session(timeout_s=self.timeout_s)
        for peer in self.peers:
            peer.task = asyncio.create_task(self._run(peer), name=f"replicate-{peer.url}")

    async def stop(self) -> None:
        """Stop the senders; changes still queued are dropped."""
        tasks = [peer.task for peer in self.peers if peer.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for peer in self.peers:
            peer.task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _session_or_fail(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("peers not started")
        return self._session

    async def _run(self, peer: Peer) -> None:
        while True:
            await peer.wake.wait()
            peer.wake.clear()
            while peer.pending:
                batch: list[Replication] = []
                while peer.pending and len(batch) < BATCH_SIZE:
                    batch.append(peer.pending.popitem(last=False)[1])
                responses = await self._deliver(peer, batch)
                for task, response in zip(batch, responses, strict=False):
                    try:
                        self._handle(peer, task, response)
                    except Exception:
                        # One odd answer must not stop replication to this peer.
                        log.exception("cannot handle %s's answer to %s", peer.url, task.key)

    async def _deliver(self, peer: Peer, batch: list[Replication]) -> list[Mapping[str, Any]]:
        """Send ``batch``, retrying for ``retry_s``; return the per-task answers ([] if dropped)."""
        deadline = time.monotonic() + self.retry_s
        delay = RETRY_FIRST_S
        while True:
            try:
                responses = await self._send(peer, batch)
            except PeerError as exc:
                if exc.status < 500:
                    # The peer refuses these changes: sending them again cannot help.
                    self._failed(peer, exc)
                    log.error("peer %s refused %d changes: %s", peer.url, len(batch), exc)
                    peer.dropped += len(batch)
                    return []
                error: Exception = exc
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
                error = exc
            else:
                if peer.last_error is not None:
                    log.info("peer %s reachable again", peer.url)
                peer.last_error = None
                peer.sent += len(batch)
                return responses
            self._failed(peer, error)
            if time.monotonic() + delay > deadline:
                peer.dropped += len(batch)
                log.warning(
                    "dropping %d changes for peer %s after %.0f s of failures: %s",
                    len(batch),
                    peer.url,
                    self.retry_s,
                    peer.last_error,
                    extra={"peer": peer.url, "dropped": len(batch)},
                )
                return []
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)

    def _failed(self, peer: Peer, exc: Exception) -> None:
        peer.failures += 1
        message = f"{type(exc).__name__}: {exc}"
        if peer.last_error is None:
            log.warning("cannot replicate to peer %s: %s", peer.url, message)
        peer.last_error = message

    async def _send(self, peer: Peer, batch: list[Replication]) -> list[Mapping[str, Any]]:
        body = orjson.dumps({"replicationList": [task.to_wire() for task in batch]})
        async with self._session_or_fail().post(
            f"{peer.url}/peerreplication/batch/",
            data=body,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": self.authorization,
                REPLICATION_HEADER: "true",
            },
        ) as response:
            text = await response.text()
            if response.status != 200:
                raise PeerError(response.status, text)
        data = orjson.loads(text)
        answers = data.get("responseList") if isinstance(data, dict) else None
        if not isinstance(answers, list):
            raise ValueError("the peer's answer has no responseList")
        return [a if isinstance(a, dict) else {} for a in answers]

    def _handle(self, peer: Peer, task: Replication, response: Mapping[str, Any]) -> None:
        status = response.get("statusCode")
        if task.action is not ReplicationAction.HEARTBEAT or status == 200:
            return
        if status == 404:
            # The peer does not know this instance (it restarted, or missed
            # the registration): send it the instance.
            lease = self.registry.lease(task.app, task.instance_id)
            if lease is not None:
                peer.queue(register_task(lease))
        elif status == 409 and isinstance(response.get("responseEntity"), Mapping):
            # The peer holds newer data for this instance: take it.
            try:
                instance = instance_from_wire(
                    response["responseEntity"], app=task.app, now_ms=int(time.time() * 1000)
                )
            except FieldError as exc:
                log.warning("peer %s sent an invalid instance: %s", peer.url, exc)
                return
            self.registry.register(instance)

    # -- start-up copy -------------------------------------------------------------

    async def sync(self, timeout_s: float) -> int | None:
        """Copy the registry from the first peer that answers; return instances copied.

        Tries every peer in turn, again and again with backoff, for up to
        ``timeout_s``; returns None if none answered (the registry then fills
        as instances register or heartbeat).
        """
        if not self.peers:
            return 0
        deadline = time.monotonic() + timeout_s
        delay = RETRY_FIRST_S
        while True:
            for peer in self.peers:
                try:
                    apps = await self._fetch(peer)
                except (aiohttp.ClientError, OSError, TimeoutError, ValueError, PeerError) as exc:
                    log.debug("cannot copy the registry from %s: %s", peer.url, exc)
                    continue
                count = self._load(apps)
                self.synced = True
                log.info("copied %d instances from peer %s", count, peer.url)
                return count
            if time.monotonic() + delay > deadline:
                log.warning(
                    "no peer answered in %.0f s: starting with an empty registry", timeout_s
                )
                self.synced = True
                return None
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)

    async def _fetch(self, peer: Peer) -> list[Any]:
        async with self._session_or_fail().get(
            f"{peer.url}/apps", headers={"Accept": "application/json"}
        ) as response:
            text = await response.text()
            if response.status != 200:
                raise PeerError(response.status, text)
        data = orjson.loads(text)
        apps = data.get("applications", {}).get("application", []) if isinstance(data, dict) else []
        return apps if isinstance(apps, list) else [apps]

    def _load(self, apps: list[Any]) -> int:
        now_ms = int(time.time() * 1000)
        count = 0
        for app in apps:
            if not isinstance(app, Mapping):
                continue
            instances = app.get("instance", [])
            for wire in instances if isinstance(instances, list) else [instances]:
                try:
                    instance = instance_from_wire(wire, app=app.get("name"), now_ms=now_ms)
                except FieldError as exc:
                    log.warning("skipping an invalid instance from a peer: %s", exc)
                    continue
                if (
                    instance.overridden_status != UNKNOWN
                    and instance.status == instance.overridden_status
                ):
                    # The full registry shows the override as the status; the
                    # instance's own status is unknown until it next heartbeats.
                    instance.status = UNKNOWN
                self.registry.register(instance)
                count += 1
        return count
