"""What the resilient client costs per call: the same request with and without it.

Figure: calls/s of ``ResilientClient.request("upstream", "GET", "/ping")``
(discovery, zone-preferring load balancer with availability filter, circuit
breaker, bulkhead, retry budget, timeout, metrics counters) with ``CONCURRENCY``
calls in flight. Anchor, measured in the same run: the same aiohttp session
calling the same instance directly (``session.request`` then ``read()``), at
the same concurrency. Both read the whole small body.

The upstream is a bare asyncio HTTP/1.1 server answering a fixed response,
in its own process pinned to one core; the callers run in this process pinned
to the other, so the figure is the client's own cost. Many short rounds
alternate between the two (in turn first) and the median of each is kept, so
a burst of other load on the host hits both alike. A second line gives calls per CPU-second of the
calling process, which other load on the host disturbs less.

Target: the resilient client makes at least 0.8x the calls/s of the bare session.
"""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

# Run as `python bench/bench_resilient_client.py`, the repository root is not on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prometheus_client import CollectorRegistry

from bench.common import Result, header, report
from reelstack.chassis.client import http_session
from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.chassis.resilience import ResilientClient

CONCURRENCY = int(os.environ.get("BENCH_CLIENT_CONCURRENCY", "16"))
DURATION_S = float(os.environ.get("BENCH_CLIENT_DURATION_S", "0.5"))
ROUNDS = int(os.environ.get("BENCH_CLIENT_ROUNDS", "21"))
TARGET = ">= 0.8"
BODY = b'{"pong":true}'
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
    len(BODY),
    BODY,
)


# -- the upstream: a bare asyncio server, run with --serve PORT ----------------------


class Upstream(asyncio.Protocol):
    """Answers every request (GETs without a body) with the same response."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses.
        self.transport = cast(asyncio.Transport, transport)
        self.pending = b""

    def data_received(self, data: bytes) -> None:
        data = self.pending + data
        count = data.count(b"\r\n\r\n")
        self.pending = data[data.rfind(b"\r\n\r\n") + 4 :] if count else data
        if count:
            self.transport.write(RESPONSE * count)


def serve(port: int) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(
            Upstream, "127.0.0.1", port, backlog=1024
        )
        async with server:
            await server.serve_forever()

    _run(main())


def _run(main: Awaitable[None]) -> None:
    try:
        import uvloop

        uvloop.run(main)  # type: ignore[arg-type]
    except ImportError:
        asyncio.run(main)  # type: ignore[arg-type]


# -- the callers ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pin(cpu: int) -> list[str]:
    """Return a taskset prefix for a child (and pin this process to the other core)."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {1 - cpu})
        return ["taskset", "-c", str(cpu)]
    return []


async def rate(call: Callable[[], Awaitable[object]], duration_s: float) -> tuple[float, float]:
    """Run ``CONCURRENCY`` loops of ``call`` for ``duration_s``; return calls/s and calls/CPU-s.

    Calls per CPU-second of this process is the steadier figure on a shared
    host: another process taking the core slows the wall clock, not the CPU
    time each call costs.
    """
    done = 0
    stop = time.perf_counter() + duration_s

    async def loop() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await call()
            done += 1

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(loop() for _ in range(CONCURRENCY)))
    return done / (time.perf_counter() - started), done / (time.process_time() - cpu)


async def measure(port: int) -> dict[str, tuple[float, float]]:
    """Return the median (calls/s, calls/CPU-s) of the bare session and the client."""
    url = f"http://127.0.0.1:{port}/ping"
    instance = InstanceInfo("upstream", "upstream-1", "127.0.0.1", port, zone="a")
    async with http_session() as session:
        client = ResilientClient(
            StaticDiscovery([instance]), zone="a", session=session, registry=CollectorRegistry()
        )

        async def bare() -> bytes:
            async with session.request("GET", url) as response:
                return await response.read()

        # Called directly, as bare() is: no wrapper coroutine on either side.
        resilient = functools.partial(client.request, "upstream", "GET", "/ping")

        assert await bare() == BODY and (await resilient()).body == BODY
        calls: dict[str, Callable[[], Awaitable[object]]] = {"bare": bare, "resilient": resilient}
        for call in calls.values():
            await rate(call, 0.5)  # warm up: connections open, code paths hot
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in calls}
        order = list(calls)
        for _ in range(ROUNDS):
            for name in order:
                runs[name].append(await rate(calls[name], DURATION_S))
            order.reverse()  # neither always runs first, after the other has warmed up
        counts = client.target("upstream").counts
        assert counts[0] > 0 and sum(counts[1:]) == 0, f"calls did not all succeed: {counts}"
    return {
        name: (
            statistics.median(r[0] for r in results),
            statistics.median(r[1] for r in results),
        )
        for name, results in runs.items()
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
        return
    header()
    port = free_port()
    upstream = subprocess.Popen([*pin(0), sys.executable, __file__, "--serve", str(port)])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if upstream.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the upstream did not start") from None
                time.sleep(0.05)
        result: list[dict[str, tuple[float, float]]] = []

        async def run() -> None:
            result.append(await measure(port))

        _run(run())
    finally:
        upstream.kill()
        upstream.wait()
    figures = result[0]
    name = f"resilient client GET, {CONCURRENCY} in flight, 1 instance"
    anchor = "same aiohttp session calling the instance directly"
    report(Result(name, figures["resilient"][0], "calls/s", anchor, figures["bare"][0], TARGET))
    report(Result(name, figures["resilient"][1], "calls/CPU-s", anchor, figures["bare"][1], TARGET))


if __name__ == "__main__":
    main()
