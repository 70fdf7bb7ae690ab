"""An edge serving path in this process over a fake origin, and a raw HTTP/1.1 client for it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reelstack.edge.cache import DiskCache
from reelstack.edge.models import EdgeStats
from reelstack.edge.server import EdgeServer, ServeLimits
from reelstack.signed_urls import UrlSigner
from tests.unit.edge.fakes import FakeOrigin

SIGNER = UrlSigner(b"edge-test-key-0123456789abcdef")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Edge:
    server: EdgeServer
    cache: DiskCache
    origin: FakeOrigin
    stats: EdgeStats
    port: int

    def url(self, rest: str, *, expires: int | None = None, prefix: str | None = None) -> str:
        """The signed path of ``rest`` (``TITLE/JOB/v0/seg.m4s``), its folder signed."""
        folder = prefix if prefix is not None else rest.rsplit("/", 1)[0]
        when = int(time.time()) + 600 if expires is None else expires
        return SIGNER.url(folder, rest[len(folder) + 1 :], expires=when)

    async def get(
        self, path: str, headers: dict[str, str] | None = None, method: str = "GET"
    ) -> Reply:
        """One request on a new connection."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            lines = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
            writer.write(f"{method} {path} HTTP/1.1\r\nHost: edge\r\n{lines}\r\n".encode())
            return await read_reply(reader, head_only=method == "HEAD")
        finally:
            writer.close()


async def read_reply(reader: asyncio.StreamReader, *, head_only: bool = False) -> Reply:
    """Read one response (Content-Length framed)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = b"" if head_only or status == 304 else await reader.readexactly(length)
    return Reply(status, headers, body)


async def make_edge(
    root: Path,
    origin: FakeOrigin,
    *,
    capacity: int = 10 * 1024 * 1024,
    limits: ServeLimits | None = None,
) -> Edge:
    stats = EdgeStats()
    cache = DiskCache(root=root, capacity=capacity, blob=origin, stats=stats)
    cache.free_margin = 0
    cache.scan()
    server = EdgeServer(cache=cache, signer=SIGNER, stats=stats, limits=limits or ServeLimits())
    port = await server.start("127.0.0.1", 0)
    return Edge(server, cache, origin, stats, port)


@pytest.fixture
def origin() -> FakeOrigin:
    return FakeOrigin()


@pytest.fixture
async def edge(tmp_path: Path, origin: FakeOrigin) -> AsyncIterator[Edge]:
    running = await make_edge(tmp_path / "cache", origin)
    yield running
    await running.server.stop()
