"""Who a request is for: the identity headers the gateway sets from a verified token.

The gateway drops a client's own copies of these headers and sets them from
the token it verified: ``x-account-id``, ``x-profile-id`` (a profile token),
``x-roles``, ``x-maturity`` (the profile's level) and ``x-region`` (from the
client's network). A service behind it reads them once, as a :class:`Caller`
(``CallerDep`` in a route), and forwards the same headers when it asks
another service on the caller's behalf (:meth:`Caller.headers`), so every
service judges the same caller the same way.

An account or profile that cannot be an id (too long, other characters) is
treated as absent: a request that did not come through the gateway names
nobody, and what that means is each service's to say (401, 404, or a public
read). A maturity or region that is present but malformed is refused (400),
never read as absent: an absent maturity may mean "no limit" to a service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from reelstack.errors import InvalidRequestError

ACCOUNT = "x-account-id"
PROFILE = "x-profile-id"
ROLES = "x-roles"
MATURITY = "x-maturity"
REGION = "x-region"
IDENTITY_HEADERS = (ACCOUNT, PROFILE, ROLES, MATURITY, REGION)

NO_ACCOUNT = "no account: the gateway's x-account-id header is missing"

_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_WORD = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _id(value: str | None) -> str | None:
    return value if value is not None and _ID.fullmatch(value) else None


def _word(value: str | None, name: str) -> str | None:
    if value is None or _WORD.fullmatch(value):
        return value
    raise InvalidRequestError(f"{name} must be a word of up to 32 letters, digits, - or _")


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller as the gateway named it; every field may be absent."""

    account: str | None = None
    profile: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    maturity: str | None = None
    region: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Caller:
        """Read the identity headers (names in lower case, as ASGI gives them)."""
        raw_roles = headers.get(ROLES) or ""
        roles = frozenset(
            role for part in raw_roles.split(",") if (role := _word(part.strip() or None, ROLES))
        )
        return cls(
            account=_id(headers.get(ACCOUNT)),
            profile=_id(headers.get(PROFILE)),
            roles=roles,
            maturity=_word(headers.get(MATURITY), MATURITY),
            region=_word(headers.get(REGION), REGION),
        )

    def headers(self) -> dict[str, str]:
        """Return the identity headers to forward to another service for this caller."""
        out: dict[str, str] = {}
        if self.account is not None:
            out[ACCOUNT] = self.account
        if self.profile is not None:
            out[PROFILE] = self.profile
        if self.roles:
            out[ROLES] = ",".join(sorted(self.roles))
        if self.maturity is not None:
            out[MATURITY] = self.maturity
        if self.region is not None:
            out[REGION] = self.region
        return out

    def require_account(self) -> str:
        """Return the account, or refuse with 401 (only a request around the gateway has none)."""
        if self.account is None:
            raise HTTPException(401, NO_ACCOUNT)
        return self.account


async def get_caller(request: Request) -> Caller:
    """FastAPI dependency: the request's caller."""
    return Caller.from_headers(request.headers)


CallerDep = Annotated[Caller, Depends(get_caller)]
