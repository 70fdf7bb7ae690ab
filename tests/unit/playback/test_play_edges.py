"""A play start steers to the registered edges: ranked in the answer and in the manifest."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.playback.models import Playable
from tests.unit.playback.conftest import Stack, device, viewer
from tests.unit.playback.test_dash import NS


def edge_instance(name: str, region: str, reported_at: float, titles: str = "") -> InstanceInfo:
    metadata = {
        "edge.region": region,
        "edge.url": f"http://127.0.0.1:{9000 + len(name)}/",
        "edge.connections": "0",
        "edge.bytes_s": "0",
        "edge.free_bytes": "1",
        "edge.capacity_bytes": "2",
        "edge.titles": titles,
        "edge.reported_at": str(reported_at),
    }
    return InstanceInfo("edge", name, "127.0.0.1", 1, metadata=metadata)


async def _manifest(stack: Stack, region: str) -> tuple[dict[str, object], str]:
    headers = viewer("acc1", **{"x-region": region})
    started = await stack.client.post(
        "/playback/plays", json={"title_id": "film1", "device": device()}, headers=headers
    )
    assert started.status_code == 201, started.text
    body = started.json()
    text = (await stack.client.get(body["manifest_url"].removeprefix("/api"))).text
    return body, text


async def test_the_play_names_the_edges_best_first_and_the_manifest_uses_them(
    stack: Stack,
) -> None:
    now = stack.clock.now
    stack.ctx.discovery = StaticDiscovery(
        [
            edge_instance("gb-1", "GB", now),
            edge_instance("us-1", "US", now, "film1"),
            edge_instance("us-22", "US", now),
        ]
    )
    body, text = await _manifest(stack, "US")
    edges = body["edges"]
    assert [e["instance"] for e in edges] == ["us-1", "us-22", "gb-1"]  # type: ignore[index]
    urls = [e["url"] for e in edges]  # type: ignore[index]
    assert urls[0] == "http://127.0.0.1:9004"
    variants = [line for line in text.splitlines() if line.startswith("http")]
    # Standard plan: four variants, on each of the three edges in rank order.
    assert [v.split("/media/s/")[0] for v in variants] == [u for u in urls for _ in range(4)]


async def test_a_stale_edge_is_skipped_and_no_edge_means_the_gateway(stack: Stack) -> None:
    now = stack.clock.now
    stack.ctx.discovery = StaticDiscovery([edge_instance("us-1", "US", now - 3600)])
    body, text = await _manifest(stack, "US")
    assert body["edges"] == []
    assert next(line for line in text.splitlines() if not line.startswith("#")).startswith(
        "/media/s/"
    )


async def test_the_dash_manifest_lists_the_edges_in_rank_order_then_the_origin(
    stack: Stack,
) -> None:
    now = stack.clock.now
    stack.ctx.discovery = StaticDiscovery(
        [edge_instance("gb-10", "GB", now), edge_instance("us-1", "US", now, "film1")]
    )
    body, _ = await _manifest(stack, "US")
    dash_url = str(body["dash_url"])
    # Beside the master playlist, signed by the same token.
    assert dash_url.rsplit("/", 1)[0] == str(body["manifest_url"]).rsplit("/", 1)[0]
    answer = await stack.client.get(dash_url.removeprefix("/api"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/dash+xml")
    assert answer.headers["access-control-allow-origin"] == "*"
    root = ET.fromstring(answer.text)
    rep = root.find(".//d:Representation[@id='v0']", NS)
    assert rep is not None
    bases = [b.text or "" for b in rep.findall("d:BaseURL", NS)]
    assert [b.split("/media/s/")[0] for b in bases] == [
        "http://127.0.0.1:9004",  # us-1: the caller's region, holds the title
        "http://127.0.0.1:9005",  # gb-10, another region
        "",
    ]
    # The standard plan's MPD has no 2160p or taller representation.
    assert {r.get("id") for r in root.iterfind(".//d:Representation", NS)} >= {"v0", "v1", "v2"}


async def test_a_dash_manifest_with_a_bad_token_or_for_no_play_is_refused(stack: Stack) -> None:
    body, _ = await _manifest(stack, "US")
    dash_url = str(body["dash_url"]).removeprefix("/api")
    token = dash_url.split("/manifests/")[1].split("/", 1)[0]
    tampered = dash_url.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert (await stack.client.get(tampered)).status_code == 403
    # The token signs this play only: another play id under it is refused.
    other = dash_url.replace(str(body["play_id"]), "0" * 32)
    assert (await stack.client.get(other)).status_code == 403
    stack.clock.now += 3 * 86400
    assert (await stack.client.get(dash_url)).status_code == 410


async def test_a_title_without_an_mpd_plays_with_hls_alone(stack: Stack) -> None:
    original = stack.upstreams.playable

    async def no_dash(title_id: str) -> Playable:
        return replace(await original(title_id), dash_name=None)

    stack.upstreams.playable = no_dash  # type: ignore[method-assign]
    body, text = await _manifest(stack, "US")
    assert body["dash_url"] is None and text.startswith("#EXTM3U")


async def test_an_encrypted_title_with_the_default_key_path_plays_through_the_gateway(
    stack: Stack,
) -> None:
    # Media's default key URI is a path: from a playlist on an edge it would
    # resolve to the edge, which has no keys. The play keeps the gateway.
    now = stack.clock.now
    stack.ctx.discovery = StaticDiscovery([edge_instance("us-1", "US", now, "film1")])
    stack.upstreams.key_uris["film1"] = "/api/playback/keys/film1"
    body, text = await _manifest(stack, "US")
    assert body["edges"] == []
    uris = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert uris and all(uri.startswith("/media/s/") for uri in uris)


async def test_an_encrypted_title_with_an_absolute_key_url_is_steered_to_edges(
    stack: Stack,
) -> None:
    now = stack.clock.now
    stack.ctx.discovery = StaticDiscovery([edge_instance("us-1", "US", now, "film1")])
    stack.upstreams.key_uris["film1"] = "https://watch.example/api/playback/keys/film1"
    body, text = await _manifest(stack, "US")
    assert [e["instance"] for e in body["edges"]] == ["us-1"]  # type: ignore[index,union-attr]
    assert "http://127.0.0.1:9004/media/s/" in text
