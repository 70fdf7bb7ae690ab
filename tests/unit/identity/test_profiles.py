"""Profiles: the limits, the kids rules, the PIN, and choosing one for a session."""

from __future__ import annotations

import pytest

from reelstack.errors import ConflictError, InvalidRequestError, NotFoundError
from reelstack.gateway.auth import TokenVerifier, parse_jwks
from reelstack.identity import profiles, service
from reelstack.identity.context import IdentityContext
from reelstack.identity.models import Maturity
from reelstack.identity.throttle import ThrottledError
from tests.unit.identity.conftest import PASSWORD


async def _profile(
    ctx: IdentityContext, account_id: str, name: str, **extra: object
) -> profiles.Profile:
    options: dict[str, object] = {
        "avatar": "owl",
        "language": "en",
        "maturity": Maturity.ADULTS,
        "kids": False,
        "pin": None,
        **extra,
    }
    return await profiles.create(ctx=ctx, account_id=account_id, name=name, **options)  # type: ignore[arg-type]


async def test_five_profiles_and_one_kids_profile_per_account(ctx: IdentityContext) -> None:
    ann = (await service.sign_up(ctx=ctx, email="ann@example.com", password=PASSWORD)).id
    with pytest.raises(InvalidRequestError, match="kids profile's maturity"):
        await _profile(ctx, ann, "Kid", kids=True, maturity=Maturity.TEENS)
    await _profile(ctx, ann, "Kid", kids=True, maturity=Maturity.KIDS)
    with pytest.raises(ConflictError, match="one kids profile"):
        await _profile(ctx, ann, "Kid 2", kids=True, maturity=Maturity.KIDS)
    for n in range(4):
        await _profile(ctx, ann, f"P{n}")
    with pytest.raises(ConflictError, match="at most 5"):
        await _profile(ctx, ann, "Sixth")
    assert len(await profiles.list_profiles(ctx=ctx, account_id=ann)) == 5
    # A second account has its own five.
    assert await _profile(ctx, "another-account", "Bob")


async def test_changes_keep_the_kids_rules(ctx: IdentityContext) -> None:
    kid = await _profile(ctx, "acct", "Kid", kids=True, maturity=Maturity.KIDS)
    adult = await _profile(ctx, "acct", "Adult")
    with pytest.raises(InvalidRequestError):
        await profiles.change(
            ctx=ctx,
            account_id="acct",
            profile_id=kid.id,
            changes=profiles.ProfileChanges(maturity=Maturity.ADULTS),
        )
    with pytest.raises(ConflictError):
        await profiles.change(
            ctx=ctx,
            account_id="acct",
            profile_id=adult.id,
            changes=profiles.ProfileChanges(kids=True, maturity=Maturity.KIDS),
        )
    renamed = await profiles.change(
        ctx=ctx,
        account_id="acct",
        profile_id=adult.id,
        changes=profiles.ProfileChanges(name="Grown-up", pin="1234"),
    )
    assert (renamed.name, renamed.has_pin) == ("Grown-up", True)
    cleared = await profiles.change(
        ctx=ctx,
        account_id="acct",
        profile_id=adult.id,
        changes=profiles.ProfileChanges(clear=frozenset({"pin"})),
    )
    assert not cleared.has_pin and cleared.name == "Grown-up"


async def test_another_accounts_profile_is_not_found(ctx: IdentityContext) -> None:
    theirs = await _profile(ctx, "acct-a", "Theirs")
    for attempt in (
        profiles.get(ctx=ctx, account_id="acct-b", profile_id=theirs.id),
        profiles.change(
            ctx=ctx,
            account_id="acct-b",
            profile_id=theirs.id,
            changes=profiles.ProfileChanges(name="Mine"),
        ),
        profiles.delete(ctx=ctx, account_id="acct-b", profile_id=theirs.id),
        profiles.check_entry(ctx=ctx, account_id="acct-b", profile_id=theirs.id, pin=None),
    ):
        with pytest.raises(NotFoundError):
            await attempt
    assert (await profiles.get(ctx=ctx, account_id="acct-a", profile_id=theirs.id)).name == "Theirs"


async def test_a_session_enters_a_profile_with_its_pin(ctx: IdentityContext) -> None:
    ann = (await service.sign_up(ctx=ctx, email="ann@example.com", password=PASSWORD)).id
    locked = await _profile(ctx, ann, "Locked", pin="4321")
    bob = (await service.sign_up(ctx=ctx, email="bob@example.com", password=PASSWORD)).id
    bobs = await _profile(ctx, bob, "Bob's")
    tokens = await service.sign_in(
        ctx=ctx, email="ann@example.com", password=PASSWORD, address=None
    )
    with pytest.raises(NotFoundError):
        await service.refresh(ctx=ctx, refresh_token=tokens.refresh_token, profile_id=bobs.id)
    with pytest.raises(service.NotAuthenticatedError, match="needs its PIN"):
        await service.refresh(ctx=ctx, refresh_token=tokens.refresh_token, profile_id=locked.id)
    entered = await service.refresh(
        ctx=ctx, refresh_token=tokens.refresh_token, profile_id=locked.id, pin="4321"
    )
    verifier = TokenVerifier()
    verifier.set_fetched(parse_jwks(await service.jwks(ctx=ctx), "identity"))
    principal = verifier.verify(entered.access_token.encode())
    assert (principal.account, principal.profile) == (ann, locked.id)
    kept = await service.refresh(ctx=ctx, refresh_token=entered.refresh_token)
    assert verifier.verify(kept.access_token.encode()).profile == locked.id, "the session keeps it"


async def test_wrong_pins_are_throttled(ctx: IdentityContext) -> None:
    ann = (await service.sign_up(ctx=ctx, email="ann@example.com", password=PASSWORD)).id
    locked = await _profile(ctx, ann, "Locked", pin="4321")
    tokens = await service.sign_in(
        ctx=ctx, email="ann@example.com", password=PASSWORD, address=None
    )
    for guess in range(ctx.limits.throttle_per_account):
        with pytest.raises(service.NotAuthenticatedError, match="wrong PIN"):
            await service.refresh(
                ctx=ctx, refresh_token=tokens.refresh_token, profile_id=locked.id, pin=f"{guess:04}"
            )
    with pytest.raises(ThrottledError):
        await service.refresh(
            ctx=ctx, refresh_token=tokens.refresh_token, profile_id=locked.id, pin="4321"
        )
