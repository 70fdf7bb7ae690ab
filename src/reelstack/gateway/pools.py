"""Idle keep-alive connections to service instances, pooled per instance.

Idle connections wait in a last-in-first-out list per instance, so a warm
connection is reused first and the cold ones age out. An idle connection is
closed after ``idle_s`` seconds, shorter than a service's own keep-alive
timeout (uvicorn's is 5 s), so the gateway rarely sends a request on a
connection the service is closing at that moment; when it does, the request
is retried (see the proxy) rather than failed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from reelstack.gateway.upstream import UpstreamConnection

MAX_IDLE_PER_INSTANCE = 128


class InstancePool:
    """Idle connections to one instance, newest first out."""

    __slots__ = ("host", "idle", "idle_s", "loop", "opened", "port")

    def __init__(self, host: str, port: int, *, idle_s: float) -> None:
        self.host = host
        self.port = port
        self.idle_s = idle_s
        self.loop = asyncio.get_running_loop()
        self.idle: list[UpstreamConnection] = []
        self.opened = 0  # connections made, for metrics and tests

    def take(self) -> UpstreamConnection | None:
        """Return a live idle connection, or None."""
        idle = self.idle
        if not idle:
            return None
        oldest_ok = self.loop.time() - self.idle_s
        while idle:
            conn = idle.pop()
            if not conn.closed and conn.idle_since >= oldest_ok:
                return conn
            conn.close()
        return None

    async def connect(self, timeout_s: float) -> UpstreamConnection:
        """Open a new connection; raise OSError or TimeoutError."""
        factory: Callable[[], UpstreamConnection] = lambda: UpstreamConnection(self)  # noqa: E731
        async with asyncio.timeout(timeout_s):
            _, conn = await self.loop.create_connection(factory, self.host, self.port)
        self.opened += 1
        return conn

    def put(self, conn: UpstreamConnection) -> None:
        """Give back a connection whose response was read in full."""
        if conn.keep_alive() and len(self.idle) < MAX_IDLE_PER_INSTANCE:
            conn.idle_since = self.loop.time()
            self.idle.append(conn)
        else:
            conn.close()

    def forget(self, conn: UpstreamConnection) -> None:
        """Drop a closed connection from the idle list."""
        if self.idle:
            with contextlib.suppress(ValueError):
                self.idle.remove(conn)

    def sweep(self) -> None:
        """Close the connections idle for longer than ``idle_s``."""
        oldest_ok = self.loop.time() - self.idle_s
        for conn in [c for c in self.idle if c.idle_since < oldest_ok or c.closed]:
            conn.close()

    def close(self) -> None:
        """Close every idle connection."""
        for conn in list(self.idle):
            conn.close()
        self.idle.clear()


class Pools:
    """The connection pools of every instance, by address."""

    def __init__(self, *, idle_s: float) -> None:
        self.idle_s = idle_s
        self.pools: dict[tuple[str, int], InstancePool] = {}

    def get(self, host: str, port: int) -> InstancePool:
        """Return the pool of ``host:port`` (made on first use)."""
        pool = self.pools.get((host, port))
        if pool is None:
            pool = self.pools[(host, port)] = InstancePool(host, port, idle_s=self.idle_s)
        return pool

    def sweep(self) -> None:
        """Close idle connections past their time; drop pools left empty."""
        for key, pool in list(self.pools.items()):
            pool.sweep()
            if not pool.idle:
                del self.pools[key]

    def close(self) -> None:
        """Close every idle connection of every pool."""
        for pool in self.pools.values():
            pool.close()
        self.pools.clear()
