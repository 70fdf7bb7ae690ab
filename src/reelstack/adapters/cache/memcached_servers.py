"""The memcached servers behind MemcachedCache: zones, key placement, failure marking.

Each server has one aiomcache client (a small connection pool). A call that
fails to reach its server marks the server failing for ``down_s``: calls in
that window fail at once with UnavailableError instead of each waiting for a
connect or a timeout, and the first call after it probes the server again.

aiomcache returns a connection to its pool even when the call using it was
cancelled halfway through a reply (aio-libs/aiomcache#489), and the next call
on that connection would read the stale reply. So a call that times out or is
cancelled retires the server's whole client: a fresh one takes its place at
once, and the old one is closed once every call that may still hold one of
its connections has run out its own timeout.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiomcache

from reelstack.adapters.cache import expiry
from reelstack.errors import RecordTooLargeError, UnavailableError

log = logging.getLogger(__name__)

T = TypeVar("T")

# memcached reads an expiry over 30 days as a Unix time; it holds a signed 32-bit one.
RELATIVE_LIMIT_S = 30 * 24 * 3600
ABSOLUTE_LIMIT = 2**31 - 1

# memcached flags saying what a stored value is.
PLAIN = 0
MANIFEST = 1


@dataclass(frozen=True, slots=True)
class Flagged:
    """A stored value with non-zero memcached flags (a chunked value's manifest)."""

    data: bytes
    flags: int


Stored = bytes | Flagged


async def _decode(value: bytes, flags: int) -> Flagged:
    return Flagged(value, flags)


async def _encode(value: Flagged) -> tuple[bytes, int]:
    return value.data, value.flags


Client = aiomcache.FlagClient[Flagged]


@dataclass(eq=False)
class Server:
    """One memcached server: its client, and until when it counts as failing."""

    host: str
    port: int
    pool_size: int
    client: Client = field(init=False)
    # At most pool_size calls at once, served in order: waiting in aiomcache's
    # own pool queue instead lets a waiter starve for seconds under load.
    gate: asyncio.Semaphore = field(init=False)
    failing_until: float = 0.0
    failed_at: float = 0.0
    last_error: str = ""

    def __post_init__(self) -> None:
        self.client = self.new_client()
        self.gate = asyncio.Semaphore(self.pool_size)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def new_client(self) -> Client:
        return aiomcache.FlagClient(
            self.host,
            self.port,
            pool_size=self.pool_size,
            get_flag_handler=_decode,
            set_flag_handler=_encode,
        )


@dataclass(eq=False)
class Zone:
    """The servers of one zone; each key lives on one of them."""

    name: str
    servers: list[Server]

    def server_for(self, key: bytes) -> Server:
        """The server holding ``key`` (rendezvous hashing: adding one moves 1/n keys)."""
        if len(self.servers) == 1:
            return self.servers[0]
        return max(self.servers, key=lambda server: _weight(server.address, key))


def _weight(address: str, key: bytes) -> int:
    digest = hashlib.blake2b(address.encode() + b"\0" + key, digest_size=8).digest()
    return int.from_bytes(digest, "big")


class Servers:
    """Runs calls against servers with a timeout, marking failing servers.

    One watchdog task cuts the calls past their deadline (it looks four
    times per timeout, so a call may run up to a quarter of the timeout
    longer): a timer per call (``asyncio.timeout``) cost more than the rest
    of the adapter's work on a cache hit.
    """

    def __init__(self, *, timeout_s: float, down_s: float) -> None:
        self.timeout_s = timeout_s
        self.down_s = down_s
        self._retiring: set[asyncio.Task[None]] = set()
        self._retired: list[Client] = []
        # The task of each call in flight (one per task) -> its deadline.
        self._deadlines: dict[asyncio.Task[Any], float] = {}
        self._cut: set[asyncio.Task[Any]] = set()
        self._watchdog: asyncio.Task[None] | None = None

    async def call(self, server: Server, op: Callable[[Client], Awaitable[T]], what: str) -> T:
        """Run ``op`` on ``server``'s client; raise UnavailableError if it cannot answer.

        The timeout counts from when a connection is free, so a queue of calls
        in this process does not make a healthy server look failing.
        """
        if server.failing_until and server.failing_until > time.monotonic():
            raise self._skipped(server)
        async with server.gate:
            started = time.monotonic()
            if server.failing_until and server.failing_until > started:
                raise self._skipped(server)
            client = server.client
            task = asyncio.current_task()
            if task is None or task in self._deadlines:
                raise RuntimeError("memcached calls run one at a time in a task")
            cancelling = task.cancelling()
            self._deadlines[task] = started + self.timeout_s
            if self._watchdog is None:
                self._watchdog = asyncio.get_running_loop().create_task(self._watch())
            try:
                result = await op(client)
            except asyncio.CancelledError:
                # The connection may hold half a reply: never use this client again.
                self._retire(server, client)
                if task in self._cut and task.uncancel() <= cancelling:
                    reason = f"no answer to {what} within {self.timeout_s * 1000:g} ms"
                    raise UnavailableError(self._failed(server, reason)) from None
                raise
            except aiomcache.ClientException as exc:
                text = str(exc)
                if "object too large" in text:
                    raise RecordTooLargeError(
                        f"memcached {server.address} refused {what}: the value is over its item "
                        "size limit"
                    ) from None
                # A reply we do not understand leaves the connection's place in the
                # stream unknown; aiomcache closes it.
                raise UnavailableError(
                    f"memcached {server.address}: {what} failed: {text}"
                ) from exc
            except (OSError, EOFError, ValueError) as exc:
                # OSError: refused, reset, unreachable; EOFError: closed mid-reply;
                # ValueError: a reply line longer than the stream allows.
                reason = f"{what}: {type(exc).__name__}: {exc}"
                raise UnavailableError(self._failed(server, reason)) from exc
            finally:
                del self._deadlines[task]
                self._cut.discard(task)
        # Only a call begun after the last failure proves the server is back.
        if server.failing_until and started > server.failed_at:
            log.info("memcached %s answers again", server.address)
            server.failing_until = 0.0
        return result

    async def _watch(self) -> None:
        """Cancel every call past its deadline, while any call is in flight."""
        try:
            while self._deadlines:
                await asyncio.sleep(self.timeout_s / 4)
                now = time.monotonic()
                for task, deadline in list(self._deadlines.items()):
                    if deadline <= now and task not in self._cut:
                        self._cut.add(task)
                        task.cancel()
        finally:
            self._watchdog = None

    def _skipped(self, server: Server) -> UnavailableError:
        return UnavailableError(
            f"memcached {server.address} is failing ({server.last_error}); "
            f"not trying again for up to {self.down_s:g}s"
        )

    def _failed(self, server: Server, reason: str) -> str:
        if not server.failing_until:
            log.warning(
                "memcached %s is failing, skipped for %gs at a time: %s",
                server.address,
                self.down_s,
                reason,
            )
        server.failed_at = time.monotonic()
        server.failing_until = server.failed_at + self.down_s
        server.last_error = reason
        return f"memcached {server.address}: {reason}"

    def _retire(self, server: Server, client: Client) -> None:
        if server.client is not client:
            return  # another call retired it already
        server.client = server.new_client()
        self._retired.append(client)
        # Every call still using the old client ends within its own timeout.
        task = asyncio.get_running_loop().create_task(self._close_later(client))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _close_later(self, client: Client) -> None:
        await asyncio.sleep(self.timeout_s + 0.5)
        if client in self._retired:
            self._retired.remove(client)
            await _close(client)

    async def close(self, servers: list[Server]) -> None:
        """Close every client, the retired ones too."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        for task in list(self._retiring):
            task.cancel()
        retired, self._retired = self._retired, []
        for client in [*retired, *(server.client for server in servers)]:
            await _close(client)


async def _close(client: Client) -> None:
    try:
        await client.close()
    except (OSError, RuntimeError) as exc:
        log.debug("closing a memcached client: %s", exc)


def memcached_expiry(ttl_s: float | None, default_ttl_s: float | None) -> int:
    """memcached's exptime for a TTL: whole seconds, a Unix time past 30 days, 0 for never."""
    ttl = expiry(ttl_s, default_ttl_s, 0.0)
    if ttl is None:
        return 0
    # memcached's clock ticks once a second: one more keeps the value for at least ttl_s.
    seconds = math.ceil(ttl) + 1
    if seconds <= RELATIVE_LIMIT_S:
        return seconds
    absolute = int(time.time()) + seconds
    return absolute if absolute <= ABSOLUTE_LIMIT else 0


def parse_zones(url: str, local_zone: str) -> dict[str, list[tuple[str, int]]]:
    """Zones and their servers from a ``memcached://`` URL; ValueError saying what is wrong."""
    spec = urlsplit(url).netloc
    if not spec:
        raise ValueError("no servers: expected memcached://ZONE=HOST:PORT[,HOST:PORT][;ZONE=...]")
    zones: dict[str, list[tuple[str, int]]] = {}
    for part in spec.split(";"):
        name, sep, servers = part.partition("=")
        if not sep:
            name, servers = local_zone, part
        name = name.strip()
        if not name or name in zones:
            raise ValueError(f"zone {name!r} is unnamed or named twice")
        zones[name] = [_address(item) for item in servers.split(",")]
    return zones


def _address(item: str) -> tuple[str, int]:
    host, sep, port = item.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"server {item.strip()!r} is not HOST:PORT")
    return host.strip("[]"), int(port)
