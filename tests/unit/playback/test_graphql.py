"""Playback's subgraph: the same plays, limits and refusals as REST, for the token's profile."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reelstack.chassis.discovery import StaticDiscovery
from tests.unit.playback.conftest import Stack, viewer
from tests.unit.playback.test_play_edges import edge_instance

START = """mutation($title: ID!, $device: String!) {
  startPlay(titleId: $title, device: {id: $device, name: "Living room"}) {
    id title { id } manifestUrl dashUrl edges { instance region url }
    resumeS heartbeatS intro { startS endS } nextEpisode { id }
  }
}"""


async def gql(
    stack: Stack, query: str, headers: dict[str, str], **variables: Any
) -> dict[str, Any]:
    answer = await stack.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_start_list_and_stop_a_play(stack: Stack) -> None:
    me = viewer("acc1")
    started = (await gql(stack, START, me, title="film1", device="tv1"))["data"]["startPlay"]
    assert started["title"] == {"id": "film1"}
    assert "/api/playback/manifests/" in started["manifestUrl"]
    assert started["heartbeatS"] == 30
    # No edge registered: served through the gateway, as REST answers it.
    assert started["edges"] == []
    assert started["dashUrl"] == started["manifestUrl"].replace("master.m3u8", "manifest.mpd")
    # The manifest it names is the one REST's plays serve.
    path = started["manifestUrl"].removeprefix("/api")
    assert (await stack.client.get(path)).status_code == 200
    devices = await gql(stack, "{ activeDevices { deviceId title { id } profileId } }", me)
    assert devices["data"]["activeDevices"] == [
        {"deviceId": "tv1", "title": {"id": "film1"}, "profileId": "p1"}
    ]
    stopped = await gql(stack, f'mutation {{ stopPlay(playId: "{started["id"]}") }}', me)
    assert stopped["data"] == {"stopPlay": True}
    assert (await gql(stack, "{ activeDevices { deviceId } }", me))["data"] == {"activeDevices": []}


async def test_the_stream_limit_is_an_error_listing_the_devices(stack: Stack) -> None:
    me = viewer("acc1")
    for device in ("tv1", "tv2"):  # the standard plan's two streams
        assert "errors" not in await gql(stack, START, me, title="film1", device=device)
    refused = await gql(stack, START, me, title="film1", device="phone")
    error = refused["errors"][0]
    assert error["extensions"]["code"] == "STREAM_LIMIT"
    assert [d["deviceId"] for d in error["extensions"]["devices"]] == ["tv1", "tv2"]


async def test_another_accounts_play_cannot_be_stopped(stack: Stack) -> None:
    mine = (await gql(stack, START, viewer("acc1"), title="film1", device="tv1"))["data"]
    intruder = await gql(
        stack, f'mutation {{ stopPlay(playId: "{mine["startPlay"]["id"]}") }}', viewer("acc2")
    )
    assert intruder["data"] is None and "no such play" in intruder["errors"][0]["message"]
    assert (await gql(stack, "{ activeDevices { deviceId } }", viewer("acc2")))["data"] == {
        "activeDevices": []
    }


async def test_bad_input_and_no_profile_say_why(stack: Stack) -> None:
    me = viewer("acc1")
    bad_title = await gql(stack, START, me, title="../etc", device="tv1")
    assert "title_id" in bad_title["errors"][0]["message"]
    bad_device = await gql(stack, START, me, title="film1", device="tv 1")
    assert "device.id" in bad_device["errors"][0]["message"]
    no_profile = await gql(stack, START, {"x-account-id": "acc1"}, title="film1", device="tv1")
    assert "no profile" in no_profile["errors"][0]["message"]
    bad_play = await gql(stack, 'mutation { stopPlay(playId: "nope") }', me)
    assert "not a play id" in bad_play["errors"][0]["message"]


async def test_start_play_names_the_ranked_edges_as_rest_does(stack: Stack) -> None:
    now = stack.clock.now
    stack.ctx.discovery = StaticDiscovery(
        [edge_instance("gb-10", "GB", now), edge_instance("us-1", "US", now, "film1")]
    )
    me = viewer("acc1", **{"x-region": "US"})
    started = (await gql(stack, START, me, title="film1", device="tv1"))["data"]["startPlay"]
    assert started["edges"] == [
        {"instance": "us-1", "region": "US", "url": "http://127.0.0.1:9004"},
        {"instance": "gb-10", "region": "GB", "url": "http://127.0.0.1:9005"},
    ]


HEARTBEAT = "mutation($play: ID!) { heartbeat(playId: $play) { playId leaseExpiresAt } }"


async def test_a_heartbeat_renews_the_lease_and_an_ended_play_says_so(stack: Stack) -> None:
    me = viewer("acc1")
    started = (await gql(stack, START, me, title="film1", device="tv1"))["data"]["startPlay"]
    stack.clock.now += 60
    beat = (await gql(stack, HEARTBEAT, me, play=started["id"]))["data"]["heartbeat"]
    assert beat["playId"] == started["id"]
    renewed = datetime.fromisoformat(beat["leaseExpiresAt"]).timestamp()
    assert renewed > stack.clock.now
    # Past the renewed lease the play is over: the player is told it ended, as REST's 410.
    stack.clock.now = renewed + 1
    ended = await gql(stack, HEARTBEAT, me, play=started["id"])
    assert ended["data"] is None
    assert ended["errors"][0]["extensions"]["code"] == "PLAY_ENDED"


async def test_another_accounts_play_cannot_be_kept_alive(stack: Stack) -> None:
    mine = (await gql(stack, START, viewer("acc1"), title="film1", device="tv1"))["data"]
    intruder = await gql(stack, HEARTBEAT, viewer("acc2"), play=mine["startPlay"]["id"])
    assert intruder["data"] is None and "no such play" in intruder["errors"][0]["message"]
    forged = await gql(stack, HEARTBEAT, viewer("acc1"), play="../../plays")
    assert "not a play id" in forged["errors"][0]["message"]
