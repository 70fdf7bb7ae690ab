"""Use cases of profiles: up to five per account, at most one for kids, an optional PIN.

Every use case takes the caller's account id and looks profiles up scoped to
it, so another account's profile id is "not found", never "forbidden". Who
may manage the account's profiles and plan at all is :func:`check_manager`'s
question, asked by the REST routes and the subgraph before each change.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from reelstack.identity import profile_repository as repo
from reelstack.identity.context import IdentityContext
from reelstack.identity.models import MAX_PROFILES, Maturity, Profile, check_profile

NOT_FOUND = "no such profile"
NOT_A_MANAGER = (
    "a profile below adults' maturity cannot manage profiles or the plan"
    " (switch to an adult profile)"
)


@dataclass(frozen=True)
class ProfileChanges:
    """What a change sets; a field left None is kept, ``pin`` in ``clear`` is removed."""

    name: str | None = None
    avatar: str | None = None
    language: str | None = None
    maturity: Maturity | None = None
    kids: bool | None = None
    pin: str | None = None
    clear: frozenset[str] = field(default_factory=frozenset)


def _check_pin(pin: str) -> None:
    if len(pin) != 4 or not pin.isascii() or not pin.isdigit():
        raise InvalidRequestError("pin: exactly 4 digits")


async def create(
    *,
    ctx: IdentityContext,
    account_id: str,
    name: str,
    avatar: str,
    language: str,
    maturity: Maturity,
    kids: bool,
    pin: str | None,
) -> Profile:
    """Create a profile (ConflictError past five, or for a second kids profile)."""
    check_profile(kids=kids, maturity=maturity)
    pin_hash = None
    if pin is not None:
        _check_pin(pin)
        pin_hash = await asyncio.to_thread(ctx.passwords.hash, pin)
    profile = Profile(
        id=uuid.uuid4().hex,
        account_id=account_id,
        name=name,
        avatar=avatar,
        language=language,
        maturity=maturity,
        kids=kids,
        has_pin=pin_hash is not None,
    )
    now = ctx.clock()

    async def work(session: AsyncSession) -> None:
        # In one SERIALIZABLE transaction: two concurrent creations cannot both pass.
        if await repo.count(session, account_id) >= MAX_PROFILES:
            raise ConflictError(f"an account has at most {MAX_PROFILES} profiles")
        if kids and await repo.count(session, account_id, kids=True):
            raise ConflictError("an account has at most one kids profile")
        await repo.add(session, profile=profile, pin_hash=pin_hash, at=now)

    await ctx.db.transaction(work)
    return profile


async def list_profiles(*, ctx: IdentityContext, account_id: str) -> list[Profile]:
    """Return the account's profiles."""
    async with ctx.db.session() as session:
        return await repo.of_account(session, account_id)


async def get(*, ctx: IdentityContext, account_id: str, profile_id: str) -> Profile:
    """Return the account's profile (NotFoundError for another account's)."""
    async with ctx.db.session() as session:
        found = await repo.get(session, account_id=account_id, profile_id=profile_id)
    if found is None:
        raise NotFoundError(NOT_FOUND)
    return found[0]


async def change(
    *, ctx: IdentityContext, account_id: str, profile_id: str, changes: ProfileChanges
) -> Profile:
    """Change the account's profile; the kids rules are checked on the result."""
    pin_hash = None
    if changes.pin is not None:
        _check_pin(changes.pin)
        pin_hash = await asyncio.to_thread(ctx.passwords.hash, changes.pin)

    async def work(session: AsyncSession) -> Profile:
        found = await repo.get(session, account_id=account_id, profile_id=profile_id)
        if found is None:
            raise NotFoundError(NOT_FOUND)
        current = found[0]
        values: dict[str, Any] = {}
        for name in ("name", "avatar", "language", "maturity", "kids"):
            value = getattr(changes, name)
            if value is not None:
                values[name] = value
        updated = replace(current, **values)
        check_profile(kids=updated.kids, maturity=updated.maturity)
        if updated.kids and not current.kids and await repo.count(session, account_id, kids=True):
            raise ConflictError("an account has at most one kids profile")
        if pin_hash is not None:
            values["pin_hash"] = pin_hash
            updated = replace(updated, has_pin=True)
        elif "pin" in changes.clear:
            values["pin_hash"] = None
            updated = replace(updated, has_pin=False)
        if "maturity" in values:
            values["maturity"] = updated.maturity.value
        if values:
            await repo.change(session, account_id=account_id, profile_id=profile_id, values=values)
        return updated

    return await ctx.db.transaction(work)


async def delete(*, ctx: IdentityContext, account_id: str, profile_id: str) -> None:
    """Delete the account's profile (NotFoundError for another account's)."""

    async def work(session: AsyncSession) -> int:
        return await repo.remove(session, account_id=account_id, profile_id=profile_id)

    if not await ctx.db.transaction(work):
        raise NotFoundError(NOT_FOUND)


async def check_manager(*, ctx: IdentityContext, account_id: str, profile_id: str | None) -> None:
    """Refuse (ForbiddenError) a token of a profile below adults' maturity managing the account.

    A profile's session stays in that profile, and entering another asks for
    its PIN; but a kids profile allowed to manage could make an adult profile
    without a PIN, take a sibling's PIN off, or raise its own maturity, and
    then enter it. A token of an adult profile may manage, and so may one
    naming no profile (only the account's password gives that).
    """
    if profile_id is None:
        return
    async with ctx.db.session() as session:
        found = await repo.get(session, account_id=account_id, profile_id=profile_id)
    if found is None:
        raise NotFoundError(NOT_FOUND)  # the token's profile was deleted since
    if found[0].maturity != Maturity.ADULTS:
        raise ForbiddenError(NOT_A_MANAGER)


async def check_entry(
    *, ctx: IdentityContext, account_id: str, profile_id: str, pin: str | None
) -> bool:
    """Return whether ``pin`` opens the account's profile (NotFoundError for another's)."""
    async with ctx.db.session() as session:
        found = await repo.get(session, account_id=account_id, profile_id=profile_id)
    if found is None:
        raise NotFoundError(NOT_FOUND)
    pin_hash = found[1]
    if pin_hash is None:
        return True
    if pin is None:
        return False
    return await asyncio.to_thread(ctx.passwords.verify, pin_hash, pin)
