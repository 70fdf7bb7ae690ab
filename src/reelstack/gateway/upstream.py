"""A keep-alive HTTP/1.1 connection to a service instance (pooled by :mod:`.pools`).

An :class:`UpstreamConnection` is an asyncio protocol with httptools'
response parser: the proxy writes a request, awaits the response head, and
either finds the whole body already in (the usual small API response, which
arrives in the same read as its head) or reads it as a stream, with reading
from the service paused while the client is slower than the service.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, cast

import httptools

from reelstack.gateway.models import Headers

if TYPE_CHECKING:
    from reelstack.gateway.pools import InstancePool

# Body bytes buffered from a service before its reads are paused.
HIGH_WATER = 256 * 1024


class UpstreamClosedError(ConnectionError):
    """The service closed the connection before the response was complete.

    ``responded`` says whether any of the response had arrived.
    """

    def __init__(self, responded: bool, reason: str) -> None:
        self.responded = responded
        super().__init__(reason)


class UpstreamTimeoutError(TimeoutError):
    """The service did not answer in time."""


class UpstreamConnection(asyncio.Protocol):
    """One connection to an instance; carries one request at a time."""

    __slots__ = (
        "_drain",
        "_reader",
        "_waiter",
        "buffered",
        "chunks",
        "closed",
        "deadline",
        "done",
        "error",
        "head_done",
        "headers",
        "idle_since",
        "interim",
        "is_head",
        "loop",
        "parser",
        "pool",
        "reset_parser",
        "reusable",
        "status",
        "timer",
        "transport",
        "uses",
    )

    def __init__(self, pool: InstancePool) -> None:
        self.pool = pool
        self.loop = pool.loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.status = 0
        self.headers: Headers = []
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.head_done = False
        self.done = False
        self.interim = False
        self.is_head = False
        self.reset_parser = False
        self.reusable = False
        self.closed = False
        self.error: BaseException | None = None
        self.uses = 0  # requests sent on this connection
        self.idle_since = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.deadline = 0.0  # loop time the current wait must end by (0: none)
        self._waiter: asyncio.Future[None] | None = None
        self._reader: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None

    # -- asyncio protocol ---------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        self.closed = True
        self.pool.forget(self)
        if self.head_done and not self.done and self._delimited_by_close():
            self.done = True  # the close is the end of this body
        elif not self.done and self.error is None:
            self.error = UpstreamClosedError(
                self.head_done or self.buffered > 0,
                f"connection closed by the service{f': {exc}' if exc else ''}",
            )
        self._wake()
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(UpstreamClosedError(True, "the service switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(UpstreamClosedError(self.head_done, f"bad response from the service: {exc}"))
        if self.reset_parser:
            # After a HEAD response the parser waits for a body that never
            # comes; a fresh one reads the next response.
            self.parser = httptools.HttpResponseParser(self)
            self.reset_parser = False
        if self.buffered > HIGH_WATER and self.transport is not None and not self.done:
            self.transport.pause_reading()
        self._wake()

    def pause_writing(self) -> None:
        self._drain = self.loop.create_future()

    def resume_writing(self) -> None:
        drain = self._drain
        self._drain = None
        if drain is not None and not drain.done():
            drain.set_result(None)

    # -- httptools callbacks ------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:
            # An interim response (100 Continue, 103 Early Hints): not ours
            # to forward; the real one follows.
            self.interim = True
            self.headers = []
            return
        self.status = status
        self.head_done = True
        # Asked now: llhttp resets what it answers from once the message ends.
        self.reusable = self.parser.should_keep_alive()
        if self.is_head:
            self.done = True
            self.reset_parser = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)

    def on_message_complete(self) -> None:
        if self.interim:
            self.interim = False
            return
        self.done = True

    # -- the proxy's side ---------------------------------------------------------

    def send(self, data: bytes, *, is_head: bool) -> asyncio.Future[None]:
        """Write a request (head, and body if it is in memory); return the head's future."""
        self.status = 0
        self.headers = []
        self.chunks = []
        self.buffered = 0
        self.head_done = False
        self.done = False
        self.interim = False
        self.reusable = False
        self.is_head = is_head
        self.error = None
        self.uses += 1
        waiter = self._waiter = self.loop.create_future()
        assert self.transport is not None
        self.transport.write(data)
        return waiter

    def write(self, data: bytes) -> None:
        """Write more of the request body."""
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    async def drain(self) -> None:
        """Wait until the service has taken what was written (flow control)."""
        drain = self._drain
        if drain is not None:
            await drain
        if self.error is not None:
            raise self.error

    def take_body(self) -> bytes:
        """Return the body received so far and forget it (resuming reads if paused)."""
        chunks = self.chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self.chunks = []
        if self.buffered > HIGH_WATER and self.transport is not None and not self.closed:
            self.transport.resume_reading()
        self.buffered = 0
        return data

    async def read(self) -> bytes:
        """Return the next part of the body, ``b""`` at its end."""
        while True:
            if self.chunks:
                return self.take_body()
            if self.done:
                return b""
            if self.error is not None:
                raise self.error
            reader = self._reader = self.loop.create_future()
            await reader

    def keep_alive(self) -> bool:
        """Whether the connection may carry another request after this response."""
        return self.done and not self.closed and self.reusable

    def set_deadline(self, deadline: float) -> None:
        """Fail the current wait with UpstreamTimeoutError if it lasts past ``deadline``.

        One timer per connection, re-armed lazily when it fires: arming and
        cancelling a timer around every request costs more than the check.
        """
        self.deadline = deadline
        timer = self.timer
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self.timer = self.loop.call_at(deadline, self._check_deadline)

    def clear_deadline(self) -> None:
        """The wait is over: no timeout applies until the next deadline."""
        self.deadline = 0.0

    def _check_deadline(self) -> None:
        self.timer = None
        deadline = self.deadline
        if not deadline or self.closed:
            return
        if self.loop.time() >= deadline:
            self._fail(UpstreamTimeoutError("the service did not answer in time"))
        else:
            self.timer = self.loop.call_at(deadline, self._check_deadline)

    def close(self) -> None:
        """Close the connection (it is not reused)."""
        self._cancel_timer()
        self._drop_waiters()
        self.closed = True
        self.pool.forget(self)
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """Close the connection at once, discarding anything unsent."""
        self._drop_waiters()
        self._abort()

    def _abort(self) -> None:
        self._cancel_timer()
        self.closed = True
        self.pool.forget(self)
        if self.transport is not None:
            self.transport.abort()

    # -- internals ----------------------------------------------------------------

    def _cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _drop_waiters(self) -> None:
        # Closed by the proxy: whoever waited has gone (or raises its own
        # error), so a waiter left must not carry an error nobody retrieves.
        for waiter in (self._waiter, self._reader):
            if waiter is not None and not waiter.done():
                waiter.cancel()
        self._waiter = self._reader = None

    def _fail(self, error: BaseException) -> None:
        if self.error is None and not self.done:
            self.error = error
        self._abort()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and (self.head_done or self.error is not None):
            self._waiter = None
            if not waiter.done():
                if self.head_done:
                    waiter.set_result(None)
                else:
                    assert self.error is not None
                    waiter.set_exception(self.error)
        reader = self._reader
        if reader is not None and (self.chunks or self.done or self.error is not None):
            self._reader = None
            if not reader.done():
                reader.set_result(None)

    def _delimited_by_close(self) -> bool:
        # A response with neither Content-Length nor chunked framing ends
        # when the service closes the connection (RFC 9112 6.3, rule 8).
        for name, value in self.headers:
            if name == b"content-length":
                return False
            if name == b"transfer-encoding" and b"chunked" in value.lower():
                return False
        return True
