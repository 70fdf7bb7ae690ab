"""HTTP/1.1 on the wire for the gateway's server: request bodies in, response heads out.

:class:`ClientBody` is a request body as it arrives from the client, read by
the endpoint chunk by chunk with reading paused while it is not consumed;
:func:`response_head` writes a response's status line and headers and
decides how its body is framed (length, chunks, or the connection's close).
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Protocol

from reelstack.gateway.chain import BodyTooLargeError
from reelstack.gateway.models import GatewayResponse, RequestContext

BODY_HIGH_WATER = 256 * 1024

# How a response body is framed.
LENGTH = 0  # Content-Length (or a body in memory)
CHUNKED = 1  # Transfer-Encoding: chunked (HTTP/1.1, length unknown)
CLOSE_DELIMITED = 2  # the connection's close ends it (HTTP/1.0, length unknown)
NO_BODY = 3  # HEAD, 1xx, 204, 304

_STATUS_LINES = {
    int(status): b"HTTP/1.1 %d %s\r\n" % (status, status.phrase.encode("ascii"))
    for status in HTTPStatus
}


def status_line(status: int) -> bytes:
    """Return the status line for ``status``."""
    line = _STATUS_LINES.get(status)
    return line if line is not None else b"HTTP/1.1 %d Unknown\r\n" % status


def error_bytes(status: int, text: bytes) -> bytes:
    """Return a whole JSON error response that closes the connection."""
    body = b'{"error":"%s","detail":"%s"}' % (HTTPStatus(status).phrase.encode(), text)
    head = b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n"
    return status_line(status) + head % len(body) + b"\r\n" + body


def response_head(
    ctx: RequestContext, response: GatewayResponse, keep_alive: bool
) -> tuple[bytes, int]:
    """Return the status line and headers of ``response``, and how its body is framed."""
    status = response.status
    parts = [status_line(status)]
    append = parts.append
    for name, value in response.headers:
        append(b"%s: %s\r\n" % (name, value))
    length = response.length
    if length is None and response.stream is None:
        length = len(response.body)
    if status < 200 or status in (204, 304):
        framing = NO_BODY
    elif length is not None:
        append(b"content-length: %d\r\n" % length)
        framing = NO_BODY if ctx.method == "HEAD" else LENGTH
    elif ctx.method == "HEAD":
        framing = NO_BODY
    elif ctx.http_version == "1.1":
        append(b"transfer-encoding: chunked\r\n")
        framing = CHUNKED
    else:
        framing = CLOSE_DELIMITED
    if not keep_alive or framing == CLOSE_DELIMITED:
        append(b"connection: close\r\n")
    append(b"\r\n")
    return b"".join(parts), framing


class BodyOwner(Protocol):
    """The connection a request body arrives on."""

    loop: asyncio.AbstractEventLoop

    def write(self, data: bytes) -> None:
        """Write raw bytes to the client."""
        ...

    def pause_reading_for_body(self) -> None:
        """Stop reading: the body buffered is not consumed yet."""
        ...

    def resume_reading_for_body(self) -> None:
        """Read again: the body buffered was consumed."""
        ...


class ClientBody:
    """A request body as it arrives from the client (a BodySource)."""

    __slots__ = (
        "chunks",
        "ctx",
        "done",
        "error",
        "expect_continue",
        "length",
        "protocol",
        "received",
        "waiter",
    )

    def __init__(self, protocol: BodyOwner, length: int | None, expect: bool) -> None:
        self.protocol = protocol
        self.length = length
        self.expect_continue = expect
        self.chunks: list[bytes] = []
        self.received = 0
        self.done = False
        self.error: Exception | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.ctx: RequestContext | None = None

    def expected(self) -> int | None:
        return self.length

    async def read(self) -> bytes:
        if self.expect_continue:
            # The client waits for this before sending the body (RFC 9110 10.1.1).
            self.expect_continue = False
            self.protocol.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        while True:
            if self.error is not None:
                raise self.error
            ctx = self.ctx
            # Bytes may have arrived before the limit was known (the filters
            # run after the head is parsed): the count is checked here too.
            if ctx is not None and ctx.max_body_bytes and self.received > ctx.max_body_bytes:
                raise BodyTooLargeError
            if self.chunks:
                chunks = self.chunks
                data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                self.chunks = []
                self.protocol.resume_reading_for_body()
                return data
            if self.done:
                return b""
            waiter = self.waiter = self.protocol.loop.create_future()
            await waiter

    def feed(self, data: bytes) -> None:
        self.received += len(data)
        ctx = self.ctx
        if ctx is not None and ctx.max_body_bytes and self.received > ctx.max_body_bytes:
            self.fail(BodyTooLargeError())
            return
        self.chunks.append(data)
        if sum(len(c) for c in self.chunks) > BODY_HIGH_WATER:
            self.protocol.pause_reading_for_body()
        self._wake()

    def end(self) -> None:
        self.done = True
        self._wake()

    def fail(self, error: Exception) -> None:
        if self.error is None:
            self.error = error
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)
