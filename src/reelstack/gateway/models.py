"""The gateway's domain types: routes, the request context, responses. No I/O.

A request crosses the gateway as one :class:`RequestContext`: the front end
(the HTTP server) fills in what the client sent, inbound filters add what
they learn (the route, the caller, a fault to inject) or answer early by
setting ``response``, the endpoint produces the :class:`GatewayResponse`, and
outbound filters adjust it before it is written.

Header names are lower-case bytes and values are bytes, as they arrive from
the parser: the hot path never decodes a header it only passes along.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from reelstack.chassis.routing import Route

if TYPE_CHECKING:
    from reelstack.gateway.passport import Passport

Headers = list[tuple[bytes, bytes]]

# Hop-by-hop headers (RFC 9110 7.6.1): they describe one connection, so a
# proxy never forwards them. Headers named in Connection are dropped too.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)

# Headers only the gateway may set on a request to a service: whoever the
# caller is, a client's copies are removed before anything else looks.
ACCOUNT_HEADER = b"x-account-id"
PROFILE_HEADER = b"x-profile-id"
ROLES_HEADER = b"x-roles"
MATURITY_HEADER = b"x-maturity"  # the profile's maturity level
REGION_HEADER = b"x-region"  # the viewer's region (filters/region.py)
IDENTITY_HEADERS = frozenset(
    {ACCOUNT_HEADER, PROFILE_HEADER, ROLES_HEADER, MATURITY_HEADER, REGION_HEADER}
)
FAULT_HEADER = b"x-reelstack-fault"
DEBUG_HEADER = b"x-reelstack-debug"
PASSPORT_HEADER = b"x-reelstack-passport"

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller a valid token names."""

    account: str
    profile: str | None
    claims_exp: float  # the token's expiry, seconds since the epoch
    roles: frozenset[str] = frozenset()  # the token's ``roles`` claim
    # ``X-Roles`` as sent to services, made once per token (principals are cached).
    roles_header: bytes = b""
    # The profile's maturity level (the token's ``maturity`` claim), sent as X-Maturity.
    maturity: bytes = b""


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault to inject into one request: a delay, an error status, or both."""

    delay_s: float = 0.0
    abort_status: int | None = None
    source: str = "header"  # "header" or "route"


class BodySource(Protocol):
    """The request body, read chunk by chunk."""

    async def read(self) -> bytes:
        """Return the next chunk, or ``b""`` once the body has ended."""
        ...

    def expected(self) -> int | None:
        """Return the declared length, None when chunked."""
        ...


class BodyStream(Protocol):
    """A response body produced while it is written."""

    async def read(self) -> bytes:
        """Return the next chunk, or ``b""`` once the body has ended."""
        ...

    def close(self, complete: bool) -> None:
        """Release what the stream holds; ``complete`` says the whole body was read."""
        ...


@dataclass(slots=True)
class GatewayResponse:
    """What the gateway answers: status, headers, and a body in memory or streamed.

    ``headers`` never hold Content-Length or Transfer-Encoding: the server
    writes the framing, from ``len(body)`` or from ``length`` for a stream
    (None: the length is unknown and the body is sent chunked).
    """

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    stream: BodyStream | None = None
    length: int | None = None


class Endpoint(Protocol):
    """What answers a request once the inbound filters have run (Zuul's endpoint filter).

    The routing filter sets one on the context as an object, never by name.
    """

    name: str
    kind: str  # "endpoint"

    def handle(self, ctx: RequestContext) -> Awaitable[GatewayResponse]:
        """Return the response to ``ctx``."""
        ...


@dataclass(slots=True, eq=False)
class RequestContext:
    """Everything the gateway knows about one request while it is handled."""

    method: str
    path: str  # percent-encoded, as received, without the query
    query: bytes  # without the "?"
    headers: Headers  # lower-case names, as received
    client: str  # the peer's address
    http_version: str
    request_id: str
    passport: Passport
    body: BodySource | None = None  # None: the request has no body
    content_length: int | None = None
    host: bytes = b""
    route: Route | None = None
    endpoint: Endpoint | None = None
    principal: Principal | None = None
    fault: Fault | None = None
    response: GatewayResponse | None = None  # set by a filter: answer without the endpoint
    upstream_headers: Headers = field(default_factory=list)  # added on the way to the service
    debug: bool = False
    max_body_bytes: int = 0

    def header(self, name: bytes) -> bytes | None:
        """Return the first value of header ``name`` (lower-case), if any."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def route_label(self) -> str:
        """The label of this request's route in metrics and logs."""
        if self.route is not None:
            return self.route.prefix
        if self.endpoint is not None:
            return self.endpoint.name
        return "<unmatched>"
