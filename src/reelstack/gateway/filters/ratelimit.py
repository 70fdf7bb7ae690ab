"""Rate limits (inbound): per client address before authentication, per account after.

The address limit runs first, so a flood of requests with bad tokens is
refused before any signature is checked; the account limit runs once the
token says who the caller is, so one account cannot take more than its share
however many addresses it uses. Over the limit: 429 with ``Retry-After``,
the whole seconds until the bucket holds a token again.
"""

from __future__ import annotations

from time import monotonic

from reelstack.gateway.filters import Kind
from reelstack.gateway.models import RequestContext
from reelstack.gateway.ratelimit import TokenBuckets, retry_after
from reelstack.gateway.responses import error_response


class RateLimitFilter:
    """Takes a token from the caller's bucket or answers 429."""

    kind: Kind = "inbound"

    def __init__(self, buckets: TokenBuckets, *, scope: str, order: int) -> None:
        if scope not in ("address", "account"):
            raise ValueError(f"unknown rate limit scope {scope!r}")
        self.buckets = buckets
        self.scope = scope
        self.order = order
        self.name = f"ratelimit_{scope}"
        self.limited = 0  # requests refused, for metrics

    def should_apply(self, ctx: RequestContext) -> bool:
        if self.buckets.rate <= 0.0:
            return False
        if self.scope == "account":
            return ctx.principal is not None
        return ctx.route is not None

    def apply(self, ctx: RequestContext) -> None:
        if self.scope == "account":
            assert ctx.principal is not None
            key = ctx.principal.account
        else:
            key = ctx.client
        wait = self.buckets.take(key, monotonic())
        if wait > 0.0:
            self.limited += 1
            response = error_response(429, "TooManyRequests", f"rate limit per {self.scope}")
            response.headers.append((b"retry-after", b"%d" % retry_after(wait)))
            ctx.response = response
