"""What the control API refuses before any handler runs.

It listens on 127.0.0.1, which every web page the operator opens can reach:
a form or ``fetch`` may POST to it (a ``text/plain`` body needs no CORS
preflight), and a page served from a name that later resolves to 127.0.0.1
(DNS rebinding) may even read its answers. So, in this order:

1. a request carrying ``Origin`` or ``Sec-Fetch-Site`` comes from a browser:
   403 (the CLI, tests and Prometheus send neither);
2. ``Host`` must be ``127.0.0.1:PORT`` or ``localhost:PORT``, PORT being the
   one the connection arrived on: 403 (a rebound name fails here);
3. ``Authorization: Bearer <token>`` must match the token file
   (:mod:`reelstack.cluster.auth`): 401;
4. a request with a body (a non-zero ``Content-Length`` or any
   ``Transfer-Encoding``) must say ``application/json``: 415 (the API never
   parses anything else; an empty body is never parsed).

Each refusal is answered as ``{"error", "detail", "refused"}``, logged with
its reason and counted in ``reelstack_control_refused_total{reason}``.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CollectorRegistry, Counter

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

REASONS = (
    "browser",
    "host",
    "token_missing",
    "token_wrong",
    "content_type",
    "body_too_large",
)
"""Every ``reason`` label of the refusal counter."""

_LOCAL_NAMES = ("127.0.0.1", "localhost")
_BROWSER_HEADERS = ("Origin", "Sec-Fetch-Site")


class Refusals:
    """Counts and logs the control API's refusals."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.counter = Counter(
            "reelstack_control_refused",
            "Control API requests refused before reaching a handler, by reason.",
            ["reason"],
            registry=registry,
        )
        for reason in REASONS:
            # Present at 0 from the start, so an alert on a rate sees the first one.
            self.counter.labels(reason=reason)

    def refuse(
        self, request: web.Request, status: int, reason: str, kind: str, detail: str
    ) -> web.Response:
        """Count, log and answer one refusal."""
        self.counter.labels(reason=reason).inc()
        peer = request.remote or "?"
        log.warning(
            "control API refused %s %s from %s: %s",
            request.method,
            request.path,
            peer,
            detail,
            extra={"refused": reason, "status": status, "peer": peer},
        )
        headers = {"WWW-Authenticate": 'Bearer realm="reelstack-control"'} if status == 401 else {}
        return web.json_response(
            {"error": kind, "detail": detail, "refused": reason}, status=status, headers=headers
        )


def allowed_hosts(port: int) -> frozenset[str]:
    """Return the ``Host`` values that name this API listening on ``port``."""
    hosts = {f"{name}:{port}" for name in _LOCAL_NAMES}
    if port == 80:
        hosts.update(_LOCAL_NAMES)
    return frozenset(hosts)


def _local_port(request: web.Request) -> int | None:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if isinstance(sockname, tuple) and len(sockname) >= 2 and isinstance(sockname[1], int):
        return sockname[1]
    return None


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def guard(token: str, refusals: Refusals) -> Middleware:
    """Return the middleware refusing browsers, foreign hosts, bad tokens and non-JSON bodies."""
    expected = token.encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        browser = [name for name in _BROWSER_HEADERS if name in request.headers]
        if browser:
            return refusals.refuse(
                request,
                403,
                "browser",
                "ForbiddenError",
                f"requests from web pages are refused (they carry {', '.join(browser)})",
            )
        port = _local_port(request)
        host = request.headers.get("Host", "").lower()
        if port is None or host not in allowed_hosts(port):
            return refusals.refuse(
                request,
                403,
                "host",
                "ForbiddenError",
                f"Host {host[:100]!r} is not this control API (use 127.0.0.1:{port})",
            )
        given = _bearer(request)
        if given is None:
            return refusals.refuse(
                request,
                401,
                "token_missing",
                "UnauthorizedError",
                "an Authorization: Bearer token is required (from <home>/cluster/control.token)",
            )
        if not hmac.compare_digest(given.encode(), expected):
            return refusals.refuse(
                request,
                401,
                "token_wrong",
                "UnauthorizedError",
                "the token does not match <home>/cluster/control.token",
            )
        has_body = bool(request.content_length) or "Transfer-Encoding" in request.headers
        if has_body and request.content_type != "application/json":
            return refusals.refuse(
                request,
                415,
                "content_type",
                "UnsupportedMediaTypeError",
                f"bodies must be application/json, not {request.content_type[:100]!r}",
            )
        return await handler(request)

    return middleware
