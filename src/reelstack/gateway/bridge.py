"""Serving an ASGI app's request from the gateway's own server.

The chassis' endpoints (``/health``, ``/ready``, ``/metrics``) live in the
chassis' FastAPI app. When the gateway runs on its own HTTP server, those few
requests are handed to that app through this bridge: a scope is built from
the request context, the body (small: these are GETs) is read in full, and
the response is collected in memory. It is not a general ASGI server, and
need not be: the proxy path never comes here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message

from reelstack.gateway.models import GatewayResponse, RequestContext

MAX_BODY_BYTES = 1024 * 1024


class AsgiBridge:
    """Runs one request through an ASGI app and returns its response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def handle(
        self,
        ctx: RequestContext,
        server: tuple[str, int] | None,
        state: Mapping[str, Any],
    ) -> GatewayResponse:
        """Return the app's response to ``ctx``."""
        body = b""
        if ctx.body is not None:
            parts: list[bytes] = []
            size = 0
            while chunk := await ctx.body.read():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    return GatewayResponse(413, [(b"content-type", b"text/plain")], b"too large")
                parts.append(chunk)
            body = b"".join(parts)
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": ctx.http_version,
            "method": ctx.method,
            "scheme": "http",
            "path": unquote(ctx.path),
            "raw_path": ctx.path.encode("latin-1"),
            "query_string": ctx.query,
            "root_path": "",
            "headers": ctx.headers,
            "client": (ctx.client, 0),
            "server": server,
            "state": dict(state),
        }
        sent_request = False
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent_request
            if not sent_request:
                sent_request = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (bytes(name).lower(), bytes(value))
                    for name, value in message.get("headers", ())
                    if bytes(name).lower() not in (b"content-length", b"transfer-encoding")
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return GatewayResponse(status, headers, b"".join(chunks))
