"""Request id (outbound): every response carries the request's ``X-Request-Id``.

The id was taken from the client's header or made when the request arrived
(the chassis' rules, :mod:`reelstack.chassis.requestid`), sent on to the
service, and written in the passport line, so a client quoting it finds the
whole story.
"""

from __future__ import annotations

from reelstack.chassis.requestid import HEADER_BYTES
from reelstack.gateway.filters import Kind
from reelstack.gateway.models import RequestContext


class RequestIdFilter:
    """Adds ``X-Request-Id`` to the response."""

    name = "request_id"
    kind: Kind = "outbound"
    order = 0

    def should_apply(self, ctx: RequestContext) -> bool:
        return ctx.response is not None

    def apply(self, ctx: RequestContext) -> None:
        assert ctx.response is not None
        ctx.response.headers.append((HEADER_BYTES, ctx.request_id.encode("ascii")))
