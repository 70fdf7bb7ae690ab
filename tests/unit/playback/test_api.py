"""What a viewer's player lives through: start, heartbeat, stop, the stream limit, keys."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.playback.conftest import Stack, device, viewer

KEY = bytes(range(16))


async def _start(
    stack: Stack, headers: dict[str, str], title: str = "film1", dev: str = "tv1"
) -> httpx.Response:
    return await stack.client.post(
        "/playback/plays", json={"title_id": title, "device": device(dev)}, headers=headers
    )


async def test_a_play_starts_with_a_lease_a_signed_manifest_and_markers(stack: Stack) -> None:
    stack.upstreams.bookmarks[("p1", "film1")] = 42.5
    started = await _start(stack, viewer("acc1", **{"x-maturity": "adults", "x-region": "GB"}))
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["heartbeat_s"] == 30 and body["resume_s"] == 42.5
    assert body["intro"] == {"start_s": 5.0, "end_s": 35.0} and body["credits_start_s"] == 100.0
    assert body["next_episode_id"] is None
    assert body["manifest_url"].startswith("/api/playback/manifests/")
    # The identity headers reach catalog and identity as the gateway set them.
    assert ("catalog", viewer("acc1", **{"x-maturity": "adults", "x-region": "GB"})) in (
        stack.upstreams.calls
    )
    path = body["manifest_url"].removeprefix("/api")
    manifest = await stack.client.get(path)  # no identity: the token is the credential
    assert manifest.status_code == 200
    assert manifest.headers["content-type"] == "application/vnd.apple.mpegurl"
    variants = [line for line in manifest.text.splitlines() if line.startswith("/media/s/")]
    # Standard plan: up to 1080p (v0, v1, v2 and the 720p AV1 v4), not 2160p.
    assert [v.split("/")[-2] for v in variants] == ["v0", "v1", "v2", "v4"]


async def test_a_manifest_token_that_is_tampered_or_expired_is_refused(stack: Stack) -> None:
    body = (await _start(stack, viewer("acc1"))).json()
    path = body["manifest_url"].removeprefix("/api")
    token = path.split("/")[3]
    other = path.replace(token, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    assert (await stack.client.get(other)).status_code == 403
    second = (await _start(stack, viewer("acc1"), dev="tv2")).json()
    # A genuine token of one play does not open another's manifest.
    swapped = (
        second["manifest_url"].removeprefix("/api").replace(second["play_id"], body["play_id"])
    )
    assert (await stack.client.get(swapped)).status_code == 403
    stack.clock.now += stack.ctx.times.url_ttl_s + 31
    assert (await stack.client.get(path)).status_code == 410


async def test_the_stream_limit_refuses_with_the_accounts_devices(stack: Stack) -> None:
    stack.upstreams.plans["acc1"] = "standard"
    first = await _start(stack, viewer("acc1", "p1"), dev="tv1")
    second = await _start(stack, viewer("acc1", "p2"), title="mature1", dev="phone")
    assert first.status_code == second.status_code == 201
    third = await _start(stack, viewer("acc1", "p1"), dev="laptop")
    assert third.status_code == 409
    devices = third.json()["devices"]
    assert [(d["device_id"], d["title_id"]) for d in devices] == [
        ("tv1", "film1"),
        ("phone", "mature1"),
    ]
    assert devices[0]["name"] == "Device tv1" and devices[0]["since"]
    # Another account is not counted against this one.
    assert (await _start(stack, viewer("acc2"), dev="laptop")).status_code == 201
    # The same device starting again replaces its own play instead of taking a slot.
    assert (await _start(stack, viewer("acc1", "p1"), dev="tv1")).status_code == 201


async def test_stop_frees_the_slot_at_once_and_expiry_after_the_lease(stack: Stack) -> None:
    stack.upstreams.plans["acc1"] = "basic"
    play = (await _start(stack, viewer("acc1"))).json()
    assert (await _start(stack, viewer("acc1"), dev="tv2")).status_code == 409
    stopped = await stack.client.delete(
        f"/playback/plays/{play['play_id']}", headers=viewer("acc1")
    )
    assert stopped.status_code == 204
    again = (await _start(stack, viewer("acc1"), dev="tv2")).json()
    # Heartbeats keep the lease beyond 90 s; without one it lapses.
    for _ in range(4):
        stack.clock.now += 60
        beat = await stack.client.put(
            f"/playback/plays/{again['play_id']}/heartbeat", headers=viewer("acc1")
        )
        assert beat.status_code == 200, beat.text
    assert (await _start(stack, viewer("acc1"), dev="tv3")).status_code == 409
    stack.clock.now += 90.5
    assert (await _start(stack, viewer("acc1"), dev="tv3")).status_code == 201
    late = await stack.client.put(
        f"/playback/plays/{again['play_id']}/heartbeat", headers=viewer("acc1")
    )
    assert late.status_code == 410


async def test_the_key_goes_only_to_a_profile_playing_the_title(stack: Stack) -> None:
    await stack.blob.put(stack.ctx.key_blob("film1"), KEY)
    await stack.blob.put(stack.ctx.key_blob("mature1"), KEY)
    assert (await stack.client.get("/playback/keys/film1", headers=viewer("acc1"))).status_code == (
        404
    )
    play = (await _start(stack, viewer("acc1"))).json()
    key = await stack.client.get("/playback/keys/film1", headers=viewer("acc1"))
    assert key.status_code == 200 and key.content == KEY
    assert key.headers["cache-control"] == "private, no-store"
    # Not another title, another profile of the account, or another account.
    for path, headers in [
        ("/playback/keys/mature1", viewer("acc1")),
        ("/playback/keys/film1", viewer("acc1", "p2")),
        ("/playback/keys/film1", viewer("acc2")),
        ("/playback/keys/film1", {"x-account-id": "acc1"}),
    ]:
        assert (await stack.client.get(path, headers=headers)).status_code == 404, (path, headers)
    await stack.client.delete(f"/playback/plays/{play['play_id']}", headers=viewer("acc1"))
    assert (await stack.client.get("/playback/keys/film1", headers=viewer("acc1"))).status_code == (
        404
    )


async def test_another_accounts_or_profiles_play_is_404(stack: Stack) -> None:
    play = (await _start(stack, viewer("acc1"))).json()["play_id"]
    for headers in (viewer("acc2"), viewer("acc1", "p2"), {"x-account-id": "acc1"}):
        beat = await stack.client.put(f"/playback/plays/{play}/heartbeat", headers=headers)
        stop = await stack.client.delete(f"/playback/plays/{play}", headers=headers)
        assert beat.status_code == stop.status_code == 404
    # The play is untouched by those attempts.
    beat = await stack.client.put(f"/playback/plays/{play}/heartbeat", headers=viewer("acc1"))
    assert beat.status_code == 200


async def test_a_kids_profile_cannot_play_a_mature_title(stack: Stack) -> None:
    kid = viewer("acc1", "kid", **{"x-maturity": "kids"})
    refused = await _start(stack, kid, title="mature1")
    unknown = await _start(stack, kid, title="nothing")
    assert refused.status_code == unknown.status_code == 404
    assert refused.json()["detail"] == unknown.json()["detail"]
    assert (await _start(stack, viewer("acc1", "teen", **{"x-maturity": "teens"}))).status_code == (
        201
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title_id": "film1"},
        {"title_id": "../etc", "device": device()},
        {"title_id": "film1", "device": {"id": "", "name": "x"}},
        {"title_id": "film1", "device": device(codecs=["avc1"] * 17)},
        {"title_id": "film1", "device": device(max_height=10**9)},
        {"title_id": "film1", "device": device(), "admin": True},
        [1, 2],
    ],
)
async def test_malformed_play_starts_are_4xx_with_the_reason(stack: Stack, body: object) -> None:
    answer = await stack.client.post("/playback/plays", json=body, headers=viewer("acc1"))
    assert answer.status_code == 422 and answer.json()["detail"]


async def test_an_oversized_body_is_refused_before_it_is_read(stack: Stack) -> None:
    big = {"title_id": "film1", "device": device(name="x" * 100_000)}
    answer = await stack.client.post("/playback/plays", json=big, headers=viewer("acc1"))
    assert answer.status_code == 413 and "4096" in answer.json()["detail"]


async def test_a_token_without_a_profile_or_account_cannot_play(stack: Stack) -> None:
    assert (await _start(stack, {"x-account-id": "acc1"})).status_code == 404
    assert (await _start(stack, {})).status_code == 401
    assert (
        await stack.client.put("/playback/plays/" + "0" * 32 + "/heartbeat", headers=viewer("a"))
    ).status_code == 404
    assert (
        await stack.client.put("/playback/plays/nothex/heartbeat", headers=viewer("a"))
    ).status_code == 422


async def test_a_device_that_plays_nothing_within_the_plan_is_told_why(stack: Stack) -> None:
    body = {"title_id": "film1", "device": device(codecs=["vp09"])}
    answer = await stack.client.post("/playback/plays", json=body, headers=viewer("acc1"))
    assert answer.status_code == 422 and "no rendition" in answer.json()["detail"]
    # No slot was taken for it.
    stack.upstreams.plans["acc1"] = "basic"
    assert (await _start(stack, viewer("acc1"))).status_code == 201
