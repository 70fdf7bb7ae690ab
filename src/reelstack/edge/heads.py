"""Response heads of the serving path, built as bytes (no header objects on the hot path)."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from reelstack.edge.http import REASONS, DateHeader, Request, http_date

# The token in the path is the authorization, so any page may fetch (hls.js
# fetches cross-origin); the player reads these headers.
CORS = (
    b"Access-Control-Allow-Origin: *\r\n"
    b"Access-Control-Expose-Headers: Content-Length, Content-Range, ETag\r\n"
)
PREFLIGHT = (
    b"Access-Control-Allow-Methods: GET, HEAD\r\n"
    b"Access-Control-Allow-Headers: Range, If-None-Match, If-Modified-Since, If-Range\r\n"
    b"Access-Control-Max-Age: 86400\r\n"
)


def validators(etag: str, modified: float) -> bytes:
    """Return the ``ETag`` and ``Last-Modified`` header lines of a file."""
    return b"ETag: %s\r\nLast-Modified: %s\r\n" % (etag.encode(), http_date(modified).encode())


class Heads:
    """Builds response heads with a ``Date`` formatted once a second."""

    def __init__(self) -> None:
        self.date = DateHeader()

    def head(
        self, request: Request, status: int, content_type: bytes, keep: bool, extra: bytes
    ) -> bytes:
        """Return a response head: status, date, type, CORS, ``extra`` lines, connection."""
        if keep:
            connection = b"" if request.version == "HTTP/1.1" else b"Connection: keep-alive\r\n"
        else:
            connection = b"Connection: close\r\n"
        return b"".join(
            (
                b"HTTP/1.1 %d %s\r\nDate: " % (status, REASONS.get(status, b"")),
                self.date.value(),
                b"\r\nContent-Type: " + content_type + b"\r\n" if content_type else b"\r\n",
                b"Accept-Ranges: bytes\r\n",
                CORS,
                extra,
                connection,
                b"\r\n",
            )
        )

    def error(
        self, request: Request, status: int, text: str, keep: bool, extra: bytes = b""
    ) -> bytes:
        """Return a whole small error response, never cached."""
        body = (text + "\n").encode("ascii", "replace")
        extra += b"Cache-Control: no-store\r\nContent-Length: %d\r\n" % len(body)
        return self.head(request, status, b"text/plain; charset=utf-8", keep, extra) + body


class Writer(Protocol):
    """What answering a request writes to: a connection (:class:`asyncio.StreamWriter`'s shape)."""

    @property
    def transport(self) -> asyncio.WriteTransport:
        """The connection's transport (sendfile, abort)."""
        ...

    def write(self, data: bytes) -> None:
        """Queue ``data`` to send."""
        ...

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The transport's extra info (``socket``, ``peername``)."""
        ...

    async def drain(self) -> None:
        """Wait until the written data has mostly left (ConnectionError if the client left)."""
        ...
