"""Sending bodies: ``sendfile`` from the cache, or streaming from the origin uncached."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import TYPE_CHECKING, BinaryIO

from reelstack.edge.cache import Fill
from reelstack.edge.heads import Writer, validators
from reelstack.edge.http import Request, not_modified, parse_range, range_applies
from reelstack.errors import NotFoundError, ReelstackError

if TYPE_CHECKING:
    from reelstack.edge.server import EdgeServer

log = logging.getLogger(__name__)


async def passthrough(
    server: EdgeServer,
    request: Request,
    writer: Writer,
    fill: Fill,
    content_type: bytes,
    cache_control: bytes,
) -> bool:
    """Stream a file from the origin without caching it (disk full, too large to cache)."""
    keep = request.keep_alive
    size = fill.size
    meta = validators(fill.etag, fill.modified) + b"Cache-Control: " + cache_control + b"\r\n"
    if not_modified(request.headers, fill.etag, fill.modified):
        server.stats.count("not_modified")
        writer.write(server.heads.head(request, 304, b"", keep, meta))
        return keep
    try:
        wanted = (
            parse_range(request.headers.get("range"), size)
            if range_applies(request.headers, fill.etag)
            else None
        )
    except ValueError:
        server.stats.results["refused"] += 1
        unsatisfiable = b"Content-Range: bytes */%d\r\n" % size
        writer.write(server.heads.error(request, 416, "range not satisfiable", keep, unsatisfiable))
        return keep
    first, last = wanted if wanted is not None else (0, size - 1)
    length = last - first + 1 if size else 0
    extra = meta + b"Content-Length: %d\r\n" % length
    if wanted is not None:
        extra += b"Content-Range: bytes %d-%d/%d\r\n" % (first, last, size)
    writer.write(server.heads.head(request, 206 if wanted else 200, content_type, keep, extra))
    sent = 0
    try:
        if request.method == "GET" and length:
            server.stats.origin_fetches += 1
            async with asyncio.timeout(server.limits.send_timeout_s):
                async for chunk in server.cache.blob.get(fill.key, offset=first, length=length):
                    writer.write(chunk)
                    sent += len(chunk)
                    server.stats.bytes_from_origin += len(chunk)
                    await writer.drain()
    except (ReelstackError, NotFoundError, TimeoutError, ConnectionError, OSError) as exc:
        log.warning("edge passthrough of %s cut off: %s", fill.key, exc)
        writer.transport.abort()
        return False
    finally:
        server.stats.count("passthrough", served=sent)
    return keep


async def sendfile(
    transport: asyncio.WriteTransport, file: BinaryIO, offset: int, count: int, timeout_s: float
) -> int:
    """Send ``count`` bytes of ``file`` from ``offset``: ``sendfile(2)`` first, then the loop's.

    ``loop.sendfile`` stops reading, waits for the write buffer to drain,
    and registers and unregisters the socket for writing on every call:
    several system calls more than sending. When nothing is buffered, one
    ``os.sendfile`` on the socket usually sends a whole segment (the
    kernel's send buffer grows to megabytes), and whatever it leaves (a
    slow reader, a full buffer) goes to ``loop.sendfile``, which waits for
    the socket properly.
    """
    sent = 0
    if not transport.get_write_buffer_size():
        sock = transport.get_extra_info("socket")
        try:
            sent = os.sendfile(sock.fileno(), file.fileno(), offset, count)
        except (BlockingIOError, InterruptedError):
            sent = 0
    if sent < count:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout_s):
            sent += await loop.sendfile(transport, file, offset + sent, count - sent)
    return sent


def uncork(writer: Writer) -> None:
    """Send what the cork holds (nothing to do on a connection already closed)."""
    if writer.transport.is_closing():
        return
    try:
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
    except OSError as exc:
        log.debug("uncorking a closing connection: %s", exc)
