"""BlobStore: the role S3 plays. Objects by key, streamed in and out.

Semantics every adapter keeps:

- ``put`` streams the data in and publishes atomically: a reader sees either
  the previous object or the whole new one, never a part. If the stream
  fails, nothing is published.
- Keys are ``/``-separated relative paths of safe characters; ``..``,
  absolute paths and empty segments are refused (InvalidRequestError).
- ``get`` may read a byte range; ``list`` returns objects under a prefix in
  key order.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reelstack.ports.lifecycle import Lifecycle


@dataclass(frozen=True, slots=True)
class BlobInfo:
    key: str
    size: int
    etag: str
    content_type: str
    modified: float


class BlobStore(Lifecycle, Protocol):
    async def put(
        self,
        key: str,
        data: bytes | AsyncIterable[bytes],
        *,
        content_type: str = "application/octet-stream",
    ) -> BlobInfo:
        """Store an object, streamed, published atomically."""
        ...

    def get(self, key: str, *, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        """Stream an object's bytes, or ``length`` bytes from ``offset``.

        Raises NotFoundError (on first iteration) for a missing key and
        InvalidRequestError for a range starting past the end.
        """
        ...

    async def read(self, key: str, *, offset: int = 0, length: int | None = None) -> bytes:
        """Return an object's bytes (or a range) at once."""
        ...

    async def stat(self, key: str) -> BlobInfo:
        """Return an object's size, etag, type and time; NotFoundError if missing."""
        ...

    async def list(self, prefix: str = "") -> list[BlobInfo]:
        """Return the objects whose keys start with ``prefix``, in key order."""
        ...

    async def delete(self, key: str) -> None:
        """Delete an object; no error if it is missing."""
        ...

    def local_path(self, key: str) -> Path | None:
        """Return a file path to serve with sendfile, if this store is on local disk."""
        ...
