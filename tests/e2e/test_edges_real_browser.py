"""hls.js in Chromium, real edge processes: the edge playing is killed, the next one finishes.

Two ``edge`` instances run in the cluster; the web app's player is steered
to both and plays from the first. When the player asks the first edge for
its third segment, that edge is killed (``kill -9``; the browser's request
is held until it is dead), so the rest of the title must come from the
second: hls.js moves to the second edge's pathway and plays to the end.
(At this bitrate hls.js would buffer the whole title in a second, so the
kill is tied to a request, not to a time.) Skipped until the edge service
is in the tree.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route

from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.e2e.test_playback import browser, chromium, page  # noqa: F401
from tests.e2e.test_viewer_journey import PASSWORD, Viewer, _gateway, _ingest, _play
from tests.integration.media.conftest import ClipMaker
from tests.support.browser import built_web_app
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow
pytest.importorskip("reelstack.edge", reason="the edge service is not in this tree yet")

# The player's load policies (web/src/watch/engine/loadPolicy.ts) leave a
# dead edge within seconds; the wait is far beyond, for a loaded machine.
SECONDS = 16
FAILOVER_WAIT_MS = 240_000
KILL_AT_SEGMENT = 3


@pytest.fixture
def long_clip(clips: ClipMaker) -> Path:
    return clips.video(
        "edges-long.mp4",
        size="320x180",
        seconds=SECONDS,
        vcodec=("-c:v", "libx264", "-preset", "ultrafast"),
    )


def test_hls_js_survives_its_real_edge_being_killed(
    new_cluster: Cluster,
    long_clip: Path,
    page: Page,  # noqa: F811 (the fixture)
) -> None:
    built_web_app()
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
    title = _ingest(cluster, long_clip, "Edge, Killed", "PG")
    gateway = _gateway(cluster)
    email = "browser@example.com"
    with httpx.Client(base_url=gateway, timeout=30) as client:
        Viewer(client, email)  # the page's viewer: the page makes its profile
        probe = Viewer(client, "probe@example.com")
        probe.enter(probe.add_profile("Probe"))
        wait_until(
            lambda: (
                probe.call("GET", f"/api/catalog/titles/{title['title_id']}").status_code == 200
            ),
            "the catalog listing the title",
        )

        def first_two() -> list[dict[str, str]]:
            play = _play(probe, title["title_id"], "probe").json()
            probe.call("DELETE", f"/api/playback/plays/{play['play_id']}")
            edges: list[dict[str, str]] = play.get("edges", [])[:2]
            return edges

        ranked = wait_until(first_two, "a play steered to both edges", done=lambda r: len(r) == 2)
    first, second = ranked
    segments: list[str] = []
    moments: dict[str, float] = {}

    def segment(url: str) -> bool:
        # The player adds its CMCD keys as a query argument.
        path = urlsplit(url).path
        return path.endswith(".m4s") and "/init" not in path

    def kill_at_third_segment(route: Route) -> None:
        if segment(route.request.url):
            segments.append(route.request.url)
            if len(segments) == KILL_AT_SEGMENT:
                cluster.ok("instances", "kill", first["instance"])
                moments["killed"] = time.monotonic()
        route.continue_()

    def note_second_edge(route: Route) -> None:
        if "killed" in moments and segment(route.request.url):
            moments.setdefault("second", time.monotonic())
        route.continue_()

    page.route(f"{first['url']}/**", kill_at_third_segment)
    page.route(f"{second['url']}/**", note_second_edge)

    page.goto(f"{gateway}/watch/{title['title_id']}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('video');"
        " return v && (v.ended || v.currentTime > v.duration - 1.5) }",
        timeout=FAILOVER_WAIT_MS,
    )
    player = page.locator("[data-testid=player]")
    assert player.get_attribute("data-error") is None
    assert player.get_attribute("data-state") != "error"
    assert len(segments) >= KILL_AT_SEGMENT, segments
    # The rest came from the second edge.
    rows = json.loads(cluster.ok("edge", "status", "--json"))
    status = next(row for row in rows if row.get("instance") == second["instance"])
    assert status["requests"] > 0, rows
    # A figure for the note, not an assertion: how long the dead edge cost.
    print(f"failover: {moments['second'] - moments['killed']:.1f} s from the kill")
