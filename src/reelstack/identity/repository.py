"""Storage of the identity service: accounts, signing keys, refresh tokens, failed sign-ins.

The tables are created by the service's Alembic branch (``identity/migrations``);
this is SQLAlchemy Core's view of them, declared on the shared metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.db import UtcDateTime, metadata
from reelstack.identity.models import DEFAULT_PLAN, Account, PlanName, parse_roles

accounts = Table(
    "identity_accounts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("roles", String(100), nullable=False),
    Column("plan", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

plan_changes = Table(
    "identity_plan_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(32), nullable=False, index=True),
    Column("from_plan", String(16), nullable=False),
    Column("to_plan", String(16), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

signing_keys = Table(
    "identity_signing_keys",
    metadata,
    Column("kid", String(32), primary_key=True),
    Column("private_pem", LargeBinary(), nullable=False),
    Column("public_jwk", Text(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # Set when a newer key takes over; the key is published until its last token expires.
    Column("retired_at", UtcDateTime(), nullable=True),
)

refresh_tokens = Table(
    "identity_refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("family", String(32), nullable=False, index=True),
    Column("account_id", String(32), nullable=False, index=True),
    Column("family_started_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    # The profile the session's access tokens name (None: none chosen yet).
    Column("profile_id", String(32), nullable=True),
)

failed_signins = Table(
    "identity_failed_signins",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_identity_failed_signins_key_at", "key", "at"),
)


# -- accounts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredAccount:
    account: Account
    password_hash: str


def _account(row: Any) -> StoredAccount:
    return StoredAccount(
        Account(id=row.id, email=row.email, roles=parse_roles(row.roles)), row.password_hash
    )


async def add_account(
    session: AsyncSession, *, account: Account, password_hash: str, at: datetime
) -> None:
    """Insert an account (a taken email is a ConflictError from the port)."""
    await session.execute(
        insert(accounts).values(
            id=account.id,
            email=account.email,
            password_hash=password_hash,
            roles=",".join(account.roles),
            plan=DEFAULT_PLAN.value,
            created_at=at,
        )
    )


async def account_by_email(session: AsyncSession, email: str) -> StoredAccount | None:
    """Return the account with this (normalized) email, or None."""
    row = (await session.execute(select(accounts).where(accounts.c.email == email))).first()
    return None if row is None else _account(row)


async def account_by_id(session: AsyncSession, account_id: str) -> StoredAccount | None:
    """Return the account with this id, or None."""
    row = (await session.execute(select(accounts).where(accounts.c.id == account_id))).first()
    return None if row is None else _account(row)


async def account_and_plan(
    session: AsyncSession, account_id: str
) -> tuple[Account, PlanName] | None:
    """Return the account with this id and its plan's name from one row, or None."""
    found = (
        await session.execute(
            select(accounts.c.id, accounts.c.email, accounts.c.roles, accounts.c.plan).where(
                accounts.c.id == account_id
            )
        )
    ).first()
    if found is None:
        return None
    account = Account(id=found.id, email=found.email, roles=parse_roles(found.roles))
    return account, PlanName(found.plan)


async def list_accounts(session: AsyncSession, *, limit: int) -> list[Account]:
    """Return up to ``limit`` accounts, oldest first."""
    rows = await session.execute(select(accounts).order_by(accounts.c.created_at).limit(limit))
    return [_account(row).account for row in rows]


async def set_password_hash(session: AsyncSession, account_id: str, password_hash: str) -> None:
    """Replace an account's stored hash (after a parameter upgrade)."""
    await session.execute(
        update(accounts).where(accounts.c.id == account_id).values(password_hash=password_hash)
    )


