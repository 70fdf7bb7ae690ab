"""Use cases of plans: what an account's plan allows, and changing it in one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.errors import NotFoundError
from reelstack.identity import repository
from reelstack.identity.context import IdentityContext
from reelstack.identity.models import PLANS, Account, Plan, PlanName


async def plan_of(*, ctx: IdentityContext, account_id: str) -> Plan:
    """Return the account's plan (NotFoundError if there is no such account)."""
    async with ctx.db.session() as session:
        name = await repository.plan_of(session, account_id)
    if name is None:
        raise NotFoundError("no such account")
    return PLANS[name]


async def account_and_plan(*, ctx: IdentityContext, account_id: str) -> tuple[Account, Plan]:
    """Return an account and what its plan allows, from one read (NotFoundError if none)."""
    async with ctx.db.session() as session:
        found = await repository.account_and_plan(session, account_id)
    if found is None:
        raise NotFoundError("no such account")
    account, name = found
    return account, PLANS[name]


async def change_plan(*, ctx: IdentityContext, account_id: str, plan: PlanName) -> Plan:
    """Move the account to ``plan``: the account and its change record in one transaction."""
    now = ctx.clock()

    async def work(session: AsyncSession) -> None:
        old = await repository.plan_of(session, account_id)
        if old is None:
            raise NotFoundError("no such account")
        if old != plan:
            await repository.set_plan(session, account_id, old=old, new=plan, at=now)

    await ctx.db.transaction(work)
    return PLANS[plan]
