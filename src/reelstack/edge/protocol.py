"""One viewer connection: reads request heads, answers a cache hit at once, the rest in a task.

Most requests an edge answers are whole-file hits on a keep-alive
connection. :meth:`Connection.data_received` answers those where the head
arrives, with no task, future or stream between the socket and
``sendfile``: the head parsed, the token checked, the file's head and body
sent with one ``os.sendfile`` (corked with the head). Everything else (a
miss, a range, a validator, a refusal, a body the socket did not take at
once) goes to :meth:`EdgeServer.answer` in a task, one request at a time per
connection; requests that arrive meanwhile wait in the buffer (reading
pauses when it holds more than a head). The connection is also the
:class:`~reelstack.edge.heads.Writer` that slow path writes to.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from typing import TYPE_CHECKING, Any, cast

from reelstack.edge.heads import validators
from reelstack.edge.http import (
    CACHE_IMMUTABLE,
    CACHE_SHORT,
    CONTENT_TYPES,
    SHORT_LIVED,
    BadRequest,
    clean_path,
    cmcd,
    parse_head,
)
from reelstack.edge.sending import sendfile, uncork
from reelstack.signed_urls import SIGNED_PREFIX, ExpiredError, SignatureError

if TYPE_CHECKING:
    from reelstack.edge.server import EdgeServer

log = logging.getLogger(__name__)

_SIGNED = SIGNED_PREFIX + "/"
_END = b"\r\n\r\n"
MAX_LINGER_BYTES = 4096
"""Still-unsent bytes a close waits for; more means a client not reading: abort."""


class Connection(asyncio.Protocol):
    """A viewer's connection to the serving listener."""

    def __init__(self, server: EdgeServer) -> None:
        self.server = server
        self._transport: asyncio.Transport | None = None
        self.sock: Any = None
        self.address = ""
        self.admitted = False
        self.buffer = b""
        self.first = True
        self.busy = False
        self.closing = False
        self.paused = False
        self._drained: asyncio.Future[None] | None = None
        self.loop = asyncio.get_running_loop()

    # -- the Writer the slow path uses ------------------------------------------------------

    @property
    def transport(self) -> asyncio.WriteTransport:
        assert self._transport is not None
        return self._transport

    def write(self, data: bytes) -> None:
        if self._transport is not None:
            self._transport.write(data)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.transport.get_extra_info(name, default)

    async def drain(self) -> None:
        if self._transport is None or self._transport.is_closing():
            raise ConnectionResetError("the client closed the connection")
        if self._drained is not None:
            await asyncio.shield(self._drained)

    def pause_writing(self) -> None:
        self._drained = self.loop.create_future()

    def resume_writing(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    # -- connection ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.address = peer[0] if isinstance(peer, tuple) else ""
        self.sock = transport.get_extra_info("socket")
        if not self.server.admit(self):
            return
        self.admitted = True
        self._expect_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self._transport = None
        if self.admitted:
            self.admitted = False
            self.server.release(self)
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_exception(ConnectionResetError("the client closed the connection"))
            drained.exception()

    def expire(self) -> None:
        """The head is late: 408 on a new connection, a quiet close on an idle one."""
        if self.first:
            self.server.refuse(self, 408, "the request head took too long")
        self.close()

    def close(self) -> None:
        """Close after what is written is sent (abort if a client does not read it)."""
        self.closing = True
        transport = self._transport
        if transport is not None:
            if transport.get_write_buffer_size() > MAX_LINGER_BYTES:
                transport.abort()
            else:
                transport.close()

    def _expect_head(self) -> None:
        limits = self.server.limits
        limit = limits.header_timeout_s if self.first else limits.keep_alive_s
        self.server.waiting[self] = self.loop.time() + limit

    # -- requests ---------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.busy:
            if len(self.buffer) > self.server.limits.max_header_bytes and self._transport:
                self.paused = True
                self._transport.pause_reading()  # pipelined ahead: read on when answered
            return
        self._process()

    def _process(self) -> None:
        server = self.server
        while not self.closing and not self.busy:
            end = self.buffer.find(_END)
            if end < 0:
                if len(self.buffer) > server.limits.max_header_bytes:
                    server.refuse(self, 431, "request head too large")
                    self.close()
                return
            if end + 4 > server.limits.max_header_bytes:
                server.refuse(self, 431, "request head too large")
                self.close()
                return
            head, self.buffer = self.buffer[: end + 4], self.buffer[end + 4 :]
            server.waiting.pop(self, None)
            self.first = False
            done = self._hit(head)
            if done is None:
                self.busy = True
                task = self.loop.create_task(self._slow(head))
                server.handlers.add(task)
                task.add_done_callback(server.handlers.discard)
                return
            if not done:
                self.close()
                return
            if self.busy:
                return  # the rest of the body is on its way (_rest)
            self._expect_head()

    async def _slow(self, head: bytes) -> None:
        try:
            keep = await self.server.answer(head, self)
        except (ConnectionError, TimeoutError) as exc:
            log.debug("edge connection from %s ended: %s", self.address, exc)
            keep = False
        except Exception:
            log.exception("edge connection from %s failed", self.address)
            keep = False
        self.busy = False
        if not keep:
            self.close()
            return
        if self.paused and self._transport is not None:
            self.paused = False
            self._transport.resume_reading()
        self._expect_head()
        self._process()

    def _hit(self, head: bytes) -> bool | None:
        """Answer a plain GET or HEAD of a cached file; None when the slow path must answer."""
        server = self.server
        try:
            request = parse_head(head)
            path = clean_path(request.path)
        except BadRequest:
            return None
        headers = request.headers
        if (
            request.method not in ("GET", "HEAD")
            or not path.startswith(_SIGNED)
            or "range" in headers
            or "if-none-match" in headers
            or "if-modified-since" in headers
        ):
            return None
        token, _, rest = path[len(_SIGNED) :].partition("/")
        dot = rest.rfind(".")
        content_type = CONTENT_TYPES.get(rest[dot:].lower()) if dot > rest.rfind("/") else None
        entry = server.cache.index.get(f"{server.prefix}/{rest}")
        if content_type is None or entry is None or entry.file is None or not token:
            return None
        try:
            server.tokens.verify(token, rest, now=time.time())
        except (SignatureError, ExpiredError):
            return None
        server.cache.index.move_to_end(entry.key)
        if request.query or "cmcd-request" in headers or "cmcd-session" in headers:
            keys = cmcd(request.query, headers)
            if keys:
                log.info("cmcd", extra={"cmcd": keys, "key": entry.key, "method": request.method})
        if not entry.validators:
            entry.validators = validators(entry.etag, entry.modified)
        cache_control = CACHE_SHORT if rest[dot:] in SHORT_LIVED else CACHE_IMMUTABLE
        keep = request.keep_alive
        extra = b"%sCache-Control: %s\r\nContent-Length: %d\r\n" % (
            entry.validators,
            cache_control,
            entry.size,
        )
        response = server.heads.head(request, 200, content_type, keep, extra)
        transport = self.transport
        if request.method == "HEAD" or not entry.size or transport.get_write_buffer_size():
            if request.method != "HEAD" and entry.size:
                return None  # something is still queued: the slow path waits for it
            transport.write(response)
            server.stats.count("hit", cached=True)
            return keep
        fd = self.sock.fileno()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        transport.write(response)
        try:
            sent = os.sendfile(fd, entry.file.fileno(), 0, entry.size)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError as exc:
            log.debug("edge connection from %s ended: %s", self.address, exc)
            transport.abort()
            return False
        if sent < entry.size:
            # The socket took part of it: the rest waits for it in a task.
            entry.users += 1
            self.busy = True
            task = self.loop.create_task(self._rest(entry, sent, keep))
            server.handlers.add(task)
            task.add_done_callback(server.handlers.discard)
            return True
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
        server.stats.count("hit", served=sent, cached=True)
        return keep

    async def _rest(self, entry: Any, sent: int, keep: bool) -> None:
        server = self.server
        try:
            if entry.file is None:
                raise ConnectionResetError("the file was closed")
            sent += await sendfile(
                self.transport,
                entry.file,
                sent,
                entry.size - sent,
                server.limits.send_timeout_s,
            )
        except (TimeoutError, OSError) as exc:
            log.info("edge response cut off: %s", exc)
            if self._transport is not None:
                self._transport.abort()
            keep = False
        finally:
            entry.release()
            server.stats.count("hit", served=sent, cached=True)
            if self._transport is not None:
                uncork(self)
        self.busy = False
        if not keep:
            self.close()
            return
        self._expect_head()
        self._process()
