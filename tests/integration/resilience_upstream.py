"""A small upstream instance for the resilient client's integration tests.

``python tests/integration/resilience_upstream.py PORT NAME`` serves, on
127.0.0.1:PORT:

- ``GET /ping``: ``{"instance": NAME}`` with the current status (200 at start)
- ``GET /slow?s=SECONDS``: the same, after sleeping
- ``GET /inflight``: ``{"inflight": N}``, requests being handled now (itself excluded)
- ``PUT /status?code=CODE``: the status ``/ping`` and ``/slow`` answer from now on
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web


def make_app(name: str) -> web.Application:
    state = {"status": 200, "inflight": 0}

    async def ping(request: web.Request) -> web.Response:
        return web.json_response({"instance": name}, status=state["status"])

    async def slow(request: web.Request) -> web.Response:
        state["inflight"] += 1
        try:
            await asyncio.sleep(float(request.query["s"]))
        finally:
            state["inflight"] -= 1
        return web.json_response({"instance": name}, status=state["status"])

    async def inflight(request: web.Request) -> web.Response:
        return web.json_response({"inflight": state["inflight"]})

    async def set_status(request: web.Request) -> web.Response:
        state["status"] = int(request.query["code"])
        return web.json_response({"status": state["status"]})

    app = web.Application()
    app.router.add_get("/ping", ping)
    app.router.add_get("/slow", slow)
    app.router.add_get("/inflight", inflight)
    app.router.add_put("/status", set_status)
    return app


if __name__ == "__main__":
    port, name = int(sys.argv[1]), sys.argv[2]
    web.run_app(make_app(name), host="127.0.0.1", port=port, print=None, access_log=None)
