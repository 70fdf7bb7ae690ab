"""The gateway as an ASGI app: what ``create_app`` returns.

:class:`GatewayApp` is a plain ASGI callable. Under any ASGI server it works
as is: the lifespan and the chassis' endpoints go to the chassis app, every
other request runs through the gateway's filter chain here. For speed the
gateway brings its own HTTP protocol (:mod:`reelstack.gateway.server`), named
in ``server_options`` for the process runner to hand to uvicorn; under it,
requests reach the chain without this adapter.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from reelstack.chassis.requestid import HEADER_BYTES, accept, request_id_var
from reelstack.gateway.bridge import AsgiBridge
from reelstack.gateway.chain import BodyTooLargeError, ClientGoneError, Gateway, new_request_id
from reelstack.gateway.front import (
    INTERNAL_ENDPOINT,
    Connections,
    FrontLimits,
    Refusals,
    internal_caller,
    internal_refusal,
)
from reelstack.gateway.models import BodySource, GatewayResponse, RequestContext
from reelstack.gateway.passport import Passport
from reelstack.gateway.responses import error_response
from reelstack.gateway.server import CLIENT_CLOSED, GatewayProtocol

# The chassis' endpoints: served by the chassis app, never routed or filtered.
CHASSIS_PATHS = frozenset({"/health", "/ready", "/metrics"})


class AsgiBody:
    """A request body read from ASGI ``receive`` (a BodySource)."""

    __slots__ = ("ctx", "done", "length", "receive", "received")

    def __init__(self, receive: Receive, length: int | None, ctx: RequestContext) -> None:
        self.receive = receive
        self.length = length
        self.ctx = ctx
        self.done = False
        self.received = 0

    def expected(self) -> int | None:
        return self.length

    async def read(self) -> bytes:
        while not self.done:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientGoneError
            self.done = not message.get("more_body", False)
            chunk: bytes = message.get("body", b"")
            self.received += len(chunk)
            limit = self.ctx.max_body_bytes
            if limit and self.received > limit:
                raise BodyTooLargeError
            if chunk:
                return chunk
        return b""


class GatewayApp:
    """The gateway: an ASGI app wrapping the chassis app and the filter chain."""

    def __init__(
        self,
        chassis_app: FastAPI,
        *,
        front: FrontLimits,
        refusals: Refusals | None = None,
    ) -> None:
        self.chassis_app = chassis_app
        # The process runner reads ``app.state.chassis`` (identity, fatal errors).
        self.state = chassis_app.state
        # The filter chain, set by create_app once its filters exist (they
        # count their refusals on this app's ``refusals``).
        self.gateway: Gateway
        # The front door's limits (kept current by the app), the connections
        # held against their caps, and the refusals counted for /metrics.
        self.front = front
        self.connections = Connections(front)
        self.refusals = refusals if refusals is not None else Refusals()
        self.chassis_paths = CHASSIS_PATHS
        self.bridge = AsgiBridge(chassis_app)
        # Extra uvicorn options for the runner: serve with the gateway's protocol.
        self.server_options: dict[str, Any] = {"http": GatewayProtocol}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.chassis_app(scope, receive, send)
            return
        path = scope["path"]
        if path in CHASSIS_PATHS:
            peer = scope.get("client")
            client = peer[0] if peer else ""
            if internal_caller(self.front, client, scope["headers"]):
                await self.chassis_app(scope, receive, send)
            else:
                self.refusals.refuse(INTERNAL_ENDPOINT, client, path)
                await _send(send, error_response(404, "NotFound", internal_refusal(path)))
            return
        started = perf_counter()
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        size = len(scope.get("raw_path") or b"") + len(scope["query_string"])
        request_id: bytes | None = None
        host = b""
        content_length: int | None = None
        chunked = False
        for name, value in headers:
            size += len(name) + len(value) + 4
            if name == HEADER_BYTES:
                request_id = value
            elif name == b"host":
                host = value
            elif name == b"content-length":
                content_length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if size > self.front.max_header_bytes:
            await _send(send, error_response(431, "HeadersTooLarge", "request headers too large"))
            return
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        client = scope.get("client")
        ctx = RequestContext(
            method=scope["method"],
            path=raw_path.decode("latin-1"),
            query=scope["query_string"],
            headers=list(headers),
            client=client[0] if client else "",
            http_version=scope.get("http_version", "1.1"),
            request_id=new_request_id() if request_id is None else accept(request_id),
            passport=Passport(started),
            content_length=None if chunked else content_length,
            host=host,
        )
        if chunked or content_length:
            body: BodySource = AsgiBody(receive, ctx.content_length, ctx)
            ctx.body = body
        token = request_id_var.set(ctx.request_id)
        status = CLIENT_CLOSED
        sent = 0
        try:
            response = await self.gateway.handle(ctx)
            status = response.status
            sent = await _send(send, response, head=ctx.method == "HEAD")
        except ClientGoneError:
            pass
        finally:
            self.gateway.finish(ctx, status, sent)
            request_id_var.reset(token)


async def _send(send: Send, response: GatewayResponse, *, head: bool = False) -> int:
    """Send ``response`` as ASGI messages; return the body bytes sent."""
    headers = list(response.headers)
    stream = response.stream
    length = response.length if stream is not None or response.length is not None else None
    if stream is None and length is None:
        length = len(response.body)
    if length is not None and response.status not in (204, 304):
        headers.append((b"content-length", b"%d" % length))
    start: Message = {"type": "http.response.start", "status": response.status, "headers": headers}
    if stream is None:
        await send(start)
        await send({"type": "http.response.body", "body": b"" if head else response.body})
        return 0 if head else len(response.body)
    complete = False
    sent = 0
    try:
        await send(start)
        if not head:
            while chunk := await stream.read():
                sent += len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        complete = True
    finally:
        stream.close(complete)
    return sent
