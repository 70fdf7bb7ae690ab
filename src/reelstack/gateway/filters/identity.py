"""Identity headers (inbound): a client's copies of X-Account-Id, X-Profile-Id, X-Roles,
X-Maturity and X-Region go.

Services trust these headers because only the gateway sets them, from a
verified token. A client that sends its own copy, hoping to be taken for
another account, has it removed here, before any other filter runs and
whatever the route (a public route must not carry a forged identity either).
"""

from __future__ import annotations

from reelstack.gateway.filters import Kind
from reelstack.gateway.models import IDENTITY_HEADERS, RequestContext


class StripIdentityHeadersFilter:
    """Removes incoming identity headers."""

    name = "strip_identity"
    kind: Kind = "inbound"
    order = 5

    def should_apply(self, ctx: RequestContext) -> bool:
        return True

    def apply(self, ctx: RequestContext) -> None:
        headers = ctx.headers
        for name, _ in headers:
            if name in IDENTITY_HEADERS:
                ctx.headers = [(n, v) for n, v in headers if n not in IDENTITY_HEADERS]
                return
