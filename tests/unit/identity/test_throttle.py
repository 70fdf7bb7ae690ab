"""Failed sign-ins are throttled per email and per client address."""

from __future__ import annotations

import pytest

from reelstack.identity import service
from reelstack.identity.context import IdentityContext
from reelstack.identity.throttle import ThrottledError
from tests.unit.identity.conftest import PASSWORD, Clock


async def test_wrong_passwords_throttle_the_account(ctx: IdentityContext, clock: Clock) -> None:
    await service.sign_up(ctx=ctx, email="ann@example.com", password=PASSWORD)
    for n in range(ctx.limits.throttle_per_account):
        with pytest.raises(service.NotAuthenticatedError):
            await service.sign_in(
                ctx=ctx,
                email="ann@example.com",
                password=f"guess number {n}",
                address=f"10.0.0.{n}",
            )
    clock.advance(60)
    with pytest.raises(ThrottledError) as caught:
        # Even the right password, from a fresh address: the account is locked for now.
        await service.sign_in(
            ctx=ctx, email="ANN@example.com", password=PASSWORD, address="10.9.9.9"
        )
    assert caught.value.retry_after_s == ctx.limits.throttle_window_s - 60
    clock.advance(ctx.limits.throttle_window_s - 60 + 1)
    assert await service.sign_in(ctx=ctx, email="ann@example.com", password=PASSWORD, address=None)


async def test_wrong_passwords_throttle_the_address(ctx: IdentityContext) -> None:
    for n in range(ctx.limits.throttle_per_address):
        with pytest.raises(service.NotAuthenticatedError):
            await service.sign_in(
                ctx=ctx, email=f"user{n}@example.com", password=PASSWORD, address="10.0.0.1"
            )
    with pytest.raises(ThrottledError, match="address"):
        await service.sign_in(
            ctx=ctx, email="new@example.com", password=PASSWORD, address="10.0.0.1"
        )
    with pytest.raises(service.NotAuthenticatedError):
        await service.sign_in(
            ctx=ctx, email="new@example.com", password=PASSWORD, address="10.0.0.2"
        )


async def test_a_successful_sign_in_clears_the_account_count(ctx: IdentityContext) -> None:
    await service.sign_up(ctx=ctx, email="ann@example.com", password=PASSWORD)
    for _ in range(3):
        for _ in range(ctx.limits.throttle_per_account - 1):
            with pytest.raises(service.NotAuthenticatedError):
                await service.sign_in(
                    ctx=ctx, email="ann@example.com", password="typo " + PASSWORD, address=None
                )
        assert await service.sign_in(
            ctx=ctx, email="ann@example.com", password=PASSWORD, address=None
        )
