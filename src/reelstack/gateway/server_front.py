"""The front door's side of a client connection: deadlines, caps, who reads what.

:class:`FrontDoorMixin` is part of :class:`~reelstack.gateway.server.GatewayProtocol`,
kept in its own module so that the protocol's module stays about reading and
answering requests. It holds one timer per connection for every deadline
(idle keep-alive, the head in total, the body per chunk and in total) and
the refusals that end a connection; the limits themselves are
:class:`~reelstack.gateway.front.FrontLimits` (ADR 0017).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

from reelstack.gateway.chain import BodyTimeoutError
from reelstack.gateway.front import (
    BODY_CHUNK_TIMEOUT,
    BODY_TIMEOUT,
    CONNECTIONS_TOTAL,
    HEADER_TIMEOUT,
    FrontLimits,
    Refusals,
    internal_caller,
)
from reelstack.gateway.models import RequestContext
from reelstack.gateway.wire import ClientBody, error_bytes

if TYPE_CHECKING:
    from reelstack.gateway.asgi import GatewayApp


class FramingError(Exception):
    """A request whose framing or head two parsers could read differently."""

    def __init__(self, status: int, text: bytes) -> None:
        super().__init__(text.decode("ascii"))
        self.status = status
        self.text = text


class FrontDoorMixin:
    """Deadlines and refusals of one client connection (the protocol's state, shared)."""

    # The protocol's state this part reads and writes (set in its __init__).
    app: GatewayApp
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport | None
    front: FrontLimits
    refusals: Refusals
    client: str
    keep_alive_s: float
    last_active: float
    busy: bool
    closing: bool
    linger: bool
    discarding: bool
    body_paused: bool
    reading_paused: bool
    pipeline: deque[tuple[RequestContext, bool]]
    parsing_body: ClientBody | None
    in_head: bool
    head_started: float
    body_started: float
    body_last: float
    watch_at: float
    unfinished: RequestContext | None

    def _refuse(self, status: int, text: bytes) -> None:
        raise NotImplementedError  # the protocol's

    def _close(self) -> None:
        raise NotImplementedError  # the protocol's

    def _watch_at(self, when: float) -> None:
        # One timer per connection, re-armed lazily: cheaper than arming and
        # cancelling one around every request. A sooner deadline (a head or
        # a body starting) adds a call; the later one finds nothing to do.
        if self.watch_at and self.watch_at <= when:
            return
        self.watch_at = when
        self.loop.call_at(when, self._watch, when)

    def _watch(self, when: float) -> None:
        """Close an idle connection; refuse a head or body past its deadline."""
        if when != self.watch_at:
            return  # a sooner call replaced this one (loop timers may fire a little early)
        self.watch_at = 0.0
        now = self.loop.time()
        transport = self.transport
        if transport is None or self.discarding:
            return
        front = self.front
        nexts: list[float] = []
        # While the gateway itself stops reading (a pipelined request waits,
        # or the endpoint has not taken the body yet) the client's silence is
        # not the client's fault: the read deadlines wait too.
        reading = not self.reading_paused
        if self.in_head and self.head_started and reading:
            until = self.head_started + front.header_timeout_s
            if now >= until:
                text = b"request headers not received within %g s" % front.header_timeout_s
                self._refuse_head(408, HEADER_TIMEOUT, text)
                return
            nexts.append(until)
        body = self.parsing_body
        if body is not None and not body.done and body.error is None and reading:
            until = self.body_started + front.body_timeout_s
            if now >= until:
                self._body_timeout(body, BODY_TIMEOUT, front.body_timeout_s, "in total")
                return
            nexts.append(until)
            until = self.body_last + front.body_chunk_timeout_s
            if now >= until:
                timeout_s = front.body_chunk_timeout_s
                self._body_timeout(body, BODY_CHUNK_TIMEOUT, timeout_s, "between bytes")
                return
            nexts.append(until)
        if self.keep_alive_s > 0:
            if self.busy or self.pipeline or self.head_started:
                nexts.append(now + self.keep_alive_s)
            else:
                until = self.last_active + self.keep_alive_s
                if now >= until:
                    self.closing = True
                    transport.close()
                    return
                nexts.append(until)
        if nexts:
            self._watch_at(max(min(nexts), now + 0.01))

    def _body_timeout(self, body: ClientBody, reason: str, timeout_s: float, how: str) -> None:
        self.refusals.refuse(reason, self.client, f"request body too slow ({how})")
        body.fail(BodyTimeoutError(f"request body not received within {timeout_s:g} s ({how})"))

    def _internal(self, ctx: RequestContext) -> bool:
        """Whether ``ctx`` may read the chassis' endpoints (an internal caller, not proxied)."""
        return internal_caller(self.front, ctx.client, ctx.headers)

    def _drop_unfinished(self) -> None:
        unfinished = self.unfinished
        self.unfinished = None
        if unfinished is not None and self.pipeline and self.pipeline[-1][0] is unfinished:
            self.pipeline.pop()

    def _refuse_head(self, status: int, reason: str, text: bytes) -> None:
        self.refusals.refuse(reason, self.client, text.decode("ascii"))
        self.in_head = False  # nothing more of it is counted or timed
        self._refuse(status, text)

    def _refuse_connection(self, reason: str) -> None:
        """Answer 503 on a connection over a cap and close it."""
        which = "in all" if reason == CONNECTIONS_TOTAL else "from your address"
        self.refusals.refuse(reason, self.client, f"too many connections {which}")
        self.closing = True
        self.in_head = False
        transport = self.transport
        if transport is not None:
            transport.write(error_bytes(503, b"too many connections %s" % which.encode()))
            self.linger = True
            self._close()
