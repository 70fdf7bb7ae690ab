"""Bodies (inbound): a body on a method that takes none is refused with 400.

GET, HEAD, OPTIONS, TRACE and DELETE carry no body any reelstack service
reads (RFC 9110 gives GET, HEAD and DELETE bodies no meaning, forbids one on
TRACE). A body there is either a mistake or an attempt to hide a second
request from a parser that ignores it, so it is refused before anything is
read or forwarded; ``Content-Length: 0`` is not a body and passes. 400
rather than 413 (the size is not the problem) or 411 (no length is missing).
The connection closes after the answer: the unread body must not be taken
for the next request.
"""

from __future__ import annotations

from reelstack.gateway.filters import Kind
from reelstack.gateway.front import BODY_NOT_ALLOWED, Refusals
from reelstack.gateway.models import RequestContext
from reelstack.gateway.responses import error_response

NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "DELETE"})


class NoBodyFilter:
    """Answers 400 to a request whose method takes no body but which has one."""

    name = "no_body"
    kind: Kind = "inbound"
    order = 3

    def __init__(self, refusals: Refusals) -> None:
        self.refusals = refusals

    def should_apply(self, ctx: RequestContext) -> bool:
        return ctx.body is not None and ctx.method in NO_BODY_METHODS

    def apply(self, ctx: RequestContext) -> None:
        detail = f"{ctx.method} requests take no body"
        self.refusals.refuse(BODY_NOT_ALLOWED, ctx.client, detail)
        ctx.response = error_response(400, "BodyNotAllowed", detail)
