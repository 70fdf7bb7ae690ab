"""Debugging (inbound and outbound): the passport returned to a client that asks.

With the runtime property ``gateway.debug_header`` on, a request carrying
``X-Reelstack-Debug: 1`` gets its passport (filters run, instances tried,
timings) back in the ``X-Reelstack-Passport`` response header. Off by
default: the passport names instances and addresses, which a production
front door does not hand to strangers.
"""

from __future__ import annotations

from reelstack.gateway.filters import Kind
from reelstack.gateway.models import DEBUG_HEADER, PASSPORT_HEADER, RequestContext


class DebugRequestFilter:
    """Notes whether the client asked for the passport (and may have it)."""

    name = "debug"
    kind: Kind = "inbound"
    order = 1

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled  # the gateway.debug_header property, kept current by the app

    def should_apply(self, ctx: RequestContext) -> bool:
        return self.enabled

    def apply(self, ctx: RequestContext) -> None:
        ctx.debug = ctx.header(DEBUG_HEADER) in (b"1", b"true")


class PassportHeaderFilter:
    """Adds the passport to the response of a debugging request."""

    name = "passport_header"
    kind: Kind = "outbound"
    order = 90

    def should_apply(self, ctx: RequestContext) -> bool:
        return ctx.debug

    def apply(self, ctx: RequestContext) -> None:
        assert ctx.response is not None
        ctx.passport.mark("outbound")
        ctx.response.headers.append((PASSPORT_HEADER, ctx.passport.header_value()))
