"""A play start steers to the registered edges: ranked in the answer and in the manifest."""

from __future__ import annotations

from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from tests.unit.playback.conftest import Stack, device, viewer


def _edge(name: str, region: str, reported_at: float, titles: str = "") -> InstanceInfo:
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
        [_edge("gb-1", "GB", now), _edge("us-1", "US", now, "film1"), _edge("us-22", "US", now)]
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
    stack.ctx.discovery = StaticDiscovery([_edge("us-1", "US", now - 3600)])
    body, text = await _manifest(stack, "US")
    assert body["edges"] == []
    assert next(line for line in text.splitlines() if not line.startswith("#")).startswith(
        "/media/s/"
    )
