"""The gateway's filters, one module each (Zuul's inbound and outbound filters).

Every filter is an object with ``name``, ``kind`` (``"inbound"`` or
``"outbound"``), ``order`` (lower runs first), ``should_apply(ctx)`` and
``apply(ctx)``. ``apply`` returns None, or an awaitable when it has to wait
(a fault's delay, a key set fetch): most filters never wait, and not making
them coroutines saves a coroutine per filter per request. An inbound filter
answers a request early by setting ``ctx.response``; the endpoint is then
skipped and the outbound filters still run.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Literal, Protocol

from reelstack.gateway.models import RequestContext

Kind = Literal["inbound", "outbound"]


class Filter(Protocol):
    """One step of the gateway's filter chain."""

    name: str
    kind: Kind
    order: int

    def should_apply(self, ctx: RequestContext) -> bool:
        """Return whether this filter has anything to do for ``ctx``."""
        ...

    def apply(self, ctx: RequestContext) -> Awaitable[None] | None:
        """Do the filter's work; return an awaitable only when it must wait."""
        ...
