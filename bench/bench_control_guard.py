"""What the control API's guard costs a well-behaved caller.

Serves ``GET /prometheus/targets`` (the route Prometheus polls) from (1) the
control API as the supervisor builds it, with its guard (browser, Host,
token and content-type checks), and (2) the same application with the guard
taken out of its middleware list: same routes, handlers and error handling.
One keep-alive client sends requests one after another, as the CLI and
Prometheus do; rounds are interleaved and the median kept.

Target: the guarded API serves at least 0.9x the anchor's requests/s.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import time
from typing import Any, cast

import aiohttp
from aiohttp import web

from bench.common import Result, header, report
from reelstack.cluster.api import create_app
from reelstack.cluster.supervisor import Supervisor

REQUESTS = int(os.environ.get("BENCH_CONTROL_REQUESTS", "2000"))
ROUNDS = int(os.environ.get("BENCH_CONTROL_ROUNDS", "5"))
TOKEN = "b" * 43
GROUPS = [
    {
        "targets": [f"127.0.0.1:{4000 + n}"],
        "labels": {"service": "hello", "instance_id": f"hello-a-{n}", "zone": "a"},
    }
    for n in range(8)
]


class _Targets:
    shutting_down = False

    def prometheus_targets(self) -> list[dict[str, Any]]:
        return GROUPS


def _app(*, guarded: bool) -> web.Application:
    app = create_app(cast(Supervisor, _Targets()), lambda: None, token=TOKEN)
    if not guarded:
        # The guard is the first middleware; the list is mutable until startup.
        app.middlewares.pop(0)
    return app


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    port: int = sock.getsockname()[1]
    return runner, port


async def _rate(port: int, headers: dict[str, str]) -> float:
    url = f"http://127.0.0.1:{port}/prometheus/targets"
    async with aiohttp.ClientSession(headers=headers) as session:
        started = time.perf_counter()
        for _ in range(REQUESTS):
            async with session.get(url) as response:
                assert response.status == 200, await response.text()
                await response.read()
        return REQUESTS / (time.perf_counter() - started)


async def _main() -> tuple[float, float]:
    guarded, guarded_port = await _serve(_app(guarded=True))
    bare, bare_port = await _serve(_app(guarded=False))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    figures: dict[str, list[float]] = {"guarded": [], "bare": []}
    try:
        await _rate(guarded_port, auth)  # warm-up
        await _rate(bare_port, {})
        for _ in range(ROUNDS):
            figures["guarded"].append(await _rate(guarded_port, auth))
            figures["bare"].append(await _rate(bare_port, {}))
    finally:
        await guarded.cleanup()
        await bare.cleanup()
    return statistics.median(figures["guarded"]), statistics.median(figures["bare"])


def main() -> None:
    """Print the guarded control API's requests/s beside the bare app's."""
    guarded, bare = asyncio.run(_main())
    header()
    report(
        Result(
            name="control API GET /prometheus/targets, guarded",
            figure=guarded,
            unit="requests/s",
            anchor="the same API without the guard",
            anchor_figure=bare,
            target=">= 0.9",
        )
    )


if __name__ == "__main__":
    main()