async def set_roles(session: AsyncSession, account_id: str, roles: str) -> int:
    """Replace an account's roles; return how many rows changed (0: no such account)."""
    result = await session.execute(
        update(accounts).where(accounts.c.id == account_id).values(roles=roles)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def plan_of(session: AsyncSession, account_id: str) -> PlanName | None:
    """Return an account's plan, or None if there is no such account."""
    found = (
        await session.execute(select(accounts.c.plan).where(accounts.c.id == account_id))
    ).scalar_one_or_none()
    return None if found is None else PlanName(found)


async def set_plan(
    session: AsyncSession, account_id: str, *, old: PlanName, new: PlanName, at: datetime
) -> None:
    """Move an account from ``old`` to ``new`` and record the change."""
    await session.execute(
        update(accounts).where(accounts.c.id == account_id).values(plan=new.value)
    )
    await session.execute(
        insert(plan_changes).values(
            account_id=account_id, from_plan=old.value, to_plan=new.value, at=at
        )
    )


# -- signing keys -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredKey:
    kid: str
    private_pem: bytes
    public_jwk: str
    created_at: datetime
    retired_at: datetime | None


def _key(row: Any) -> StoredKey:
    return StoredKey(row.kid, row.private_pem, row.public_jwk, row.created_at, row.retired_at)


async def current_key(session: AsyncSession) -> StoredKey | None:
    """Return the newest key not retired, or None."""
    row = (
        await session.execute(
            select(signing_keys)
            .where(signing_keys.c.retired_at.is_(None))
            .order_by(signing_keys.c.created_at.desc(), signing_keys.c.kid)
            .limit(1)
        )
    ).first()
    return None if row is None else _key(row)


async def key_by_id(session: AsyncSession, kid: str) -> StoredKey | None:
    """Return the key ``kid``, or None."""
    row = (await session.execute(select(signing_keys).where(signing_keys.c.kid == kid))).first()
    return None if row is None else _key(row)


async def published_keys(session: AsyncSession, *, retired_after: datetime) -> list[StoredKey]:
    """Return the keys not retired, or retired after ``retired_after``, newest first."""
    rows = await session.execute(
        select(signing_keys)
        .where(signing_keys.c.retired_at.is_(None) | (signing_keys.c.retired_at > retired_after))
        .order_by(signing_keys.c.created_at.desc())
    )
    return [_key(row) for row in rows]


async def add_key(session: AsyncSession, key: StoredKey) -> None:
    """Insert a signing key."""
    await session.execute(
        insert(signing_keys).values(
            kid=key.kid,
            private_pem=key.private_pem,
            public_jwk=key.public_jwk,
            created_at=key.created_at,
            retired_at=key.retired_at,
        )
    )


async def retire_keys(session: AsyncSession, *, at: datetime) -> None:
    """Mark every key not yet retired as retired at ``at``."""
    await session.execute(
        update(signing_keys).where(signing_keys.c.retired_at.is_(None)).values(retired_at=at)
    )


# -- refresh tokens ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredRefresh:
    token_hash: str
    family: str
    account_id: str
    family_started_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    profile_id: str | None = None


async def add_refresh(session: AsyncSession, token: StoredRefresh) -> None:
    """Insert a refresh token (its hash)."""
    await session.execute(
        insert(refresh_tokens).values(
            token_hash=token.token_hash,
            family=token.family,
            account_id=token.account_id,
            family_started_at=token.family_started_at,
            expires_at=token.expires_at,
            used_at=token.used_at,
            revoked_at=token.revoked_at,
            profile_id=token.profile_id,
        )
    )


async def refresh_by_hash(session: AsyncSession, token_hash: str) -> StoredRefresh | None:
    """Return the refresh token with this hash, or None."""
    row = (
        await session.execute(
            select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        )
    ).first()
    if row is None:
        return None
    return StoredRefresh(
        row.token_hash,
        row.family,
        row.account_id,
        row.family_started_at,
        row.expires_at,
        row.used_at,
        row.revoked_at,
        row.profile_id,
    )


async def mark_used(session: AsyncSession, token_hash: str, *, at: datetime) -> None:
    """Record that a refresh token was exchanged for a new one."""
    await session.execute(
        update(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash).values(used_at=at)
    )


async def revoke_family(session: AsyncSession, family: str, *, at: datetime) -> None:
    """Revoke every token of a family (a session)."""
    await session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.family == family, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )


async def revoke_account(session: AsyncSession, account_id: str, *, at: datetime) -> None:
    """Revoke every refresh token of an account (every session)."""
    await session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.account_id == account_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )


# -- failed sign-ins --------------------------------------------------------------------


async def add_failure(session: AsyncSession, *, keys: list[str], at: datetime) -> None:
    """Record one failed sign-in under each throttle key."""
    await session.execute(insert(failed_signins), [{"key": key, "at": at} for key in keys])


async def failures_since(
    session: AsyncSession, key: str, since: datetime
) -> tuple[int, datetime | None]:
    """Return how many failures ``key`` has since ``since`` and the oldest of them."""
    where = (failed_signins.c.key == key, failed_signins.c.at > since)
    count = (await session.execute(select(func.count()).where(*where))).scalar_one()
    oldest = (
        await session.execute(
            select(failed_signins.c.at).where(*where).order_by(failed_signins.c.at).limit(1)
        )
    ).scalar_one_or_none()
    return int(count), oldest


async def forget_failures(
    session: AsyncSession, *, key: str | None = None, before: datetime | None = None
) -> None:
    """Delete the failures of ``key``, or every failure older than ``before``."""
    stmt = delete(failed_signins)
    if key is not None:
        stmt = stmt.where(failed_signins.c.key == key)
    if before is not None:
        stmt = stmt.where(failed_signins.c.at <= before)
    await session.execute(stmt)
