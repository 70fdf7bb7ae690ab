"""Request contexts and small fakes for the gateway's unit tests."""

from __future__ import annotations

import asyncio
from time import perf_counter
from typing import Any

from reelstack.gateway.models import Headers, RequestContext
from reelstack.gateway.passport import Passport
from reelstack.gateway.pools import InstancePool
from reelstack.gateway.upstream import UpstreamConnection


class BytesBody:
    """A request body given in chunks (a BodySource)."""

    def __init__(self, *chunks: bytes, declared: bool = True) -> None:
        self.chunks = list(chunks)
        self.length = sum(len(c) for c in chunks) if declared else None

    def expected(self) -> int | None:
        return self.length

    async def read(self) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""


def make_ctx(
    path: str = "/",
    *,
    method: str = "GET",
    headers: Headers | None = None,
    query: bytes = b"",
    client: str = "10.0.0.1",
    body: BytesBody | None = None,
) -> RequestContext:
    """Return a context as the server would build it."""
    headers = list(headers or [(b"host", b"gateway.test")])
    host = next((v for k, v in headers if k == b"host"), b"")
    return RequestContext(
        method=method,
        path=path,
        query=query,
        headers=headers,
        client=client,
        http_version="1.1",
        request_id="rid-1",
        passport=Passport(perf_counter()),
        body=body,
        content_length=body.length if body is not None else None,
        host=host,
    )


REFUSE = "refuse"  # the connection is refused
CLOSE = "close"  # the request is read, then the connection closed without an answer
HANG = "hang"  # the request is read and never answered

Reply = bytes | list[bytes | str] | str


def response(status: int = 200, body: bytes = b"ok", *headers: tuple[bytes, bytes]) -> bytes:
    """Return a complete HTTP/1.1 response with a Content-Length."""
    lines = [b"HTTP/1.1 %d X" % status, b"content-length: %d" % len(body)]
    lines += [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class FakeUpstreams:
    """Service instances that answer from a script, with no sockets.

    ``replies[port]`` is a list of replies, one per request to that port (the
    last one repeats): response bytes, a list of byte chunks delivered one
    loop turn apart, or REFUSE / CLOSE / HANG.
    """

    def __init__(self, monkeypatch: Any) -> None:
        self.replies: dict[int, list[Reply]] = {}
        self.requests: list[tuple[int, bytes]] = []
        self.connects: list[int] = []
        fakes = self

        async def connect(pool: InstancePool, timeout_s: float) -> UpstreamConnection:
            fakes.connects.append(pool.port)
            if fakes.peek(pool.port) == REFUSE:
                fakes.take(pool.port)
                raise ConnectionRefusedError(f"refused: {pool.port}")
            conn = UpstreamConnection(pool)
            conn.connection_made(_FakeTransport(fakes, conn, pool.port))  # type: ignore[arg-type]
            pool.opened += 1
            return conn

        monkeypatch.setattr(InstancePool, "connect", connect)

    def peek(self, port: int) -> Reply:
        """The reply the next request to ``port`` gets, left in place."""
        return self.replies.get(port, [response()])[0]

    def take(self, port: int) -> Reply:
        """The reply for the next request to ``port``; the last one stays for every later one."""
        queue = self.replies.setdefault(port, [response()])
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def paths(self, port: int) -> list[bytes]:
        """Return the request lines sent to ``port``."""
        return [request.split(b"\r\n", 1)[0] for p, request in self.requests if p == port]


class _FakeTransport:
    def __init__(self, fakes: FakeUpstreams, conn: UpstreamConnection, port: int) -> None:
        self.fakes = fakes
        self.conn = conn
        self.port = port
        self.closed = False
        self.buffer = b""

    def write(self, data: bytes) -> None:
        self.buffer += data
        if b"\r\n\r\n" not in self.buffer:
            return
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = 0
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                chunked = True
        if len(rest) < length or (chunked and not rest.endswith(b"0\r\n\r\n")):
            return
        self.buffer = b""
        self.fakes.requests.append((self.port, head + b"\r\n\r\n" + rest))
        reply = self.fakes.take(self.port)
        loop = asyncio.get_running_loop()
        if reply == CLOSE:
            loop.call_soon(self._lost)
        elif reply == HANG:
            pass
        elif isinstance(reply, bytes):
            loop.call_soon(self._deliver, reply)
        elif isinstance(reply, list):
            for index, chunk in enumerate(reply):
                if chunk == CLOSE:
                    loop.call_later(0.001 * index, self._lost)
                else:
                    loop.call_later(0.001 * index, self._deliver, chunk)

    def _deliver(self, data: bytes) -> None:
        if not self.closed:
            self.conn.data_received(data)

    def _lost(self) -> None:
        if not self.closed:
            self.closed = True
            self.conn.connection_lost(None)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            asyncio.get_running_loop().call_soon(self.conn.connection_lost, None)

    abort = close

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass
