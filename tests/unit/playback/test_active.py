"""The account page's active devices: ``GET /playback/plays``, the caller's account only."""

from __future__ import annotations

import httpx

from tests.unit.playback.conftest import Stack, device, viewer


async def _start(stack: Stack, headers: dict[str, str], dev: str) -> str:
    started = await stack.client.post(
        "/playback/plays", json={"title_id": "film1", "device": device(dev)}, headers=headers
    )
    assert started.status_code == 201, started.text
    play_id: str = started.json()["play_id"]
    return play_id


async def _active(stack: Stack, headers: dict[str, str]) -> httpx.Response:
    return await stack.client.get("/playback/plays", headers=headers)


async def test_the_account_sees_every_profiles_live_plays_and_nothing_of_another_account(
    stack: Stack,
) -> None:
    await _start(stack, viewer("acc1", "p1"), "tv1")
    stack.clock.now += 5
    await _start(stack, viewer("acc1", "p2"), "phone1")
    await _start(stack, viewer("acc2", "q1"), "tv9")
    listed = await _active(stack, viewer("acc1", "p1"))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [(i["device_id"], i["profile_id"], i["title_id"]) for i in items] == [
        ("tv1", "p1", "film1"),
        ("phone1", "p2", "film1"),
    ]
    assert items[0]["name"] == "Device tv1" and items[0]["since"].endswith("Z")
    assert set(items[0]) == {"device_id", "name", "title_id", "since", "profile_id"}
    # The account holder (a token naming no profile) sees the same list.
    holder = await _active(stack, {"x-account-id": "acc1"})
    assert holder.json()["items"] == items
    other = (await _active(stack, viewer("acc2", "q1"))).json()["items"]
    assert [i["device_id"] for i in other] == ["tv9"]
    # An account that never played sees nothing, not someone else's plays.
    assert (await _active(stack, viewer("acc3"))).json() == {"items": []}


async def test_a_stopped_or_lapsed_play_is_not_active(stack: Stack) -> None:
    play = await _start(stack, viewer("acc1"), "tv1")
    await _start(stack, viewer("acc1"), "tv2")
    stopped = await stack.client.delete(f"/playback/plays/{play}", headers=viewer("acc1"))
    assert stopped.status_code == 204
    listed = (await _active(stack, viewer("acc1"))).json()["items"]
    assert [i["device_id"] for i in listed] == ["tv2"]
    stack.clock.now += stack.ctx.times.lease_s + 1
    assert (await _active(stack, viewer("acc1"))).json() == {"items": []}


async def test_no_account_is_401_and_a_forged_account_header_is_refused(stack: Stack) -> None:
    await _start(stack, viewer("acc1"), "tv1")
    assert (await _active(stack, {})).status_code == 401
    assert (await _active(stack, {"x-account-id": "acc1' OR 1=1"})).status_code == 401
    assert (await _active(stack, {"x-account-id": "a" * 129})).status_code in (401, 422)
