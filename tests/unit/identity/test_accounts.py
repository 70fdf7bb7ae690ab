"""Accounts and sessions: sign-up rules, sign-in, refresh rotation, sign-out."""

from __future__ import annotations

import pytest

from reelstack import services
from reelstack.errors import ConflictError, InvalidRequestError
from reelstack.identity import service
from reelstack.identity.context import IdentityContext
from reelstack.identity.models import Role
from reelstack.identity.passwords import Passwords
from reelstack.identity.settings import IDENTITY_ARGON2_MEMORY_KIB, IDENTITY_ARGON2_TIME_COST
from tests.unit.identity.conftest import PASSWORD, Clock


def test_the_spec_is_accepted() -> None:
    spec = services.specs(("reelstack.identity",))["identity"]
    assert spec.migrations == "identity" and spec.ports == ("sql",)


def test_argon2_floor_cannot_be_configured_away(passwords: Passwords) -> None:
    with pytest.raises(ValueError):
        IDENTITY_ARGON2_MEMORY_KIB.parse("8192")
    with pytest.raises(ValueError):
        IDENTITY_ARGON2_TIME_COST.parse("1")
    stored = passwords.hash(PASSWORD)
    assert stored.startswith("$argon2id$") and "m=19456,t=2,p=1" in stored
    assert passwords.verify(stored, PASSWORD) and not passwords.verify(stored, PASSWORD + "!")
    assert not passwords.verify(None, PASSWORD), "no account: refused, after the same work"


@pytest.mark.parametrize(
    ("email", "password", "reason"),
    [
        ("no-at-sign.example.com", PASSWORD, "'@'"),
        ("a@localhost", PASSWORD, "domain"),
        ("a b@example.com", PASSWORD, "spaces"),
        ("x" * 65 + "@example.com", PASSWORD, "before '@'"),
        ("a@" + "d" * 260 + ".com", PASSWORD, "longer than"),
        ("ann@example.com", "short", "at least 12"),
        ("ann@example.com", "p" * 129, "at most 128"),
        ("ann@example.com", "aaaaaaaaaaaaaaaa", "different characters"),
        ("annabel@example.com", "my name is annabel", "email's name"),
    ],
)
async def test_sign_up_refuses_bad_input_with_the_reason(
    ctx: IdentityContext, email: str, password: str, reason: str
) -> None:
    with pytest.raises(InvalidRequestError, match=reason):
        await service.sign_up(ctx=ctx, email=email, password=password)


async def test_sign_up_then_sign_in(ctx: IdentityContext) -> None:
    account = await service.sign_up(ctx=ctx, email=" Ann@Example.com ", password=PASSWORD)
    assert account.email == "ann@example.com" and account.roles == (Role.VIEWER,)
    with pytest.raises(ConflictError):
        await service.sign_up(ctx=ctx, email="ANN@example.com", password=PASSWORD)
    tokens = await service.sign_in(
        ctx=ctx, email="ann@example.com", password=PASSWORD, address=None
    )
    assert tokens.access_token.count(".") == 2 and tokens.refresh_token
    for email, password in (("ann@example.com", "wrong password!"), ("bob@example.com", PASSWORD)):
        with pytest.raises(service.NotAuthenticatedError, match="wrong email or password"):
            await service.sign_in(ctx=ctx, email=email, password=password, address=None)


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(ctx: IdentityContext) -> None:
    await service.sign_up(ctx=ctx, email="ann@example.com", password=PASSWORD)
    first = await service.sign_in(ctx=ctx, email="ann@example.com", password=PASSWORD, address=None)
    other = await service.sign_in(ctx=ctx, email="ann@example.com", password=PASSWORD, address=None)
    second = await service.refresh(ctx=ctx, refresh_token=first.refresh_token)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(service.NotAuthenticatedError, match="reused"):
        await service.refresh(ctx=ctx, refresh_token=first.refresh_token)
    with pytest.raises(service.NotAuthenticatedError, match="ended"):
        await service.refresh(ctx=ctx, refresh_token=second.refresh_token)
    # Another session (another device) is not touched.
    assert (await service.refresh(ctx=ctx, refresh_token=other.refresh_token)).access_token


async def test_sessions_end_idle_and_at_their_maximum(ctx: IdentityContext, clock: Clock) -> None:
    await service.sign_up(ctx=ctx, email="ann@example.com", password=PASSWORD)
    tokens = await service.sign_in(
        ctx=ctx, email="ann@example.com", password=PASSWORD, address=None
    )
    clock.advance(ctx.limits.refresh_idle_s + 1)
    with pytest.raises(service.NotAuthenticatedError, match="expired"):
        await service.refresh(ctx=ctx, refresh_token=tokens.refresh_token)
    tokens = await service.sign_in(
        ctx=ctx, email="ann@example.com", password=PASSWORD, address=None
    )
    for _ in range(ctx.limits.session_max_s // (ctx.limits.refresh_idle_s - 60) + 1):
        clock.advance(ctx.limits.refresh_idle_s - 60)
        try:
            tokens = await service.refresh(ctx=ctx, refresh_token=tokens.refresh_token)
        except service.NotAuthenticatedError as exc:
            assert "expired" in str(exc)
            break
    else:
        pytest.fail("a session kept alive by refreshes outlived identity.session_max_s")


async def test_sign_out_and_sign_out_everywhere(ctx: IdentityContext) -> None:
    account = await service.sign_up(ctx=ctx, email="ann@example.com", password=PASSWORD)
    await service.sign_up(ctx=ctx, email="bob@example.com", password=PASSWORD)
    one, two, three = [
        await service.sign_in(ctx=ctx, email="ann@example.com", password=PASSWORD, address=None)
        for _ in range(3)
    ]
    bob = await service.sign_in(ctx=ctx, email="bob@example.com", password=PASSWORD, address=None)
    await service.sign_out(ctx=ctx, refresh_token=one.refresh_token)
    with pytest.raises(service.NotAuthenticatedError):
        await service.refresh(ctx=ctx, refresh_token=one.refresh_token)
    assert await service.refresh(ctx=ctx, refresh_token=two.refresh_token)
    await service.sign_out_everywhere(ctx=ctx, account_id=account.id)
    with pytest.raises(service.NotAuthenticatedError):
        await service.refresh(ctx=ctx, refresh_token=three.refresh_token)
    assert await service.refresh(ctx=ctx, refresh_token=bob.refresh_token), "others stay in"


def test_the_roles_identity_issues_are_the_roles_routes_may_ask_for() -> None:
    # The gateway refuses a token naming a role it does not know, and routes
    # name roles from the same set: one list, checked here on both sides.
    from reelstack.chassis.routing import ROLES
    from reelstack.identity.models import Role

    assert {role.value for role in Role} == ROLES
