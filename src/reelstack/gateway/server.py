"""The gateway's HTTP/1.1 server: an asyncio protocol on httptools' parser.

The gateway's hot path is forwarding bytes; an ASGI server turns each request
into a scope dict, message dicts and header lists in both directions, which
on this path cost as much as everything the gateway does. This protocol
parses with httptools (llhttp, the parser uvicorn and Node.js use) and hands
the gateway a :class:`RequestContext` directly. It plugs into uvicorn as its
``http`` protocol class, so uvicorn still owns the socket, the lifespan
(the chassis' start-up and shutdown), signals and graceful draining; the
chassis' own endpoints (``/health``, ``/ready``, ``/metrics``) are served by
the chassis app through :class:`~reelstack.gateway.bridge.AsgiBridge`.

Per connection: one request is handled at a time (pipelined requests wait
in order, with reading paused); a request body streams to the endpoint with
reading paused while it is not consumed; the response is written with
flow control; a connection idle for the keep-alive timeout is closed.
Header bytes over ``gateway.max_header_bytes`` are refused with 431 while
parsing, before the request exists: counted as they arrive, so a header line
that never ends is refused too. The front door's deadlines (headers in total,
body per chunk and in total) and connection caps are enforced here with one
timer per connection; see :mod:`reelstack.gateway.front` and ADR 0017.
The parser's callbacks are in :mod:`.server_parse`, the deadlines and
refusals in :mod:`.server_front`: parts of one protocol class, apart so each
module keeps to one concern.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Any, cast

import httptools

from reelstack.chassis.requestid import request_id_var
from reelstack.gateway.chain import ClientGoneError
from reelstack.gateway.front import (
    BAD_REQUEST,
    HEADER_TOO_LARGE,
    INTERNAL_ENDPOINT,
    internal_refusal,
)
from reelstack.gateway.models import GatewayResponse, Headers, RequestContext
from reelstack.gateway.responses import error_response
from reelstack.gateway.server_front import FramingError
from reelstack.gateway.server_parse import RequestParsingMixin
from reelstack.gateway.wire import (
    CHUNKED,
    CLOSE_DELIMITED,
    NO_BODY,
    ClientBody,
    error_bytes,
    response_head,
)

if TYPE_CHECKING:
    from reelstack.gateway.asgi import GatewayApp

log = logging.getLogger(__name__)

DEFAULT_KEEP_ALIVE_S = 5.0
LINGER_S = 2.0
CLIENT_CLOSED = 499  # nginx's status for a request the client gave up on


class GatewayProtocol(RequestParsingMixin, asyncio.Protocol):
    """One client connection to the gateway.

    The constructor takes uvicorn's protocol arguments (``config``,
    ``server_state``, ``app_state``, ``_loop``), so uvicorn can run it as
    its ``http`` protocol; ``config.app`` is the :class:`GatewayApp`.

    One task per connection (not per request) answers the requests in turn:
    a task costs more to make than the gateway spends on most requests.
    """

    # A connection to gateway.internal_port: the chassis' endpoints only, to
    # whoever reaches the port, and outside the client connection caps.
    internal_port = False

    def __init__(
        self,
        config: Any,
        server_state: Any = None,
        app_state: dict[str, Any] | None = None,
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.app: GatewayApp = config.app
        self.gateway = self.app.gateway
        self.front = self.app.front
        self.refusals = self.app.refusals
        self.admitted = False
        # The head being read: whether one is expected, its raw bytes so far
        # and when its first byte came; the body's start and latest byte.
        self.in_head = True
        self.head_raw = 0
        self.head_started = 0.0
        self.body_started = 0.0
        self.body_last = 0.0
        self.watch_at = 0.0  # loop time the connection's timer fires next
        # The request whose head was parsed and body not yet: dropped unanswered
        # if the rest turns out malformed and nothing has taken it yet.
        self.unfinished: RequestContext | None = None
        self.loop = _loop or asyncio.get_event_loop()
        self.server_state = server_state
        self.app_state = app_state if app_state is not None else {}
        self.keep_alive_s: float = getattr(config, "timeout_keep_alive", DEFAULT_KEEP_ALIVE_S)
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.client = ""
        self.server: tuple[str, int] | None = None
        # The request being parsed.
        self.url = b""
        self.headers: Headers = []
        self.header_bytes = 0
        self.max_header_bytes = 0
        self.request_id: bytes | None = None
        self.host = b""
        self.content_length: int | None = None
        self.chunked = False
        self.expect = False
        self.parsing_body: ClientBody | None = None
        # Requests parsed and not yet answered, and the task answering them.
        self.pipeline: deque[tuple[RequestContext, bool]] = deque()
        self.worker: asyncio.Task[None] | None = None
        self.ready: asyncio.Future[None] | None = None
        self.busy = False
        self.closing = False
        self.reading_paused = False
        self.body_paused = False
        self.drain_waiter: asyncio.Future[None] | None = None
        self.last_active = 0.0
        self.linger = False
        self.discarding = False

    # -- connection ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.client = peer[0] if isinstance(peer, tuple) else ""
        sock = transport.get_extra_info("sockname")
        self.server = (sock[0], sock[1]) if isinstance(sock, tuple) else None
        self.last_active = self.loop.time()
        if not self.internal_port:
            refused = self.app.connections.admit(self.client)
            if refused is not None:
                self._refuse_connection(refused)
                return
            self.admitted = True
        worker = self.worker = self.loop.create_task(self._serve())
        if self.server_state is not None:
            self.server_state.connections.add(self)
            tasks = self.server_state.tasks
            tasks.add(worker)
            worker.add_done_callback(tasks.discard)
        self._watch_at(self.last_active + self.keep_alive_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.transport = None
        if self.admitted:
            self.admitted = False
            self.app.connections.release(self.client)
        if self.server_state is not None:
            self.server_state.connections.discard(self)
        if self.parsing_body is not None:
            self.parsing_body.fail(ClientGoneError())
        for ctx, _ in self.pipeline:
            if isinstance(ctx.body, ClientBody):
                ctx.body.fail(ClientGoneError())
        self.pipeline.clear()
        if self.worker is not None and not self.worker.done():
            # Nobody will read an answer: stop the work (the proxy closes its
            # connection to the service and gives back its bulkhead slot).
            self.worker.cancel()
        drain = self.drain_waiter
        if drain is not None and not drain.done():
            drain.set_exception(ClientGoneError())

    def data_received(self, data: bytes) -> None:
        if self.discarding:
            return  # lingering before the close: what the client still sends is dropped
        if self.in_head:
            # Counted before parsing: httptools hands a header over only once
            # its line ends, so a line that never ends is seen only here.
            if not self.head_started:
                self.head_started = started = self.loop.time()
                self._watch_at(started + self.front.header_timeout_s)
            self.head_raw += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            framing = exc.__context__
            if self.header_bytes > self.max_header_bytes:
                self._refuse_head(431, HEADER_TOO_LARGE, b"request headers too large")
            elif isinstance(framing, FramingError):
                self._drop_unfinished()
                self.refusals.refuse(BAD_REQUEST, self.client, str(framing))
                self._refuse(framing.status, framing.text)
            else:
                log.exception("gateway request parsing failed")
                self._refuse(500, b"request parsing failed")
        except httptools.HttpParserUpgrade:
            self.refusals.refuse(BAD_REQUEST, self.client, "protocol upgrade")
            self._refuse(501, b"protocol upgrades are not supported")
        except httptools.HttpParserError as exc:
            self._drop_unfinished()
            reason = str(exc)
            self.refusals.refuse(BAD_REQUEST, self.client, reason)
            self._refuse(400, reason.encode("ascii", "replace").replace(b'"', b"'"))
        else:
            if self.in_head and self.head_raw > self.front.max_header_bytes:
                self._refuse_head(431, HEADER_TOO_LARGE, b"request headers too large")

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def pause_writing(self) -> None:
        self.drain_waiter = self.loop.create_future()

    def resume_writing(self) -> None:
        drain = self.drain_waiter
        self.drain_waiter = None
        if drain is not None and not drain.done():
            drain.set_result(None)

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown: close when the request in hand is answered."""
        self.closing = True
        if not self.busy and not self.pipeline and self.transport is not None:
            self.transport.close()

    # -- handling -----------------------------------------------------------------

    async def _serve(self) -> None:
        """Answer this connection's requests in order until it closes."""
        pipeline = self.pipeline
        try:
            while True:
                if not pipeline:
                    if self.closing:
                        break
                    ready = self.ready = self.loop.create_future()
                    await ready
                    continue
                ctx, keep_alive = pipeline.popleft()
                if self.reading_paused and not pipeline:
                    self._resume_reading()
                self.busy = True
                keep_alive = await self._answer(ctx, keep_alive)
                self.busy = False
                self.last_active = self.loop.time()
                if not keep_alive or self.closing:
                    break
        finally:
            self._close()

    async def _answer(self, ctx: RequestContext, keep_alive: bool) -> bool:
        """Answer one request; return whether the connection may stay open."""
        request_id_var.set(ctx.request_id)
        if ctx.path in self.app.chassis_paths:
            if self.internal_port or self._internal(ctx):
                return await self._answer_chassis(ctx, keep_alive)
            self.refusals.refuse(INTERNAL_ENDPOINT, ctx.client, ctx.path)
            ctx.response = error_response(404, "NotFound", internal_refusal(ctx.path))
        elif self.internal_port:
            detail = "the internal port serves /health, /ready and /metrics only"
            ctx.response = error_response(404, "NotFound", detail)
        status = CLIENT_CLOSED
        sent = 0
        try:
            response = ctx.response or await self.gateway.handle(ctx)
            status = response.status
            body = ctx.body
            if body is not None and not (isinstance(body, ClientBody) and body.done):
                # Unread body bytes would be taken for the next request.
                keep_alive = False
                self.linger = True
            sent = await self._write(ctx, response, keep_alive)
        except ClientGoneError:
            keep_alive = False
        except (ConnectionError, TimeoutError) as exc:
            # The service's body broke off after the head went out: the close
            # is the only way left to tell the client.
            log.warning("response to %s %s broke off: %s", ctx.method, ctx.path, exc)
            keep_alive = False
        except Exception:
            log.exception("error answering %s %s", ctx.method, ctx.path)
            keep_alive = False
        finally:
            self.gateway.finish(ctx, status, sent)
        return keep_alive

    async def _answer_chassis(self, ctx: RequestContext, keep_alive: bool) -> bool:
        # The chassis app counts and logs these requests itself.
        try:
            response = await self.app.bridge.handle(ctx, self.server, self.app_state)
            await self._write(ctx, response, keep_alive)
        except ClientGoneError:
            return False
        except Exception:
            log.exception("error answering %s %s", ctx.method, ctx.path)
            return False
        return keep_alive

    async def _write(self, ctx: RequestContext, response: GatewayResponse, keep_alive: bool) -> int:
        """Write the response; return the body bytes sent."""
        transport = self.transport
        stream = response.stream
        if transport is None or transport.is_closing():
            if stream is not None:
                stream.close(False)
            raise ClientGoneError
        head, framing = response_head(ctx, response, keep_alive)
        if framing == CLOSE_DELIMITED or not keep_alive:
            self.closing = True  # the worker closes the connection after this response
        if stream is None:
            if framing == NO_BODY or not response.body:
                transport.write(head)
                return 0
            transport.write(head + response.body)
            return len(response.body)
        transport.write(head)
        if framing == NO_BODY:
            stream.close(False)
            return 0
        chunked = framing == CHUNKED
        sent = 0
        complete = False
        try:
            while chunk := await stream.read():
                sent += len(chunk)
                transport.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                if self.drain_waiter is not None:
                    await self.drain_waiter
            if chunked:
                transport.write(b"0\r\n\r\n")
            complete = True
        finally:
            stream.close(complete)
            if not complete:
                # The head is out: the only way left to say "broken" is to close.
                self.closing = True
                transport.close()
        return sent

    # -- flow control and small helpers -------------------------------------------

    def write(self, data: bytes) -> None:
        """Write raw bytes to the client (the 100 Continue line)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _pause_reading(self) -> None:
        if not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self.reading_paused and not self.body_paused and self.transport is not None:
            self.reading_paused = False
            self.transport.resume_reading()
            # The read deadlines counted nothing while we did not read.
            self.body_last = now = self.loop.time()
            if self.head_started:
                self.head_started = now

    def pause_reading_for_body(self) -> None:
        """Stop reading while a request body is buffered and not consumed."""
        self.body_paused = True
        self._pause_reading()

    def resume_reading_for_body(self) -> None:
        """Read again once the endpoint has taken the buffered body."""
        if self.body_paused:
            self.body_paused = False
            # The chunk deadline counts the client's silence, not ours.
            self.body_last = self.loop.time()
            if not self.pipeline:
                self._resume_reading()

    def _close(self) -> None:
        """Close the connection; linger first if the client may still be sending.

        Closing a socket with unread input makes the kernel reset the
        connection, and a client still sending its body then loses the
        response it has not read yet (a 413 it never sees). As nginx's
        lingering close does: stop writing, drop what still arrives, and
        close once the client closes or ``LINGER_S`` has passed.
        """
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self.linger and transport.can_write_eof():
            self.discarding = True
            transport.write_eof()
            transport.resume_reading()
            self.loop.call_later(LINGER_S, transport.close)
        else:
            transport.close()

    def _refuse(self, status: int, text: bytes) -> None:
        """Answer a request that cannot be parsed or accepted, and close."""
        self.closing = True
        if self.parsing_body is not None:
            self.parsing_body.fail(ClientGoneError())
            self.parsing_body = None
        transport = self.transport
        if transport is not None and not transport.is_closing():
            if not self.busy and not self.pipeline:
                transport.write(error_bytes(status, text))
                self.linger = True
                self._close()
            else:
                # A request is being answered on this connection: let it
                # finish, then close; the refused one gets no answer.
                self._pause_reading()


class InternalProtocol(GatewayProtocol):
    """A connection to ``gateway.internal_port`` (see :func:`serve_internal`)."""

    internal_port = True


class _InternalConfig:
    """What the protocol reads of uvicorn's config."""

    def __init__(self, app: GatewayApp, keep_alive_s: float) -> None:
        self.app = app
        self.timeout_keep_alive = keep_alive_s


async def serve_internal(app: GatewayApp, host: str, port: int) -> asyncio.Server:
    """Listen on ``host:port`` for the chassis' endpoints; return the server to close."""
    loop = asyncio.get_running_loop()
    config = _InternalConfig(app, DEFAULT_KEEP_ALIVE_S)
    server = await loop.create_server(
        lambda: InternalProtocol(config, None, {}, loop), host, port, reuse_address=True
    )
    log.info("internal endpoints on %s:%d", host, port, extra={"internal_port": port})
    return server
