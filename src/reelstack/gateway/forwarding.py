"""What the proxy sends and keeps: the request head for a service, and bodies.

The request to a service is the client's, with the path rewritten for the
route, hop-by-hop headers (and those the Connection header names) removed,
the gateway's own headers (request id, X-Forwarded-*, the caller's identity)
set, and a verified token left out. A body goes as it came: in full when it
is small enough to keep for a retry, else streamed once, chunked if the
client chunked it.
"""

from __future__ import annotations

from reelstack.gateway.models import (
    DEBUG_HEADER,
    FAULT_HEADER,
    HOP_BY_HOP,
    BodySource,
    RequestContext,
)
from reelstack.gateway.upstream import UpstreamConnection

# Request headers the proxy writes itself or never forwards.
SKIP_REQUEST = HOP_BY_HOP | {
    b"host",
    b"content-length",
    b"expect",
    b"x-request-id",
    b"x-forwarded-for",
    b"x-forwarded-proto",
    b"x-forwarded-host",
    FAULT_HEADER,  # the gateway acts on it; services never see a client's copy
    DEBUG_HEADER,
}
SKIP_AUTHENTICATED = SKIP_REQUEST | {b"authorization"}
SKIP_RESPONSE = HOP_BY_HOP | {b"content-length"}
# Connection header values that name no other header (the usual ones).
_PLAIN_CONNECTION = frozenset({b"keep-alive", b"close", b"Keep-Alive", b"Close"})
_NO_TOKENS: frozenset[bytes] = frozenset()


def connection_tokens(value: bytes) -> frozenset[bytes]:
    """Return the header names a Connection header value lists (lower-case)."""
    if value in _PLAIN_CONNECTION:
        return _NO_TOKENS
    return frozenset(token.strip().lower() for token in value.split(b",") if token.strip())


async def read_all(body: BodySource) -> bytes:
    """Return a whole request body."""
    parts: list[bytes] = []
    read = body.read
    while chunk := await read():
        parts.append(chunk)
    return b"".join(parts)


async def read_upto(body: BodySource, size: int) -> tuple[bytes, bool]:
    """Return at least ``size`` bytes of ``body`` (or all of it) and whether it ended."""
    parts: list[bytes] = []
    got = 0
    read = body.read
    while got < size:
        chunk = await read()
        if not chunk:
            return b"".join(parts), True
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts), False


class PrefixedBody:
    """A body whose first bytes were already read: those, then the rest (a BodySource)."""

    __slots__ = ("body", "prefix")

    def __init__(self, prefix: bytes, body: BodySource) -> None:
        self.prefix = prefix
        self.body = body

    def expected(self) -> int | None:
        return self.body.expected()

    async def read(self) -> bytes:
        prefix = self.prefix
        if prefix:
            self.prefix = b""
            return prefix
        return await self.body.read()


async def stream_body(conn: UpstreamConnection, body: BodySource, chunked: bool) -> None:
    """Send a body to the service as it arrives, with flow control."""
    read = body.read
    while chunk := await read():
        conn.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
        await conn.drain()
    if chunked:
        conn.write(b"0\r\n\r\n")


def request_head(
    ctx: RequestContext, path: str, payload: bytes, streamed: bool, address: str
) -> bytes:
    """Return the request line and headers to send to the service."""
    query = ctx.query
    parts = [
        b"%s %s%s%s HTTP/1.1\r\n"
        % (ctx.method.encode("ascii"), path.encode("latin-1"), b"?" if query else b"", query)
    ]
    # A verified token stays at the gateway: the service gets the identity
    # headers instead, and a token it never sees cannot leak from it.
    skip = SKIP_AUTHENTICATED if ctx.principal is not None else SKIP_REQUEST
    append = parts.append
    for name, value in ctx.headers:
        if name in skip:
            if name == b"connection":
                skip = skip | connection_tokens(value)
            continue
        append(b"%s: %s\r\n" % (name, value))
    # The gateway is the front door: a client's own X-Forwarded-* are
    # replaced, never trusted. The client's Host goes on, so a service
    # builds links that point at the gateway.
    host = ctx.host
    append(
        b"host: %s\r\nx-request-id: %s\r\nx-forwarded-for: %s\r\nx-forwarded-proto: http\r\n"
        % (host or address.encode("ascii"), ctx.request_id.encode("ascii"), ctx.client.encode())
    )
    if host:
        append(b"x-forwarded-host: %s\r\n" % host)
    for name, value in ctx.upstream_headers:
        append(b"%s: %s\r\n" % (name, value))
    if streamed:
        if ctx.content_length is None:
            append(b"transfer-encoding: chunked\r\n")
        else:
            append(b"content-length: %d\r\n" % ctx.content_length)
    elif payload or ctx.body is not None:
        append(b"content-length: %d\r\n" % len(payload))
    append(b"\r\n")
    return b"".join(parts)
