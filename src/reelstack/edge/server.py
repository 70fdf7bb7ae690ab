"""The edge's serving path: a hand-written HTTP/1.1 listener sending files with ``sendfile``.

Why not the chassis' FastAPI app: here a framework's per-request cost
decides the throughput (see CONVENTIONS, "Hot paths"); a plain asyncio
server handing the kernel the file (``sendfile``, zero-copy) keeps near
nginx. ``loop.sendfile`` is native only on the standard library's loop,
so the edge's app asks uvicorn for it (``server_options``).

Per connection (:class:`~reelstack.edge.protocol.Connection`), in order:
the connection caps (total and per address, 503 and close: an address
cannot take the slots other viewers need); the request head, with a
deadline (``header_timeout_s`` for the first, ``keep_alive_s`` for the
next; 408 and close, or a quiet close when idle; one sweeper for all) and
a size cap counted as bytes arrive (431 and close, also for a head that
never ends); then a whole-file hit is answered at once by the connection,
anything else by :meth:`EdgeServer.answer` in a task. Every refusal (bad
framing, traversal, unknown path, bad token) happens before the cache or
the origin is looked at. Sending has its own deadline (``send_timeout_s``)
so a client that stops reading is cut off.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import Counter
from dataclasses import dataclass
from typing import BinaryIO

from reelstack.edge.cache import (
    DiskCache,
    Fill,
    NotCachedError,
    OriginError,
    OriginMissingError,
)
from reelstack.edge.heads import PREFLIGHT, Heads, Writer, validators
from reelstack.edge.http import (
    CACHE_IMMUTABLE,
    CACHE_SHORT,
    CONTENT_TYPES,
    SHORT_LIVED,
    BadRequest,
    Request,
    clean_path,
    cmcd,
    error_head,
    not_modified,
    parse_head,
    parse_range,
    range_applies,
)
from reelstack.edge.models import EdgeStats
from reelstack.edge.protocol import Connection
from reelstack.edge.sending import passthrough, sendfile, uncork
from reelstack.edge.tokens import VerifiedTokens
from reelstack.errors import InvalidRequestError
from reelstack.ports.blob_keys import check_key
from reelstack.signed_urls import SIGNED_PREFIX, ExpiredError, SignatureError, UrlSigner

log = logging.getLogger(__name__)

_SIGNED = SIGNED_PREFIX + "/"
STOP_WAIT_S = 5.0


@dataclass(frozen=True, slots=True)
class ServeLimits:
    """The serving path's caps and deadlines (the ``edge.*`` settings of the same names)."""

    max_header_bytes: int = 8192
    header_timeout_s: float = 10.0
    keep_alive_s: float = 15.0
    send_timeout_s: float = 60.0
    max_connections: int = 4096
    max_connections_per_address: int = 512


@dataclass(slots=True)
class _File:
    """What a response sends: the file, its validators, and the fill it may still be part of."""

    size: int
    modified: float
    etag: str
    validators: bytes
    file: BinaryIO | None
    fill: Fill | None = None
    owned: bool = False
    """Whether the response closes ``file`` (a fill's reader; a cached entry keeps its own)."""


