"""Authentication (inbound): a bearer token on every route that is not public.

A valid token's account, profile, roles and profile maturity go to the
service as ``X-Account-Id``, ``X-Profile-Id``, ``X-Roles`` and ``X-Maturity``
(the client's own copies were already removed); a route that names roles
(``role=studio``) answers 403 to a caller holding none of them, and the token
itself is not forwarded (the proxy leaves out the Authorization header
of an authenticated request): services trust the gateway's headers, and a
token that never reaches them cannot leak from them. A missing, expired,
malformed or forged token is answered with 401 and a ``WWW-Authenticate``
challenge (RFC 6750).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable

from reelstack.gateway.auth import AuthError, TokenVerifier
from reelstack.gateway.filters import Kind
from reelstack.gateway.jwks import JwksFetcher
from reelstack.gateway.models import (
    ACCOUNT_HEADER,
    MATURITY_HEADER,
    PROFILE_HEADER,
    ROLES_HEADER,
    Principal,
    RequestContext,
)
from reelstack.gateway.responses import error_response

AUTHORIZATION = b"authorization"
LOG_EVERY_S = 10.0
"""A refused token is logged at most this often per reason: a flood must not flood the log."""

log = logging.getLogger(__name__)


class AuthFilter:
    """Checks the bearer token of requests to non-public routes."""

    name = "auth"
    kind: Kind = "inbound"
    order = 40

    def __init__(self, verifier: TokenVerifier, fetcher: JwksFetcher | None = None) -> None:
        self.verifier = verifier
        self.fetcher = fetcher
        self.failures: dict[str, int] = {}  # refusals by reason, for metrics
        self._logged: dict[str, float] = {}

    def should_apply(self, ctx: RequestContext) -> bool:
        route = ctx.route
        if route is None or route.public:
            return False
        # Methods the route opens to anyone: a caller without a token is
        # anonymous; one with a token is checked like everywhere else.
        return ctx.method not in route.public_methods or _has_authorization(ctx)

    def apply(self, ctx: RequestContext) -> Awaitable[None] | None:
        token = _bearer(ctx)
        if token is None:
            self._refuse(ctx, AuthError("a bearer token is required", code=None), "missing")
            return None
        try:
            principal = self.verifier.verify(token)
        except AuthError as exc:
            if self.fetcher is not None and self.verifier.needs_key(token) is not None:
                # Signed with a key we have not seen: the identity service may
                # have rotated its keys. Fetch them (rate-limited) and retry.
                return self._verify_after_fetch(ctx, token, exc)
            self._refuse(ctx, exc, "invalid")
            return None
        self._accept(ctx, principal)
        return None

    async def _verify_after_fetch(
        self, ctx: RequestContext, token: bytes, first: AuthError
    ) -> None:
        assert self.fetcher is not None
        if await self.fetcher.refresh_for_unknown_key():
            try:
                principal = self.verifier.verify(token)
            except AuthError as exc:
                self._refuse(ctx, exc, "invalid")
                return
            self._accept(ctx, principal)
            return
        self._refuse(ctx, first, "invalid")

    def _accept(self, ctx: RequestContext, principal: Principal) -> None:
        route = ctx.route
        if (
            route is not None
            and route.roles
            and ctx.method not in route.public_methods
            and not principal.roles & route.roles
        ):
            # Known, but not allowed here: 403, not a challenge to sign in again.
            self.failures["role"] = self.failures.get("role", 0) + 1
            needed = " or ".join(sorted(route.roles))
            ctx.response = error_response(403, "Forbidden", f"this route needs the role {needed}")
            return
        ctx.principal = principal
        ctx.upstream_headers.append((ACCOUNT_HEADER, principal.account.encode("ascii")))
        if principal.profile is not None:
            ctx.upstream_headers.append((PROFILE_HEADER, principal.profile.encode("ascii")))
        if principal.roles_header:
            ctx.upstream_headers.append((ROLES_HEADER, principal.roles_header))
        if principal.maturity:
            ctx.upstream_headers.append((MATURITY_HEADER, principal.maturity))

    def _refuse(self, ctx: RequestContext, error: AuthError, reason: str) -> None:
        self.failures[reason] = self.failures.get(reason, 0) + 1
        if reason != "missing":
            now = time.monotonic()
            if now - self._logged.get(reason, -LOG_EVERY_S) >= LOG_EVERY_S:
                self._logged[reason] = now
                log.warning(
                    "token refused (%s): %s; %d refused for this reason so far",
                    reason,
                    error.description,
                    self.failures[reason],
                )
        response = error_response(401, "Unauthorized", error.description)
        response.headers.append((b"www-authenticate", error.challenge()))
        ctx.response = response


def _has_authorization(ctx: RequestContext) -> bool:
    return any(name == AUTHORIZATION for name, _ in ctx.headers)


def _bearer(ctx: RequestContext) -> bytes | None:
    for name, value in ctx.headers:
        if name == AUTHORIZATION:
            scheme, _, token = value.partition(b" ")
            token = token.strip()
            if scheme.lower() == b"bearer" and token:
                return token
            return None
    return None
