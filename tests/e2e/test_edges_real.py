"""Real edge processes on a running cluster: fill before the first viewer, failover mid-play.

The cluster runs two ``edge`` instances beside every other service. An
operator fills them with a title (``reelstack edge fill --now``); a viewer's
play is steered to both; the first edge is killed mid-play and the test HLS
client (redundant variant streams, as hls.js) finishes from the second,
whose every answer was a hit: the fill warmed it before its first viewer.

Skipped until the edge service (``reelstack.edge``) is in the tree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.e2e.test_viewer_journey import Viewer, _gateway, _ingest, _play
from tests.integration.media.conftest import ClipMaker
from tests.support.hls_client import HlsClient
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow
pytest.importorskip("reelstack.edge", reason="the edge service is not in this tree yet")


@pytest.fixture
def clip(clips: ClipMaker) -> Path:
    # 2 s segments of an 8 s clip: four segments, so the edge can die between two.
    return clips.video(
        "edges.mp4", size="320x180", seconds=8, vcodec=("-c:v", "libx264", "-preset", "ultrafast")
    )


def _edges(cluster: Cluster) -> dict[str, dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(cluster.ok("edge", "status", "--json"))
    return {row["instance"]: row for row in rows if "error" not in row}


def test_real_edges_fill_serve_and_fail_over(new_cluster: Cluster, clip: Path) -> None:
    cluster = new_cluster
    cluster.env.update(
        REELSTACK_SERVICES_EXTRA="reelstack.edge",
        REELSTACK_MEDIA_LADDER_MODE="fixed",
        REELSTACK_MEDIA_TOP_MAX_HEIGHT="240",
        REELSTACK_MEDIA_SEGMENT_S="2",
        REELSTACK_MEDIA_ANNOUNCE_S="1",
        REELSTACK_EUREKA_FETCH_INTERVAL_S="1",
        REELSTACK_EDGE_REPORT_S="1",
    )
    cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
    cluster.ok("scale", "edge", "2")
    cluster.wait_all_up(within_s=UP_TIMEOUT_S)
    title = _ingest(cluster, clip, "Edge of Night", "PG")
    title_id = title["title_id"]

    # Fill before any viewer: both edges copy the title from the origin.
    cluster.ok("edge", "fill", "--now", "--title", title_id)
    edges = wait_until(
        lambda: _edges(cluster),
        "both edges holding the title",
        done=lambda found: len(found) == 2 and all(title_id in e["titles"] for e in found.values()),
    )
    assert all(e["requests"] == 0 and e["used_bytes"] > 0 for e in edges.values()), edges

    with httpx.Client(base_url=_gateway(cluster), timeout=30) as client:
        ann = Viewer(client, "ann@example.com")
        ann.enter(ann.add_profile("Ann"))
        wait_until(
            lambda: ann.call("GET", f"/api/catalog/titles/{title_id}").status_code == 200,
            "the catalog listing the title",
        )

        def steered() -> dict[str, Any]:
            started = _play(ann, title_id, "laptop")
            assert started.status_code == 201, started.text
            play: dict[str, Any] = started.json()
            return play

        play = wait_until(
            steered, "a play steered to both edges", done=lambda p: len(p["edges"]) == 2
        )
        first, second = play["edges"]
        killed: list[str] = []

        def kill_after_two(count: int) -> None:
            if count == 2:
                cluster.ok("instances", "kill", first["instance"])
                killed.append(first["instance"])

        with httpx.Client(timeout=30) as viewer_http:
            played = HlsClient(viewer_http).play(
                str(client.base_url.join(play["manifest_url"])), after_segment=kill_after_two
            )
    assert killed == [first["instance"]]
    assert len(played.segments) >= 4 and all(played.segments), played.sources
    assert played.sources[:2] == [first["url"]] * 2
    assert set(played.sources[2:]) == {second["url"]}
    assert len(played.failovers) == 1
    # The second edge's first viewer was served from what the fill brought.
    after = wait_until(
        lambda: _edges(cluster).get(second["instance"]),
        "the second edge's status",
        done=lambda e: e is not None and e["requests"] > 0,
    )
    assert after["hits"] == after["requests"], after
    assert after["bytes_from_origin"] == edges[second["instance"]]["bytes_from_origin"], after
