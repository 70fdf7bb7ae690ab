"""Body size (inbound): a request body over the route's limit is refused with 413.

A declared Content-Length is checked here, before anything is read or sent
to a service. A chunked body has no declared length: the server counts its
bytes as they stream and stops it at ``ctx.max_body_bytes``. (Header size is
checked by the server while it parses, before a request exists: 431.)
"""

from __future__ import annotations

from reelstack.gateway.filters import Kind
from reelstack.gateway.models import RequestContext
from reelstack.gateway.responses import error_response


class BodyLimitFilter:
    """Refuses declared bodies over the limit; sets the limit for streamed ones."""

    name = "body_limit"
    kind: Kind = "inbound"
    order = 10

    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes  # gateway.max_body_bytes, kept current by the app

    def should_apply(self, ctx: RequestContext) -> bool:
        return ctx.body is not None

    def apply(self, ctx: RequestContext) -> None:
        route = ctx.route
        limit = self.max_body_bytes
        if route is not None and route.max_body_bytes is not None:
            limit = route.max_body_bytes
        ctx.max_body_bytes = limit
        if ctx.content_length is not None and ctx.content_length > limit:
            ctx.response = error_response(
                413, "PayloadTooLarge", f"request body over the limit of {limit} bytes"
            )
