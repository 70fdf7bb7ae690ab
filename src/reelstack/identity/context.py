"""What every identity use case works with: the store, the hasher, the signer, the limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends

from reelstack import settings
from reelstack.chassis.route_deps import context_dep
from reelstack.config import Config
from reelstack.identity import settings as s
from reelstack.identity.keys import Signer
from reelstack.identity.passwords import Passwords
from reelstack.ports import Database


def utc_now() -> datetime:
    """Return the current time, timezone-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Limits:
    """Token lifetimes and sign-in throttling, in seconds and counts (from the settings)."""

    access_ttl_s: int
    refresh_idle_s: int
    session_max_s: int
    issuer: str
    audience: str
    throttle_window_s: int
    throttle_per_account: int
    throttle_per_address: int

    @classmethod
    def from_config(cls, config: Config) -> Limits:
        """Read the ``identity.*`` settings."""
        return cls(
            access_ttl_s=config.get(s.IDENTITY_ACCESS_TTL_S),
            refresh_idle_s=config.get(s.IDENTITY_REFRESH_IDLE_S),
            session_max_s=config.get(s.IDENTITY_SESSION_MAX_S),
            issuer=config.get(settings.TOKEN_ISSUER),
            audience=config.get(settings.TOKEN_AUDIENCE),
            throttle_window_s=config.get(s.IDENTITY_THROTTLE_WINDOW_S),
            throttle_per_account=config.get(s.IDENTITY_THROTTLE_PER_ACCOUNT),
            throttle_per_address=config.get(s.IDENTITY_THROTTLE_PER_ADDRESS),
        )


@dataclass
class IdentityContext:
    """The identity service's ports and helpers, for one process."""

    db: Database
    passwords: Passwords
    limits: Limits
    signer: Signer = field(default_factory=Signer)
    clock: Callable[[], datetime] = utc_now
    jwks_file: str = ""
    """Where the public keys are published for the gateway (empty: nowhere)."""

    @classmethod
    def build(cls, config: Config, *, db: Database) -> IdentityContext:
        """Assemble the context from settings and the opened store."""
        passphrase = config.get(s.IDENTITY_KEY_PASSPHRASE).reveal().encode()
        return cls(
            db=db,
            passwords=Passwords.from_config(config),
            limits=Limits.from_config(config),
            signer=Signer(passphrase),
            jwks_file=config.get(settings.JWKS_FILE),
        )


IdentityDep = Annotated[IdentityContext, Depends(context_dep(IdentityContext))]
