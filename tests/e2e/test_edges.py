"""A play on a running cluster is steered to edges, and survives its edge dying mid-play.

The cluster is real (registry, gateway, identity, catalog, media, playback,
recommendations); the edges are stand-ins (``tests/support/edge_standin.py``)
that register in the cluster's registry with the edge contract's metadata,
check the signed URLs with the cluster's key and fetch what they lack from
the gateway's ``/media/s``. The viewer plays with the test HLS client, which
follows redundant variant streams as hls.js does (``test_edges_real.py`` is
the same with real edge processes). The viewer and the stand-ins are in GB,
so real edges a cluster may run (in US by default) rank after them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from reelstack import settings
from reelstack.registry_credentials import authorization, cluster_key
from reelstack.signed_urls import signer_for
from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.e2e.test_viewer_journey import Viewer, _gateway, _ingest, _play
from tests.integration.media.conftest import ClipMaker
from tests.support.edge_standin import EdgeState, StandInEdge, registration, running
from tests.support.hls_client import HlsClient
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def clip(clips: ClipMaker) -> Path:
    # 2 s segments of an 8 s clip: four segments, so the edge can die between two.
    return clips.video(
        "edges.mp4", size="320x180", seconds=8, vcodec=("-c:v", "libx264", "-preset", "ultrafast")
    )


def _register(cluster: Cluster, edge: StandInEdge) -> None:
    config = settings.load(environ={"REELSTACK_HOME": str(cluster.home)})
    registry = next(
        v for v in cluster.instances() if v["service"] == "registry" and v["state"] == "up"
    )
    answer = httpx.post(
        f"http://127.0.0.1:{registry['port']}/eureka/apps/EDGE",
        json=registration(edge.state, edge.url, port=edge.server_address[1]),
        headers={"Authorization": authorization(cluster_key(config), "edge")},
        timeout=30,
    )
    assert answer.status_code == 204, answer.text


@pytest.fixture
def edges(new_cluster: Cluster, clip: Path) -> Iterator[tuple[Cluster, dict[str, StandInEdge]]]:
    cluster = new_cluster
    cluster.env.update(
        REELSTACK_MEDIA_LADDER_MODE="fixed",
        REELSTACK_MEDIA_TOP_MAX_HEIGHT="240",
        REELSTACK_MEDIA_SEGMENT_S="2",
        REELSTACK_MEDIA_ANNOUNCE_S="1",
        # Playback's copy of the registry catches the edges within a second.
        REELSTACK_EUREKA_FETCH_INTERVAL_S="1",
        REELSTACK_GATEWAY_REGION_DEFAULT="GB",
    )
    cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
    cluster.wait_all_up(within_s=UP_TIMEOUT_S)
    # Only the stand-ins: the cluster's own edges would be listed after them
    # and take part in the failover these tests follow.
    cluster.ok("scale", "edge", "0")
    config = settings.load(environ={"REELSTACK_HOME": str(cluster.home)})
    signer = signer_for(config)
    gateway = _gateway(cluster)
    with ExitStack() as stack:
        found = {
            name: stack.enter_context(
                running(EdgeState(name, "GB", signer, {}, origin_url=gateway))
            )
            for name in ("standin-gb-1", "standin-gb-2")
        }
        for edge in found.values():
            _register(cluster, edge)
        yield cluster, found


def test_a_play_goes_through_an_edge_and_on_to_the_next_when_it_dies(
    edges: tuple[Cluster, dict[str, StandInEdge]], clip: Path
) -> None:
    cluster, standins = edges
    title = _ingest(cluster, clip, "Edge of Night", "PG")
    with httpx.Client(base_url=_gateway(cluster), timeout=30) as client:
        ann = Viewer(client, "ann@example.com")
        ann.enter(ann.add_profile("Ann"))
        wait_until(
            lambda: ann.call("GET", f"/api/catalog/titles/{title['title_id']}").status_code == 200,
            "the catalog listing the title",
        )

        def steered() -> list[dict[str, str]]:
            started = _play(ann, title["title_id"], "laptop")
            assert started.status_code == 201, started.text
            play = started.json()
            firsts = {e["instance"] for e in play["edges"][:2]}
            return play["edges"] if firsts == set(standins) else []

        ranked = wait_until(steered, "a play steered to both stand-in edges")
        play = _play(ann, title["title_id"], "laptop").json()
        first, second = (standins[e["instance"]] for e in play["edges"][:2])
        assert [e["url"] for e in play["edges"][:2]] == [first.url, second.url]
        assert ranked[0]["region"] == "GB"

        master = client.get(play["manifest_url"])
        assert master.status_code == 200, master.text
        assert master.headers["access-control-allow-origin"] == "*"

        def kill_after_two(count: int) -> None:
            if count == 2:
                first.kill()

        with httpx.Client(timeout=30) as viewer_http:
            played = HlsClient(viewer_http).play(
                str(httpx.URL(str(client.base_url)).join(play["manifest_url"])),
                after_segment=kill_after_two,
            )
        # Every segment, in order, none twice: two from the first edge, the rest from the next.
        assert len(played.segments) >= 4, played
        assert played.sources[:2] == [first.url] * 2
        assert set(played.sources[2:]) == {second.url}
        assert len(played.failovers) == 1
        # The edges fetched from the origin; nothing came from the gateway to the viewer.
        assert first.state.origin_fetches > 0 and second.state.origin_fetches > 0

        # The plays counted reach the popularity edges fill from (a call inside the mesh).
        recommendations = next(
            v
            for v in cluster.instances()
            if v["service"] == "recommendations" and v["state"] == "up"
        )
        popular_url = f"http://127.0.0.1:{recommendations['port']}/recommendations/popular"

        def popular() -> list[str]:
            answer = httpx.get(popular_url, params={"region": "GB", "limit": 5}, timeout=30)
            assert answer.status_code == 200, answer.text
            return [t["id"] for t in answer.json()["titles"]]

        wait_until(popular, "the title among the region's popular", done=lambda ids: ids != [])
        assert popular()[0] == title["title_id"]
        # Through the gateway, a viewer may not read it.
        refused = ann.call("GET", "/api/recommendations/popular", params={"region": "GB"})
        assert refused.status_code == 403