class EdgeServer:
    """The listener viewers fetch media from; serves ``/media/s/TOKEN/PATH`` from the cache."""

    def __init__(
        self,
        *,
        cache: DiskCache,
        signer: UrlSigner,
        stats: EdgeStats,
        limits: ServeLimits,
    ) -> None:
        self.cache = cache
        self.signer = signer
        self.stats = stats
        self.limits = limits
        self.prefix = cache.prefix
        self.heads = Heads()
        self.per_address: Counter[str] = Counter()
        self.server: asyncio.Server | None = None
        self.connections: set[Connection] = set()
        self.handlers: set[asyncio.Task[None]] = set()
        # Connections waiting for a request head, and when it is due (see _sweep).
        self.waiting: dict[Connection, float] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self.tokens = VerifiedTokens(signer)

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: a free port); return the port bound."""
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: Connection(self), host, port, reuse_address=True, backlog=2048
        )
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        bound: int = self.server.sockets[0].getsockname()[1]
        log.info("edge serving on %s:%d", host, bound, extra={"serve_port": bound})
        return bound

    async def stop(self) -> None:
        """Stop listening, close every connection and stop the fills in progress."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        if self.server is not None:
            self.server.close()
            for connection in list(self.connections):
                connection.transport.abort()
            # Fills in progress fail, so a handler waiting on one wakes; each
            # handler then sees its connection gone and ends: waited for, so
            # none is left for the loop to cancel at exit.
            await self.cache.close()
            if self.handlers:
                await asyncio.wait(self.handlers, timeout=STOP_WAIT_S)
            await self.server.wait_closed()
            self.server = None

    # -- connections ---------------------------------------------------------------------

    def admit(self, connection: Connection) -> bool:
        """Take a new connection, or answer 503 and close it when over a cap."""
        limits = self.limits
        address = connection.address
        if (
            self.stats.connections >= limits.max_connections
            or self.per_address[address] >= limits.max_connections_per_address
        ):
            self.refuse(connection, 503, "too many connections")
            connection.close()
            return False
        self.stats.connections += 1
        self.per_address[address] += 1
        self.connections.add(connection)
        return True

    def release(self, connection: Connection) -> None:
        """Forget a connection that closed."""
        self.connections.discard(connection)
        self.waiting.pop(connection, None)
        self.stats.connections -= 1
        self.per_address[connection.address] -= 1
        if not self.per_address[connection.address]:
            del self.per_address[connection.address]

    async def _sweep(self) -> None:
        """Close connections whose request head is late: 408 for a new one, quietly if idle.

        One timer for every connection, instead of a timeout armed and
        disarmed around each request's head: deadlines are seconds, so a
        sweep a few times per shortest deadline is exact enough.
        """
        loop = asyncio.get_running_loop()
        interval = min(self.limits.header_timeout_s, self.limits.keep_alive_s, 4.0) / 4
        while True:
            await asyncio.sleep(interval)
            now = loop.time()
            for connection in [c for c, at in self.waiting.items() if at <= now]:
                del self.waiting[connection]
                connection.expire()

    def refuse(self, writer: Writer, status: int, text: str) -> None:
        """Answer a request (or connection) refused before it was understood; the caller closes."""
        self.stats.results["refused"] += 1
        writer.write(error_head(status, text, close=True, date=self.heads.date.value()))

    # -- requests --------------------------------------------------------------------------

    async def answer(self, head: bytes, writer: Writer) -> bool:
        """Answer one request; return whether the connection stays open."""
        try:
            request = parse_head(head)
            path = clean_path(request.path)
        except BadRequest as exc:
            self.refuse(writer, exc.status, str(exc))
            return False
        keep = request.keep_alive
        if request.method not in ("GET", "HEAD"):
            if request.method == "OPTIONS":
                writer.write(
                    self.heads.head(request, 204, b"", keep, b"Content-Length: 0\r\n" + PREFLIGHT)
                )
                return keep
            self.stats.results["refused"] += 1
            writer.write(
                self.heads.error(request, 405, "GET and HEAD only", keep, b"Allow: GET, HEAD\r\n")
            )
            return keep
        if not path.startswith(_SIGNED):
            return self._not_found(request, writer, keep)
        token, _, rest = path[len(_SIGNED) :].partition("/")
        if not token or not rest:
            return self._not_found(request, writer, keep)
        try:
            self.tokens.verify(token, rest, now=time.time())
        except ExpiredError as exc:
            self.stats.results["refused"] += 1
            writer.write(self.heads.error(request, 410, str(exc), keep))
            return keep
        except SignatureError as exc:
            self.stats.results["refused"] += 1
            writer.write(self.heads.error(request, 403, str(exc), keep))
            return keep
        key = f"{self.prefix}/{rest}"
        dot = rest.rfind(".")
        content_type = CONTENT_TYPES.get(rest[dot:].lower()) if dot > rest.rfind("/") else None
        if content_type is None:
            return self._not_found(request, writer, keep)
        keys = cmcd(request.query, request.headers)
        if keys:
            log.info("cmcd", extra={"cmcd": keys, "key": key, "method": request.method})
        cache_control = CACHE_SHORT if rest[dot:] in SHORT_LIVED else CACHE_IMMUTABLE
        entry = self.cache.lookup(key)
        if entry is not None and entry.file is None:
            try:
                # Opening a local file is one short syscall; a thread hop would
                # cost more than it. Kept open while the entry is cached.
                entry.file = open(entry.path, "rb")  # noqa: ASYNC230, SIM115
            except FileNotFoundError:
                self.cache.forget(key)
                entry = None
        if entry is not None:
            if not entry.validators:
                entry.validators = validators(entry.etag, entry.modified)
            found = _File(entry.size, entry.modified, entry.etag, entry.validators, entry.file)
            entry.users += 1
            try:
                return await self._send(request, writer, found, content_type, cache_control, "hit")
            finally:
                entry.release()
        return await self._miss(request, writer, key, content_type, cache_control)

    async def _miss(
        self,
        request: Request,
        writer: Writer,
        key: str,
        content_type: bytes,
        cache_control: bytes,
    ) -> bool:
        keep = request.keep_alive
        try:
            check_key(key)  # a key in the cache's index was checked when it was filled
        except InvalidRequestError:
            return self._not_found(request, writer, keep)
        fill, started = self.cache.fill(key)
        try:
            await fill.started()
            file = open(fill.reader_path(), "rb")  # noqa: ASYNC230, SIM115
        except OriginMissingError:
            return self._not_found(request, writer, keep)
        except NotCachedError:
            return await passthrough(self, request, writer, fill, content_type, cache_control)
        except (OriginError, OSError) as exc:
            self.stats.count("error")
            writer.write(self.heads.error(request, 502, f"the origin failed: {exc}", keep))
            return keep
        found = _File(
            fill.size,
            fill.modified,
            fill.etag,
            validators(fill.etag, fill.modified),
            file,
            fill,
            owned=True,
        )
        result = "miss" if started else "collapsed"
        return await self._send(request, writer, found, content_type, cache_control, result)

    async def _send(
        self,
        request: Request,
        writer: Writer,
        found: _File,
        content_type: bytes,
        cache_control: bytes,
        result: str,
    ) -> bool:
        """Send a file or one range of it; return whether the connection stays open."""
        keep = request.keep_alive
        cached = result == "hit"
        try:
            meta = found.validators + b"Cache-Control: " + cache_control + b"\r\n"
            if not_modified(request.headers, found.etag, found.modified):
                self.stats.count("not_modified", cached=cached or found.fill is None)
                writer.write(self.heads.head(request, 304, b"", keep, meta))
                return keep
            size = found.size
            try:
                wanted = (
                    parse_range(request.headers.get("range"), size)
                    if range_applies(request.headers, found.etag)
                    else None
                )
            except ValueError:
                self.stats.results["refused"] += 1
                writer.write(
                    self.heads.error(
                        request,
                        416,
                        "range not satisfiable",
                        keep,
                        b"Content-Range: bytes */%d\r\n" % size,
                    )
                )
                return keep
            first, last = wanted if wanted is not None else (0, size - 1)
            length = last - first + 1 if size else 0
            extra = meta + b"Content-Length: %d\r\n" % length
            if wanted is not None:
                extra += b"Content-Range: bytes %d-%d/%d\r\n" % (first, last, size)
            head = self.heads.head(request, 206 if wanted else 200, content_type, keep, extra)
            if request.method == "HEAD" or length == 0:
                writer.write(head)
                self.stats.count(result, cached=cached)
                return keep
            sent = 0
            # Corked, as nginx's tcp_nopush: the head leaves in the body's
            # first packet instead of a packet of its own.
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            try:
                writer.write(head)
                sent = await self._body(writer, found, first, length)
            finally:
                self.stats.count(result, served=sent, cached=cached)
                uncork(writer)
            return keep
        except (OriginError, TimeoutError, ConnectionError) as exc:
            # The head is out: closing is the only way left to say the body broke off.
            log.info("edge response cut off: %s", exc)
            writer.transport.abort()
            return False
        finally:
            if found.owned and found.file is not None:
                found.file.close()

    async def _body(self, writer: Writer, found: _File, first: int, length: int) -> int:
        """Send the body within ``send_timeout_s`` (a client that stops reading is cut off)."""
        assert found.file is not None
        transport = writer.transport
        timeout_s = self.limits.send_timeout_s
        if found.fill is None:
            return await sendfile(transport, found.file, first, length, timeout_s)
        # Still filling: send what is on disk, then wait for more.
        position, end = first, first + length
        async with asyncio.timeout(timeout_s):
            while position < end:
                available = await found.fill.available(position)
                count = min(available, end) - position
                if count <= 0:
                    raise OriginError("the origin sent less than it announced")
                position += await sendfile(transport, found.file, position, count, timeout_s)
        return length

    # -- response heads ------------------------------------------------------------------

    def _not_found(self, request: Request, writer: Writer, keep: bool) -> bool:
        self.stats.results["not_found"] += 1
        writer.write(self.heads.error(request, 404, "no such file", keep))
        return keep
