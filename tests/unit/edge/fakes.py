"""A BlobStore in memory that counts what the edge asks of it, and can hold or fail fetches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

from reelstack.errors import NotFoundError, UnavailableError
from reelstack.ports.blob import BlobInfo


class FakeOrigin:
    """The origin: objects by key; ``gate`` holds every fetch until set, ``broken`` fails them."""

    def __init__(self, chunk: int = 64 * 1024) -> None:
        self.objects: dict[str, tuple[bytes, float]] = {}
        self.chunk = chunk
        self.stats = 0
        self.gets = 0
        self.lists = 0
        self.gate: asyncio.Event | None = None
        self.broken = False
        self.break_after: int | None = None

    def add(self, key: str, data: bytes, modified: float = 1_700_000_000.0) -> None:
        self.objects[key] = (data, modified)

    @property
    def calls(self) -> int:
        """Every request the edge made of the origin."""
        return self.stats + self.gets + self.lists

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def put(
        self,
        key: str,
        data: bytes | AsyncIterable[bytes],
        *,
        content_type: str = "application/octet-stream",
    ) -> BlobInfo:
        raise NotImplementedError

    async def stat(self, key: str) -> BlobInfo:
        self.stats += 1
        if self.broken:
            raise UnavailableError("the origin is down")
        if key not in self.objects:
            raise NotFoundError(key)
        data, modified = self.objects[key]
        return BlobInfo(key, len(data), "e", "application/octet-stream", modified)

    async def get(
        self, key: str, *, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        self.gets += 1
        if key not in self.objects:
            raise NotFoundError(key)
        data, _ = self.objects[key]
        end = len(data) if length is None else offset + length
        sent = 0
        for start in range(offset, end, self.chunk):
            if self.gate is not None:
                await self.gate.wait()
            if self.break_after is not None and sent >= self.break_after:
                raise UnavailableError("the origin broke off")
            piece = data[start : min(start + self.chunk, end)]
            sent += len(piece)
            yield piece
            await asyncio.sleep(0)

    async def read(self, key: str, *, offset: int = 0, length: int | None = None) -> bytes:
        return b"".join([c async for c in self.get(key, offset=offset, length=length)])

    async def list(self, prefix: str = "") -> list[BlobInfo]:
        self.lists += 1
        return [
            BlobInfo(k, len(d), "e", "application/octet-stream", m)
            for k, (d, m) in sorted(self.objects.items())
            if k.startswith(prefix)
        ]

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def local_path(self, key: str) -> Path | None:
        return None
