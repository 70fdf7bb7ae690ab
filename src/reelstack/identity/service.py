"""Use cases of the identity service: accounts, sessions, signing keys."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.errors import InvalidRequestError, NotFoundError, ReelstackError
from reelstack.identity import keys, profiles, repository, throttle
from reelstack.identity import profile_repository as profile_repo
from reelstack.identity.context import IdentityContext
from reelstack.identity.models import Account, Profile, Role, check_password, normalize_email

log = logging.getLogger(__name__)

# A key retired this long ago still has tokens in flight for at most the
# access lifetime; the margin covers the gateway's leeway and clock skew.
PUBLISH_MARGIN_S = 60


class NotAuthenticatedError(ReelstackError):
    """Wrong credentials, or a refresh token that is unknown, expired, used or revoked (401)."""


@dataclass(frozen=True, slots=True)
class Tokens:
    """What a sign-in or a refresh returns."""

    access_token: str
    expires_in: int
    refresh_token: str


def _hash_refresh(token: str) -> str:
    # The token is 256 random bits: a fast hash is enough to make a leaked
    # table useless, and lets the token be looked up by its hash.
    return hashlib.sha256(token.encode()).hexdigest()


async def sign_up(
    *, ctx: IdentityContext, email: str, password: str, roles: tuple[Role, ...] = (Role.VIEWER,)
) -> Account:
    """Create an account (ConflictError if the email is taken)."""
    email = normalize_email(email)
    check_password(password, email=email)
    account = Account(id=uuid.uuid4().hex, email=email, roles=roles)
    # argon2 takes tens of ms of CPU: off the event loop.
    password_hash = await asyncio.to_thread(ctx.passwords.hash, password)
    now = ctx.clock()

    async def work(session: AsyncSession) -> None:
        await repository.add_account(session, account=account, password_hash=password_hash, at=now)

    await ctx.db.transaction(work)
    return account


async def sign_in(
    *, ctx: IdentityContext, email: str, password: str, address: str | None
) -> Tokens:
    """Check the credentials and start a session; throttle failures per email and address."""
    try:
        email = normalize_email(email)
    except ReelstackError:
        raise NotAuthenticatedError("wrong email or password") from None
    now = ctx.clock()
    async with ctx.db.session() as session:
        await throttle.check(session, limits=ctx.limits, subject=email, address=address, now=now)
        stored = await repository.account_by_email(session, email)
    known = None if stored is None else stored.password_hash
    if not await asyncio.to_thread(ctx.passwords.verify, known, password):

        async def failed(session: AsyncSession) -> None:
            await throttle.record_failure(
                session, limits=ctx.limits, subject=email, address=address, now=now
            )

        await ctx.db.transaction(failed)
        raise NotAuthenticatedError("wrong email or password")
    assert stored is not None
    account = stored.account
    rehash = None
    if ctx.passwords.needs_rehash(stored.password_hash):
        rehash = await asyncio.to_thread(ctx.passwords.hash, password)
    refresh = secrets.token_urlsafe(32)

    async def start(session: AsyncSession) -> None:
        if rehash is not None:
            await repository.set_password_hash(session, account.id, rehash)
        await repository.forget_failures(session, key=f"account:{email}")
        await repository.add_refresh(
            session,
            _new_refresh(ctx, refresh, family=uuid.uuid4().hex, account=account.id, started=now),
        )

    await ctx.db.transaction(start)
    return Tokens(await _access_token(ctx, account), ctx.limits.access_ttl_s, refresh)


def _new_refresh(
    ctx: IdentityContext, token: str, *, family: str, account: str, started: datetime
) -> repository.StoredRefresh:
    now = ctx.clock()
    expires = min(
        now + timedelta(seconds=ctx.limits.refresh_idle_s),
        started + timedelta(seconds=ctx.limits.session_max_s),
    )
    return repository.StoredRefresh(
        _hash_refresh(token), family, account, started, expires, None, None
    )


async def refresh(
    *,
    ctx: IdentityContext,
    refresh_token: str,
    profile_id: str | None = None,
    pin: str | None = None,
) -> Tokens:
    """Exchange a refresh token for new tokens; a reused one revokes its whole session.

    With ``profile_id`` the session switches to that profile of its account
    (NotFoundError for another account's; its PIN if it has one, wrong PINs
    throttled like passwords); without it, the session keeps its profile.
    """
    token_hash = _hash_refresh(refresh_token)
    new_token = secrets.token_urlsafe(32)
    now = ctx.clock()
    if profile_id is not None:
        await _enter_profile(ctx, token_hash, profile_id, pin, now)

    async def rotate(session: AsyncSession) -> tuple[Account | None, Profile | None, str]:
        stored = await repository.refresh_by_hash(session, token_hash)
        if stored is None:
            return None, None, "unknown refresh token"
        if stored.revoked_at is not None:
            return None, None, "the session has ended"
        if stored.used_at is not None:
            # Someone holds a token that was already exchanged: either the
            # client or a thief has the newer one. End the session for both.
            await repository.revoke_family(session, stored.family, at=now)
            log.warning("refresh token reused; session %s revoked", stored.family)
            return None, None, "refresh token reused; the session has been revoked"
        if stored.expires_at <= now:
            return None, None, "the session has expired"
        account = await repository.account_by_id(session, stored.account_id)
        if account is None:
            return None, None, "the account no longer exists"
        wanted = profile_id if profile_id is not None else stored.profile_id
        profile = None
        if wanted is not None:
            found = await profile_repo.get(
                session, account_id=account.account.id, profile_id=wanted
            )
            profile = None if found is None else found[0]
        await repository.mark_used(session, token_hash, at=now)
        fresh = _new_refresh(
            ctx,
            new_token,
            family=stored.family,
            account=stored.account_id,
            started=stored.family_started_at,
        )
        held = None if profile is None else profile.id
        await repository.add_refresh(session, replace(fresh, profile_id=held))
        return account.account, profile, ""

    account, profile, reason = await ctx.db.transaction(rotate)
    if account is None:
        raise NotAuthenticatedError(reason)
    return Tokens(await _access_token(ctx, account, profile), ctx.limits.access_ttl_s, new_token)


async def _enter_profile(
    ctx: IdentityContext, token_hash: str, profile_id: str, pin: str | None, now: datetime
) -> None:
    async with ctx.db.session() as session:
        stored = await repository.refresh_by_hash(session, token_hash)
        if stored is None:
            return  # the rotation answers for it
        key = f"pin:{profile_id}"
        await throttle.check(session, limits=ctx.limits, subject=key, address=None, now=now)
    entered = await profiles.check_entry(
        ctx=ctx, account_id=stored.account_id, profile_id=profile_id, pin=pin
    )
    if not entered:

        async def failed(session: AsyncSession) -> None:
            await throttle.record_failure(
                session, limits=ctx.limits, subject=key, address=None, now=now
            )

        await ctx.db.transaction(failed)
        raise NotAuthenticatedError("this profile needs its PIN" if pin is None else "wrong PIN")


async def sign_out(*, ctx: IdentityContext, refresh_token: str) -> None:
    """End the session a refresh token belongs to (unknown tokens are ignored)."""
    token_hash = _hash_refresh(refresh_token)
    now = ctx.clock()

    async def work(session: AsyncSession) -> None:
        stored = await repository.refresh_by_hash(session, token_hash)
        if stored is not None:
            await repository.revoke_family(session, stored.family, at=now)

    await ctx.db.transaction(work)


async def sign_out_everywhere(*, ctx: IdentityContext, account_id: str) -> None:
    """End every session of an account."""
    now = ctx.clock()

    async def work(session: AsyncSession) -> None:
        await repository.revoke_account(session, account_id, at=now)

    await ctx.db.transaction(work)


async def get_account(*, ctx: IdentityContext, account_id: str) -> Account:
    """Return an account (NotFoundError if it does not exist)."""
    async with ctx.db.session() as session:
        stored = await repository.account_by_id(session, account_id)
    if stored is None:
        raise NotFoundError("no such account")
    return stored.account


async def list_accounts(*, ctx: IdentityContext, limit: int = 1000) -> list[Account]:
    """Return up to ``limit`` accounts, oldest first."""
    async with ctx.db.session() as session:
        return await repository.list_accounts(session, limit=limit)


async def set_roles(*, ctx: IdentityContext, email: str, roles: tuple[Role, ...]) -> Account:
    """Replace the roles of the account with this email (its next access token carries them)."""
    if not roles:
        raise InvalidRequestError("an account needs at least one role")
    email = normalize_email(email)

    async def work(session: AsyncSession) -> Account:
        stored = await repository.account_by_email(session, email)
        if stored is None:
            raise NotFoundError(f"no account with email {email}")
        await repository.set_roles(session, stored.account.id, ",".join(roles))
        return replace(stored.account, roles=roles)

    return await ctx.db.transaction(work)


# -- signing keys -----------------------------------------------------------------------


async def _signing_key(ctx: IdentityContext) -> repository.StoredKey:
    async with ctx.db.session() as session:
        key = await repository.current_key(session)
    if key is not None:
        return key
    fresh = ctx.signer.new_key(at=ctx.clock())

    async def create(session: AsyncSession) -> repository.StoredKey:
        # Another instance may have made one meanwhile: use it.
        existing = await repository.current_key(session)
        if existing is not None:
            return existing
        await repository.add_key(session, fresh)
        return fresh

    made = await ctx.db.transaction(create)
    if made is fresh:
        await publish_jwks(ctx=ctx)
    return made


async def _access_token(
    ctx: IdentityContext, account: Account, profile: Profile | None = None
) -> str:
    key = await _signing_key(ctx)
    now = ctx.clock()
    claims: dict[str, Any] = {
        "sub": account.id,
        "account": account.id,
        "roles": [role.value for role in account.roles],
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int(now.timestamp()) + ctx.limits.access_ttl_s,
        "jti": secrets.token_hex(8),
    }
    if profile is not None:
        # The maturity travels with the profile so that catalog and playback
        # filter without asking identity on every request; a change to a
        # profile's maturity reaches its tokens at the next refresh.
        claims["profile"] = profile.id
        claims["maturity"] = profile.maturity.value
    claims["iss"] = ctx.limits.issuer
    claims["aud"] = ctx.limits.audience
    return ctx.signer.sign(key, claims)


async def rotate_signing_key(*, ctx: IdentityContext) -> str:
    """Make a new signing key current; the old one stays published until its tokens expire."""
    fresh = ctx.signer.new_key(at=ctx.clock())

    async def work(session: AsyncSession) -> None:
        await repository.retire_keys(session, at=fresh.created_at)
        await repository.add_key(session, fresh)

    await ctx.db.transaction(work)
    await publish_jwks(ctx=ctx)
    return fresh.kid


async def jwks(*, ctx: IdentityContext) -> dict[str, Any]:
    """Return the JWKS: the current key and those retired while their tokens may live."""
    await _signing_key(ctx)  # the set is never empty once anyone asks
    horizon = ctx.clock() - timedelta(seconds=ctx.limits.access_ttl_s + PUBLISH_MARGIN_S)
    async with ctx.db.session() as session:
        published = await repository.published_keys(session, retired_after=horizon)
    return {"keys": [keys.public_jwk(key) for key in published]}


async def publish_jwks(*, ctx: IdentityContext) -> None:
    """Write the JWKS to the file the gateway reads, if one is configured."""
    if not ctx.jwks_file:
        return
    document = await jwks(ctx=ctx)
    await asyncio.to_thread(keys.write_jwks, ctx.jwks_file, document)
