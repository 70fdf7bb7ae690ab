"""Plans: an account starts on Basic; a change moves it and records the change together."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from reelstack.errors import NotFoundError
from reelstack.identity import plans, repository, service
from reelstack.identity.context import IdentityContext
from reelstack.identity.models import PlanName
from tests.unit.identity.conftest import PASSWORD, caller, sign_up_and_in


async def test_a_plan_change_is_recorded_with_it(ctx: IdentityContext) -> None:
    ann = (await service.sign_up(ctx=ctx, email="ann@example.com", password=PASSWORD)).id
    assert (await plans.plan_of(ctx=ctx, account_id=ann)).max_streams == 1
    premium = await plans.change_plan(ctx=ctx, account_id=ann, plan=PlanName.PREMIUM)
    assert (premium.max_streams, premium.max_height) == (4, None)
    await plans.change_plan(ctx=ctx, account_id=ann, plan=PlanName.PREMIUM)  # no change
    async with ctx.db.session() as session:
        changes = (
            await session.execute(select(func.count()).select_from(repository.plan_changes))
        ).scalar_one()
    assert changes == 1
    with pytest.raises(NotFoundError):
        await plans.change_plan(ctx=ctx, account_id="nobody", plan=PlanName.BASIC)


async def test_a_failed_change_leaves_nothing_behind(
    ctx: IdentityContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = (await service.sign_up(ctx=ctx, email="ann@example.com", password=PASSWORD)).id
    original = repository.set_plan

    async def fails_after_the_update(*args: object, **kwargs: object) -> None:
        await original(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("the store went away mid-change")

    monkeypatch.setattr(repository, "set_plan", fails_after_the_update)
    with pytest.raises(RuntimeError):
        await plans.change_plan(ctx=ctx, account_id=ann, plan=PlanName.STANDARD)
    assert (await plans.plan_of(ctx=ctx, account_id=ann)).name == PlanName.BASIC


async def test_plan_routes(client: httpx.AsyncClient) -> None:
    ann = await sign_up_and_in(client, "ann@example.com")
    listed = (await client.get("/identity/plans")).json()["plans"]
    assert [(p["name"], p["max_streams"], p["max_height"]) for p in listed] == [
        ("basic", 1, 720),
        ("standard", 2, 1080),
        ("premium", 4, None),
    ]
    assert (await client.get("/identity/accounts/me/plan", headers=caller(ann))).json()[
        "name"
    ] == "basic"
    changed = await client.put(
        "/identity/accounts/me/plan", json={"plan": "standard"}, headers=caller(ann)
    )
    assert changed.json()["max_height"] == 1080
    bad = await client.put("/identity/accounts/me/plan", json={"plan": "gold"}, headers=caller(ann))
    assert bad.status_code == 422
    assert (
        await client.put("/identity/accounts/me/plan", json={"plan": "basic"})
    ).status_code == 401
