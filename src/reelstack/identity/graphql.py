"""Identity's subgraph: the caller's account, plan and profiles.

The same use cases as the REST routes, for the account the gateway names
(none: an error, as REST's 401). Inputs are checked by the REST bodies'
own models, so a name, PIN or plan refused there is refused here with the
same reason; a profile below adults' maturity may not change profiles or
the plan (``profiles.check_manager``), as on REST. Signing in, refreshing
and signing out stay on REST: tokens are the gateway's business, and the
router never sees one.
"""

from __future__ import annotations

from typing import Any

import strawberry
from fastapi import FastAPI, Request
from strawberry.types import Info

from reelstack.chassis.app import chassis_of
from reelstack.chassis.caller import NO_ACCOUNT, Caller
from reelstack.chassis.subgraph import checked, serve_subgraph, subgraph_schema
from reelstack.errors import InvalidRequestError
from reelstack.identity import plans, profiles
from reelstack.identity.context import IdentityContext
from reelstack.identity.models import Plan as PlanModel
from reelstack.identity.models import Profile as ProfileModel
from reelstack.identity.schemas import PlanIn, ProfileIn, ProfilePatch


def _ctx(info: Info[Any, Any]) -> tuple[IdentityContext, str]:
    request: Request = info.context["request"]
    caller = Caller.from_headers(request.headers)
    if caller.account is None:
        raise InvalidRequestError(NO_ACCOUNT)
    return chassis_of(request.app).context_as(IdentityContext), caller.account


async def _manager(info: Info[Any, Any]) -> tuple[IdentityContext, str]:
    """The context and account, if the token's profile may manage the account."""
    ctx, account = _ctx(info)
    request: Request = info.context["request"]
    profile = Caller.from_headers(request.headers).profile
    await profiles.check_manager(ctx=ctx, account_id=account, profile_id=profile)
    return ctx, account


@strawberry.type
class Plan:
    name: str
    max_streams: int
    max_height: int | None


@strawberry.type
class Profile:
    id: strawberry.ID
    name: str
    avatar: str
    language: str
    maturity: str
    kids: bool
    has_pin: bool

    @classmethod
    def of(cls, profile: ProfileModel) -> Profile:
        return cls(
            id=strawberry.ID(profile.id),
            name=profile.name,
            avatar=profile.avatar,
            language=profile.language,
            maturity=str(profile.maturity),
            kids=profile.kids,
            has_pin=profile.has_pin,
        )


@strawberry.type
class Account:
    id: strawberry.ID
    email: str
    roles: list[str]
    # The plan read with the account (``me`` reads both from one row).
    read_plan: strawberry.Private[PlanModel | None] = None

    @strawberry.field
    async def plan(self, info: Info[Any, Any]) -> Plan:
        """What the account's plan allows."""
        found = self.read_plan
        if found is None:
            ctx, account = _ctx(info)
            found = await plans.plan_of(ctx=ctx, account_id=account)
        return Plan(name=found.name, max_streams=found.max_streams, max_height=found.max_height)

    @strawberry.field
    async def profiles(self, info: Info[Any, Any]) -> list[Profile]:
        """The account's profiles."""
        ctx, account = _ctx(info)
        return [Profile.of(p) for p in await profiles.list_profiles(ctx=ctx, account_id=account)]


@strawberry.input
class ProfileInput:
    name: str
    avatar: str | None = None
    language: str | None = None
    maturity: str | None = None
    kids: bool | None = None
    pin: str | None = None


def _given(value: ProfileInput) -> dict[str, Any]:
    return {k: v for k, v in strawberry.asdict(value).items() if v is not None}


@strawberry.type
class Query:
    @strawberry.field
    async def me(self, info: Info[Any, Any]) -> Account | None:
        """The caller's account."""
        ctx, account = _ctx(info)
        # One read for the account and its plan: a page asking both (the
        # plan's name beside the email) costs one store session, not two.
        found, plan = await plans.account_and_plan(ctx=ctx, account_id=account)
        return Account(
            id=strawberry.ID(found.id),
            email=found.email,
            roles=[r.value for r in found.roles],
            read_plan=plan,
        )


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_profile(self, info: Info[Any, Any], profile: ProfileInput) -> Profile:
        """Create a profile (refused past five, or for a second kids profile)."""
        ctx, account = await _manager(info)
        body = checked(ProfileIn, _given(profile))
        made = await profiles.create(
            ctx=ctx,
            account_id=account,
            name=body.name,
            avatar=body.avatar,
            language=body.language,
            maturity=body.maturity,
            kids=body.kids,
            pin=body.pin,
        )
        return Profile.of(made)

    @strawberry.mutation
    async def rename_profile(
        self, info: Info[Any, Any], profile_id: strawberry.ID, name: str
    ) -> Profile:
        """Rename one of the caller's profiles."""
        ctx, account = await _manager(info)
        body = checked(ProfilePatch, {"name": name})
        changes = profiles.ProfileChanges(name=body.name)
        changed = await profiles.change(
            ctx=ctx, account_id=account, profile_id=str(profile_id), changes=changes
        )
        return Profile.of(changed)

    @strawberry.mutation
    async def delete_profile(self, info: Info[Any, Any], profile_id: strawberry.ID) -> bool:
        """Delete one of the caller's profiles."""
        ctx, account = await _manager(info)
        await profiles.delete(ctx=ctx, account_id=account, profile_id=str(profile_id))
        return True

    @strawberry.mutation
    async def change_plan(self, info: Info[Any, Any], plan: str) -> Plan:
        """Move the caller's account to another plan (one transaction)."""
        ctx, account = await _manager(info)
        body = checked(PlanIn, {"plan": plan})
        found = await plans.change_plan(ctx=ctx, account_id=account, plan=body.plan)
        return Plan(name=found.name, max_streams=found.max_streams, max_height=found.max_height)


SCHEMA = subgraph_schema(query=Query, mutation=Mutation)


def serve(app: FastAPI) -> None:
    """Mount identity's subgraph on its app."""
    serve_subgraph(app, SCHEMA)
