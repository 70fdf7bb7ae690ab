"""hls.js in Chromium plays through a steered edge and goes on from the next when it dies.

The web app's player (``/watch/<title>``) starts a play, gets a manifest
listing two (stand-in) edges as redundant variant streams, and plays from the
first; that edge dies after a few answers, mid-play, and hls.js finishes the
title from the second edge without a fatal error. The cluster and the
stand-ins are ``test_edges.py``'s.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Cluster
from tests.e2e.test_edges import clip, edges  # noqa: F401 (fixtures)
from tests.e2e.test_playback import browser, chromium, page  # noqa: F401 (fixtures)
from tests.e2e.test_viewer_journey import PASSWORD, Viewer, _gateway, _ingest, _play
from tests.support.browser import built_web_app
from tests.support.edge_standin import StandInEdge
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

# hls.js retries a failed segment with backoff before it moves to the next
# pathway (about half a minute with its defaults): wait well beyond that.
FAILOVER_WAIT_MS = 180_000
# Playlists and init sections come first; the first edge dies after it has
# answered these and a couple of segments.
ANSWERS_BEFORE_DYING = 6


def _segments(edge: StandInEdge) -> list[str]:
    return [key for key in edge.state.served if key.endswith(".m4s")]


def test_hls_js_moves_to_the_next_edge_when_its_edge_dies(
    edges: tuple[Cluster, dict[str, StandInEdge]],  # noqa: F811 (the fixture)
    page: Page,  # noqa: F811 (the fixture)
    clip: Path,  # noqa: F811 (the fixture)
) -> None:
    built_web_app()
    cluster, standins = edges
    title = _ingest(cluster, clip, "Edge in the Browser", "PG")
    gateway = _gateway(cluster)
    email = "browser@example.com"
    with httpx.Client(base_url=gateway, timeout=30) as client:
        Viewer(client, email)  # the page's viewer: no profile yet, the page makes one
        probe = Viewer(client, "probe@example.com")
        probe.enter(probe.add_profile("Probe"))
        wait_until(
            lambda: (
                probe.call("GET", f"/api/catalog/titles/{title['title_id']}").status_code == 200
            ),
            "the catalog listing the title",
        )

        # Which edge a play of this title goes to first (the page's play ranks the same:
        # the same title, the same edges' reports).
        def first_two() -> list[str]:
            play = _play(probe, title["title_id"], "probe").json()
            probe.call("DELETE", f"/api/playback/plays/{play['play_id']}")
            return [e["instance"] for e in play.get("edges", [])[:2]]

        ranked = wait_until(
            first_two, "a play steered to both stand-ins", done=lambda r: set(r) == set(standins)
        )
    first, second = standins[ranked[0]], standins[ranked[1]]
    first.state.die_after = len(first.state.served) + ANSWERS_BEFORE_DYING

    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    page.goto(f"{gateway}/watch/{title['title_id']}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_function(
        "() => ['playing', 'error'].includes("
        "document.querySelector('[data-testid=player]')?.dataset.state)",
    )
    # Played to (nearly) the end: the segments after the death came from the second edge.
    page.wait_for_function(
        "() => { const v = document.querySelector('video');"
        " return v && (v.ended || v.currentTime > v.duration - 1.5) }",
        timeout=FAILOVER_WAIT_MS,
    )
    player = page.locator("[data-testid=player]")
    assert player.get_attribute("data-error") is None
    assert player.get_attribute("data-state") != "error"
    assert first.state.dead and _segments(first), first.state.served
    assert _segments(second), second.state.served
    assert crashes == []
