"""Fault injection (inbound, last): a delay or an error status, when enabled.

Off unless the runtime property ``gateway.faults.header`` lets clients ask
with ``X-Reelstack-Fault``, or ``gateway.faults.routes`` names a route (see
:mod:`reelstack.gateway.faults`). A delay holds the request before it goes to
the service; an abort answers in the service's place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from reelstack.gateway.faults import FaultInjector
from reelstack.gateway.filters import Kind
from reelstack.gateway.models import FAULT_HEADER, RequestContext
from reelstack.gateway.responses import error_response


class FaultFilter:
    """Injects the fault the header or the route rules ask for."""

    name = "fault"
    kind: Kind = "inbound"
    order = 60

    def __init__(self, injector: FaultInjector) -> None:
        self.injector = injector
        self.injected = 0  # requests given a fault, for metrics

    def should_apply(self, ctx: RequestContext) -> bool:
        return ctx.route is not None and self.injector.active

    def apply(self, ctx: RequestContext) -> Awaitable[None] | None:
        route = ctx.route
        assert route is not None
        try:
            fault = self.injector.decide(route.prefix, ctx.header(FAULT_HEADER))
        except ValueError as exc:
            ctx.response = error_response(400, "BadFault", str(exc))
            return None
        if fault.delay_s <= 0.0 and fault.abort_status is None:
            return None
        self.injected += 1
        ctx.fault = fault
        if fault.delay_s > 0.0:
            return self._delay_then_abort(ctx, fault.delay_s, fault.abort_status)
        self._abort(ctx, fault.abort_status)
        return None

    async def _delay_then_abort(
        self, ctx: RequestContext, delay_s: float, status: int | None
    ) -> None:
        await asyncio.sleep(delay_s)
        self._abort(ctx, status)

    @staticmethod
    def _abort(ctx: RequestContext, status: int | None) -> None:
        if status is not None:
            response = error_response(status, "InjectedFault", f"fault injected: abort={status}")
            response.headers.append((b"x-reelstack-fault-injected", b"abort=%d" % status))
            ctx.response = response
