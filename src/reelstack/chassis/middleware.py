"""The per-request middleware: request id, metrics and the access log in one pass.

It is a plain ASGI callable rather than Starlette's ``BaseHTTPMiddleware``,
which runs the app in a separate task and copies every body through a memory
stream; and it is one layer rather than three because each ASGI layer adds a
call and a ``send`` wrapper to every request.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelstack.chassis.logs import AccessLog
from reelstack.chassis.metrics import UNMATCHED_ROUTE, Metrics
from reelstack.chassis.requestid import HEADER_BYTES, accept, request_id_var

log = logging.getLogger("reelstack.chassis.errors")

# Methods outside this set share one label, so odd clients cannot add series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """Return the template of the route that handled ``scope`` (not the raw path)."""
    route: Any = scope.get("route")
    if route is None:
        return UNMATCHED_ROUTE
    path: str | None = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path or UNMATCHED_ROUTE


class RequestMiddleware:
    """Give each HTTP request an id, count and time it, and write its access line."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, access_log: AccessLog) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == HEADER_BYTES:
                incoming = value
                break
        request_id = accept(incoming)
        token = request_id_var.set(request_id)
        id_header = (HEADER_BYTES, request_id.encode("ascii"))
        status = 500
        metrics = self.metrics
        metrics.in_flight += 1
        start = time.perf_counter()

        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
                # A copy: the app may reuse its message (a prebuilt response).
                message = {**message, "headers": [*message.get("headers", ()), id_header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if not started:
                raise  # nothing sent yet: the server answers 500 and logs it
            # The error page went out; log here, where the request id is
            # still set, rather than let the server log it again without.
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
        finally:
            duration = time.perf_counter() - start
            metrics.in_flight -= 1
            method = scope["method"]
            if method not in KNOWN_METHODS:
                method = "OTHER"
            route = route_template(scope)
            metrics.observe(route, method, status, duration)
            self.access_log.write(
                method=method,
                path=scope["path"],
                route=route,
                status=status,
                duration_s=duration,
                client=scope["client"][0] if scope.get("client") else None,
                request_id=request_id,
            )
            request_id_var.reset(token)
