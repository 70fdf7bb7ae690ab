"""The filter chain: inbound filters, the endpoint, outbound filters, then the record.

:class:`Gateway` is what both HTTP front ends (the gateway's own server and
the ASGI adapter) call: :meth:`Gateway.handle` turns a request context into a
response, and :meth:`Gateway.finish`, once the response is written, counts it
in the metrics and writes its passport line.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Sequence
from time import perf_counter

from reelstack.chassis.metrics import Metrics
from reelstack.chassis.middleware import KNOWN_METHODS
from reelstack.gateway.filters import Filter
from reelstack.gateway.filters.routing import NOT_FOUND
from reelstack.gateway.metrics import GatewayStats
from reelstack.gateway.models import GatewayResponse, RequestContext
from reelstack.gateway.passport import PassportLog
from reelstack.gateway.responses import error_response

log = logging.getLogger(__name__)


# Request ids made here: a random prefix per process and a counter, 32 hex
# digits like the chassis' ids. Unique without a system call per request
# (the chassis draws 16 random bytes for each); an id is a label, not a secret.
_ID_PREFIX = os.urandom(8).hex()
_id_counter = itertools.count(int.from_bytes(os.urandom(4), "big"))


def new_request_id() -> str:
    """Return a new request id (32 hex digits)."""
    return f"{_ID_PREFIX}{next(_id_counter) & 0xFFFFFFFFFFFFFFFF:016x}"


class BodyTooLargeError(Exception):
    """A streamed request body went past its limit."""


class BodyTimeoutError(Exception):
    """A request body did not arrive in time (per chunk or in total): answered 408."""


class ClientGoneError(Exception):
    """The client closed the connection before its request body ended."""


class Gateway:
    """Runs requests through the filters and an endpoint; records each one."""

    def __init__(
        self,
        filters: Sequence[Filter],
        *,
        metrics: Metrics,
        access_log: PassportLog,
        stats: GatewayStats,
    ) -> None:
        for f in filters:
            if f.kind not in ("inbound", "outbound"):
                raise ValueError(f"filter {f.name} has unknown kind {f.kind!r}")
        self.inbound = tuple(sorted((f for f in filters if f.kind == "inbound"), key=_order))
        self.outbound = tuple(sorted((f for f in filters if f.kind == "outbound"), key=_order))
        self.metrics = metrics
        self.access_log = access_log
        self.stats = stats

    async def handle(self, ctx: RequestContext) -> GatewayResponse:
        """Return the response to ``ctx`` (never raises for a request's own failure)."""
        passport = ctx.passport
        try:
            for f in self.inbound:
                if f.should_apply(ctx):
                    waiting = f.apply(ctx)
                    if waiting is not None:
                        await waiting
                    passport.mark(f.name)
                    if ctx.response is not None:
                        break
            if ctx.response is None:
                endpoint = ctx.endpoint or NOT_FOUND
                ctx.response = await endpoint.handle(ctx)
                passport.mark(endpoint.name)
        except BodyTooLargeError:
            ctx.response = error_response(
                413, "PayloadTooLarge", f"request body over the limit of {ctx.max_body_bytes} bytes"
            )
        except BodyTimeoutError as exc:
            ctx.response = error_response(408, "RequestTimeout", str(exc))
        except ClientGoneError:
            raise
        except Exception:
            log.exception("error handling %s %s", ctx.method, ctx.path)
            ctx.response = error_response(500, "InternalError", "the gateway failed")
        for f in self.outbound:
            if f.should_apply(ctx):
                waiting = f.apply(ctx)
                if waiting is not None:
                    await waiting
        return ctx.response

    def finish(self, ctx: RequestContext, status: int, sent_bytes: int) -> None:
        """Count a written response and log its passport line."""
        passport = ctx.passport
        duration = perf_counter() - passport.start
        method = ctx.method if ctx.method in KNOWN_METHODS else "OTHER"
        route = ctx.route_label
        self.metrics.observe(route, method, status, duration)
        if passport.attempts:
            counts = self.stats.attempts
            for attempt in passport.attempts:
                key = (route, attempt[1])
                counts[key] = counts.get(key, 0) + 1
        principal = ctx.principal
        self.access_log.write_request(
            method=method,
            path=ctx.path,
            route=route,
            status=status,
            duration_s=duration,
            client=ctx.client,
            request_id=ctx.request_id,
            account=principal.account if principal is not None else None,
            passport=passport,
            sent_bytes=sent_bytes,
        )


def _order(f: Filter) -> int:
    return f.order
