"""The identity service's spec."""

from __future__ import annotations

from reelstack.chassis.spec import ServiceSpec

SPEC = ServiceSpec(
    name="identity",
    app="reelstack.identity.app:create_app",
    ports=("sql",),
    settings="reelstack.identity.settings",
    migrations="identity",
    # Sign-up, sign-in, refresh and sign-out are POSTs a caller makes without
    # an access token; every other route needs one, and routes that act for
    # an account refuse a request without the gateway's x-account-id.
    routes=("/api/identity;public=POST;rewrite=/identity",),
)
