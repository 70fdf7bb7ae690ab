"""Routes of the identity service.

Sign-up, sign-in, refresh and sign-out take no access token (the gateway
route is public for POST); routes acting for an account read the caller
from the gateway's ``x-account-id`` header, which the gateway always sets
or strips, and answer 401 without it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Response

from reelstack.chassis import caller as chassis_caller
from reelstack.identity import plans, profiles, service
from reelstack.identity.context import IdentityDep
from reelstack.identity.models import PLANS, Account, Plan
from reelstack.identity.schemas import (
    AccountOut,
    Credentials,
    PlanIn,
    PlanOut,
    PlansOut,
    RefreshIn,
    RefreshProfileIn,
    TokensOut,
)
from reelstack.identity.throttle import ThrottledError

CallerHeader = Annotated[str | None, Header(alias=chassis_caller.ACCOUNT, max_length=128)]
ProfileHeader = Annotated[str | None, Header(alias=chassis_caller.PROFILE, max_length=128)]
"""The token's profile (none: a token of the account alone), for who may manage the account."""
# The gateway replaces any client copy with the client's own address.
AddressHeader = Annotated[str | None, Header(alias="x-forwarded-for", max_length=200)]

BEARER = {"WWW-Authenticate": 'Bearer realm="reelstack"'}


def caller_of(account_id: str | None) -> str:
    """Return the caller's account id, or answer 401 when the gateway named none."""
    if not account_id:
        raise HTTPException(401, "sign in first", headers=BEARER)
    return account_id


def _account_out(account: Account) -> AccountOut:
    return AccountOut(id=account.id, email=account.email, roles=[r.value for r in account.roles])


def _tokens_out(tokens: service.Tokens) -> TokensOut:
    return TokensOut(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
    )


def _plan_out(plan: Plan) -> PlanOut:
    return PlanOut(name=plan.name, max_streams=plan.max_streams, max_height=plan.max_height)


def make_router() -> APIRouter:
    """Return the identity routes (under ``/identity``)."""
    router = APIRouter(prefix="/identity", tags=["identity"])

    @router.post("/accounts", status_code=201)
    async def sign_up(body: Credentials, ctx: IdentityDep) -> AccountOut:
        """Create an account with the ``viewer`` role."""
        account = await service.sign_up(ctx=ctx, email=body.email, password=body.password)
        return _account_out(account)

    @router.get("/accounts/me")
    async def me(ctx: IdentityDep, caller: CallerHeader = None) -> AccountOut:
        """Return the caller's account."""
        return _account_out(await service.get_account(ctx=ctx, account_id=caller_of(caller)))

    @router.get("/plans")
    async def list_plans() -> PlansOut:
        """List the plans and what each allows."""
        return PlansOut(plans=[_plan_out(p) for p in PLANS.values()])

    @router.get("/accounts/me/plan")
    async def my_plan(ctx: IdentityDep, caller: CallerHeader = None) -> PlanOut:
        """Return the caller's plan."""
        return _plan_out(await plans.plan_of(ctx=ctx, account_id=caller_of(caller)))

    @router.put("/accounts/me/plan")
    async def change_plan(
        body: PlanIn,
        ctx: IdentityDep,
        caller: CallerHeader = None,
        profile: ProfileHeader = None,
    ) -> PlanOut:
        """Move the caller's account to another plan (403 from a kids profile)."""
        account = caller_of(caller)
        await profiles.check_manager(ctx=ctx, account_id=account, profile_id=profile)
        plan = await plans.change_plan(ctx=ctx, account_id=account, plan=body.plan)
        return _plan_out(plan)

    @router.post("/sessions")
    async def sign_in(
        body: Credentials, ctx: IdentityDep, address: AddressHeader = None
    ) -> TokensOut:
        """Sign in: an access token and a refresh token (401 wrong, 429 throttled)."""
        # The first hop is the client as the gateway saw it.
        client = address.split(",")[0].strip() if address else None
        try:
            tokens = await service.sign_in(
                ctx=ctx, email=body.email, password=body.password, address=client
            )
        except service.NotAuthenticatedError as exc:
            raise HTTPException(401, str(exc), headers=BEARER) from None
        except ThrottledError as exc:
            raise HTTPException(
                429, str(exc), headers={"Retry-After": str(exc.retry_after_s)}
            ) from None
        return _tokens_out(tokens)

    @router.post("/sessions/refresh")
    async def refresh(body: RefreshProfileIn, ctx: IdentityDep) -> TokensOut:
        """Exchange a refresh token for new tokens (the old one is spent).

        With ``profile_id`` (and its ``pin`` if it has one) the new access
        token names that profile of the session's account.
        """
        try:
            tokens = await service.refresh(
                ctx=ctx, refresh_token=body.refresh_token, profile_id=body.profile_id, pin=body.pin
            )
        except service.NotAuthenticatedError as exc:
            raise HTTPException(401, str(exc), headers=BEARER) from None
        except ThrottledError as exc:
            raise HTTPException(
                429, str(exc), headers={"Retry-After": str(exc.retry_after_s)}
            ) from None
        return _tokens_out(tokens)

    @router.post("/sessions/sign-out", status_code=204)
    async def sign_out(body: RefreshIn, ctx: IdentityDep) -> Response:
        """End the session of this refresh token."""
        await service.sign_out(ctx=ctx, refresh_token=body.refresh_token)
        return Response(status_code=204)

    @router.delete("/sessions", status_code=204)
    async def sign_out_everywhere(ctx: IdentityDep, caller: CallerHeader = None) -> Response:
        """End every session of the caller's account."""
        await service.sign_out_everywhere(ctx=ctx, account_id=caller_of(caller))
        return Response(status_code=204)

    return router


def make_jwks_router() -> APIRouter:
    """Return ``GET /.well-known/jwks.json``, where the gateway reads the public keys."""
    router = APIRouter(tags=["identity"])

    @router.get("/.well-known/jwks.json")
    async def jwks(ctx: IdentityDep, response: Response) -> dict[str, Any]:
        """Return the public keys access tokens are signed with."""
        response.headers["Cache-Control"] = "public, max-age=60"
        return await service.jwks(ctx=ctx)

    return router
