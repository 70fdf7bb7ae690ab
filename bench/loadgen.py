"""A constant-rate HTTP load generator that measures latency without coordinated omission.

``python -m bench.loadgen URL RATE SECONDS [HEADER: VALUE ...]`` sends GET
requests at RATE per second for SECONDS over keep-alive connections and
prints one JSON object: requests sent and answered, errors, the rate
achieved, and latency percentiles in milliseconds. An argument ``@FILE``
among the headers makes every request a POST of FILE's bytes (JSON); an
argument ``@@FILE`` names a JSON list of ``{"headers": [...], "body": ...}``
instead, sent in turn (many callers, each with its own headers and body).

Why not wrk: wrk sends the next request on a connection only when the last
one is answered, so when the server stalls, the requests that would have
been sent during the stall are never sent and their waiting is never
measured (coordinated omission). wrk2 fixes that with a fixed rate, but it is
not packaged in Debian. Here requests follow a fixed timetable whatever the
answers do (an open loop, as wrk2's): a request finding no idle connection
opens another (up to ``MAX_CONNECTIONS``) rather than waiting for one.

Latency runs from the moment a request is written to the moment its answer
is complete. The client's own lateness (written after its scheduled time,
by up to a millisecond with uvloop's timers, more if this process falls
behind) is reported apart as ``late_p99_ms``: a run whose client fell behind
is not a measurement of the server.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit

import httptools

MAX_CONNECTIONS = 512
TICK_S = 0.001  # how often due requests are sent (uvloop timers are whole milliseconds)


class _Conn(asyncio.Protocol):
    def __init__(self, gen: LoadGen) -> None:
        self.gen = gen
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.scheduled = 0.0
        self.status = 0
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.scheduled:
            self.gen.errors += 1
            self.scheduled = 0.0
        self.gen.lost(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.gen.errors += 1
            if self.transport is not None:
                self.transport.close()

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_message_complete(self) -> None:
        scheduled = self.scheduled
        if not scheduled:
            # An answer to no request: a server refusing a connection as it
            # accepts it (a cap on connections) writes one before ours is sent.
            # Its latency would be measured from zero (hours): count it apart.
            self.gen.unsolicited += 1
            return
        self.scheduled = 0.0  # before answered(), which may send the next request
        self.gen.answered(self, self.status, scheduled)

    def send(self, request: bytes, scheduled: float) -> None:
        now = perf_counter()
        self.gen.lateness.append(now - scheduled)
        self.scheduled = now
        assert self.transport is not None
        self.transport.write(request)


class LoadGen:
    """Sends requests on a fixed timetable and records their latencies."""

    def __init__(
        self,
        url: str,
        rate: float,
        seconds: float,
        headers: list[str],
        body: bytes | None = None,
        each: list[tuple[list[str], bytes | None]] | None = None,
    ) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.requests = [
            self._request([*headers, *more], more_body) for more, more_body in each or [([], body)]
        ]
        self.rate = rate
        self.seconds = seconds
        self.idle: list[_Conn] = []
        self.open = 0
        self.backlog: list[tuple[bytes, float]] = []
        self.latencies: list[float] = []
        self.lateness: list[float] = []
        self.errors = 0
        self.non_2xx = 0
        self.unsolicited = 0
        self.statuses: dict[int, int] = {}
        self.sent = 0
        self.loop = asyncio.get_running_loop()

    def _request(self, headers: list[str], body: bytes | None) -> bytes:
        method = "GET" if body is None else "POST"
        lines = [f"{method} {self.target} HTTP/1.1", f"Host: {self.host}:{self.port}", *headers]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")

    def answered(self, conn: _Conn, status: int, scheduled: float) -> None:
        self.latencies.append(perf_counter() - scheduled)
        if not 200 <= status < 300:
            self.non_2xx += 1
            self.statuses[status] = self.statuses.get(status, 0) + 1
        if self.backlog:
            conn.send(*self.backlog.pop(0))
        else:
            self.idle.append(conn)

    def lost(self, conn: _Conn) -> None:
        self.open -= 1
        if conn in self.idle:
            self.idle.remove(conn)

    async def _connect(self, request: bytes, scheduled: float) -> None:
        try:
            _, conn = await self.loop.create_connection(lambda: _Conn(self), self.host, self.port)
        except OSError:
            self.open -= 1
            self.errors += 1
            return
        conn.send(request, scheduled)

    def _dispatch(self, scheduled: float) -> None:
        request = self.requests[self.sent % len(self.requests)]
        self.sent += 1
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed:
                conn.send(request, scheduled)
                return
        if self.open < MAX_CONNECTIONS:
            self.open += 1
            self.loop.create_task(self._connect(request, scheduled))
        else:
            self.backlog.append((request, scheduled))

    async def run(self) -> dict[str, Any]:
        """Send for ``seconds``, wait for the answers, return the figures."""
        interval = 1.0 / self.rate
        start = perf_counter() + 0.05
        total = int(self.rate * self.seconds)
        index = 0
        while index < total:
            now = perf_counter()
            while index < total and start + index * interval <= now:
                self._dispatch(start + index * interval)
                index += 1
            await asyncio.sleep(TICK_S)
        deadline = self.loop.time() + 10.0
        while len(self.latencies) + self.errors < self.sent and self.loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        elapsed = self.seconds
        ordered = sorted(self.latencies)

        def pct(p: float) -> float:
            if not ordered:
                return float("nan")
            return ordered[min(len(ordered) - 1, int(p / 100.0 * len(ordered)))] * 1000.0

        late = sorted(self.lateness)
        return {
            "late_p99_ms": late[int(0.99 * (len(late) - 1))] * 1000.0 if late else float("nan"),
            "sent": self.sent,
            "answered": len(ordered),
            "errors": self.errors,
            "non_2xx": self.non_2xx,
            "non_2xx_statuses": self.statuses,
            "unsolicited": self.unsolicited,
            "rate": len(ordered) / elapsed,
            "p50_ms": pct(50),
            "p90_ms": pct(90),
            "p99_ms": pct(99),
            "p999_ms": pct(99.9),
            "max_ms": ordered[-1] * 1000.0 if ordered else float("nan"),
            "connections": self.open,
        }


async def _main(argv: list[str]) -> dict[str, Any]:
    url, rate, seconds, *rest = argv
    files = [arg[1:] for arg in rest if arg.startswith("@") and not arg.startswith("@@")]
    lists = [arg[2:] for arg in rest if arg.startswith("@@")]
    headers = [arg for arg in rest if not arg.startswith("@")]
    body = open(files[0], "rb").read() if files else None  # noqa: SIM115, ASYNC230
    each = None
    if lists:
        with open(lists[0], "rb") as listed:  # noqa: ASYNC230
            each = [
                (list(r["headers"]), None if r.get("body") is None else r["body"].encode())
                for r in json.load(listed)
            ]
    gen = LoadGen(url, float(rate), float(seconds), headers, body, each)
    return await gen.run()


def main() -> None:
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    started = time.monotonic()
    result = runner(_main(sys.argv[1:]))
    result["wall_s"] = round(time.monotonic() - started, 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
