"""A published title plays in the web app's player (hls.js) in a real Chromium.

The source is what a viewer's upload often is and no browser plays as is:
HEVC video with 5.1 audio in Matroska. The cluster encodes it to the H.264/AAC
ladder; the page at ``/watch/<title_id>``, served by the gateway, signs the
viewer in, starts a play on the playback service and plays the signed
manifest it hands out with hls.js.

The browser is Debian's Chromium driven by Playwright (``make test`` installs
it; Playwright never downloads one here). Without it these tests skip, and
fail in CI or under ``REELSTACK_REQUIRE_ENGINES=1``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import m3u8  # type: ignore[import-untyped]
import pytest
from playwright.sync_api import BrowserContext, Page

from reelstack.media.ffmpeg import Binaries
from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.integration.media.conftest import ClipMaker
from tests.support.binaries import need_chromium
from tests.support.browser import built_web_app, chromium_context, new_page
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

TITLE_NAME = "Five Point One"
PLAYED_S = 1.5
UNKNOWN_ID = "no-such-title"
PASSWORD = "correct horse battery staple"


@dataclass
class Published:
    """The ingested title, where the gateway serves it, and a viewer who may watch it."""

    gateway: str
    title_id: str
    master: Any  # m3u8.M3U8 of the published master playlist
    email: str = "viewer@example.com"
    password: str = PASSWORD


def _hevc_5_1_matroska(clips: ClipMaker, binaries: Binaries) -> Path:
    """Write a 5 s HEVC clip with six distinct 5.1 audio channels (Opus) in Matroska."""
    tones = "|".join(f"0.2*sin({f}*2*PI*t)" for f in (220, 330, 440, 550, 660, 770))
    out = clips.make(
        "playback-source.mkv",
        *("-f", "lavfi", "-i", "testsrc2=size=512x288:rate=25:duration=5"),
        *("-f", "lavfi", "-i"),
        f"aevalsrc=exprs={tones}:channel_layout=5.1:sample_rate=48000:duration=5",
        *("-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"),
        *("-c:a", "libopus", "-b:a", "192k", "-f", "matroska"),
    )
    probe = subprocess.run(
        [str(binaries.ffprobe), "-v", "error", "-show_streams", "-of", "json", str(out)],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    streams = json.loads(probe.stdout)["streams"]
    found = {(s["codec_type"], s["codec_name"], s.get("channels")) for s in streams}
    assert found == {("video", "hevc", None), ("audio", "opus", 6)}, found
    return out


@pytest.fixture(scope="module")
def chromium() -> Path:
    return need_chromium()


@pytest.fixture(scope="module")
def published(
    chromium: Path,
    clips: ClipMaker,
    binaries: Binaries,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Published]:
    """A one-instance cluster that has published the HEVC 5.1 source as a title."""
    built_web_app()  # served from the checkout by default, as `make demo` does
    folder = tmp_path_factory.mktemp("playback")
    source = _hevc_5_1_matroska(clips, binaries)
    cluster = Cluster(folder / "home")
    cluster.env.update(REELSTACK_CLUSTER_INSTANCES="1", REELSTACK_MEDIA_LADDER_MODE="fixed")
    try:
        cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
        result = cluster.cli("ingest", str(source), "--title", TITLE_NAME, "--json", timeout=300)
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout)
        assert out["state"] == "ready", out
        gateway = next(
            v for v in cluster.instances() if v["service"] == "gateway" and v["state"] == "up"
        )
        base = f"http://127.0.0.1:{gateway['port']}"
        # ingest --json prints a signed master URL at the gateway.
        assert out["master_url"].startswith(f"{base}/media/s/"), out
        master = m3u8.loads(httpx.get(out["master_url"], timeout=10).text)
        published = Published(base, out["title_id"], master)

        # A viewer account without profiles (the page makes its first one).
        def sign_up() -> httpx.Response:
            return httpx.post(
                f"{base}/api/identity/accounts",
                json={"email": published.email, "password": published.password},
                timeout=30,
            )

        made = wait_until(
            sign_up, "sign-up through the gateway", done=lambda r: r.status_code != 503
        )
        assert made.status_code == 201, made.text
        # The catalog hears of the title from media's announcements.
        wait_until(
            lambda: _catalog_has(base, published),
            "the catalog listing the title",
        )
        yield published
    finally:
        cluster.destroy()


@pytest.fixture(scope="module")
def browser(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Headless Chromium with a profile of its own."""
    with chromium_context(tmp_path_factory.mktemp("chromium")) as context:
        yield context


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    with new_page(browser) as page:
        yield page


def _catalog_has(base: str, published: Published) -> bool:
    tokens = httpx.post(
        f"{base}/api/identity/sessions",
        json={"email": published.email, "password": published.password},
        timeout=30,
    ).json()
    answer = httpx.get(
        f"{base}/api/catalog/titles/{published.title_id}",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=30,
    )
    return answer.status_code == 200


def _sign_in(page: Page, published: Published) -> None:
    """Sign in on the page's form, as a viewer does."""
    page.wait_for_selector("form[aria-label='Sign in']")
    page.get_by_label("Email").fill(published.email)
    page.get_by_label("Password").fill(published.password)
    page.get_by_role("button", name="Sign in").click()


def _settled_state(
    page: Page, states: tuple[str, ...] = ("playing", "error")
) -> dict[str, str | None]:
    """Wait until the player is in one of ``states``; return its data attributes and message."""
    page.wait_for_function(
        "states => states.includes(document.querySelector('[data-testid=player]')?.dataset.state)",
        arg=list(states),
    )
    player = page.locator("[data-testid=player]")
    alert = page.locator("[role=alert]")
    return {
        "state": player.get_attribute("data-state"),
        "levels": player.get_attribute("data-levels"),
        "error": player.get_attribute("data-error"),
        "message": alert.inner_text() if alert.count() else None,
    }


def test_a_published_hevc_5_1_title_plays_in_hls_js(page: Page, published: Published) -> None:
    variants = published.master.playlists
    # The 512x288 source gets two rungs (240p and 288p) from the fixed ladder,
    # so hls.js has a real choice of levels to report.
    assert len(variants) >= 2, published.master.dumps()
    assert all("avc1" in v.stream_info.codecs for v in variants), published.master.dumps()
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    page.goto(f"{published.gateway}/watch/{published.title_id}")
    _sign_in(page, published)

    settled = _settled_state(page)
    assert settled["state"] == "playing", settled
    page.wait_for_function(
        f"() => document.querySelector('h1')?.innerText === {json.dumps(TITLE_NAME)}"
    )
    page.wait_for_function(f"() => document.querySelector('video').currentTime > {PLAYED_S}")
    decoded = page.evaluate(
        """() => {
            const video = document.querySelector('video')
            return {
                frames: video.getVideoPlaybackQuality().totalVideoFrames,
                audioBytes: video.webkitAudioDecodedByteCount,
                width: video.videoWidth,
            }
        }"""
    )
    assert decoded["frames"] > 0 and decoded["width"] > 0, decoded
    assert decoded["audioBytes"] > 0, decoded  # the 5.1 source's sound, as stereo AAC
    player = page.locator("[data-testid=player]")
    assert player.get_attribute("data-levels") == str(len(variants))
    assert player.get_attribute("data-error") is None
    assert player.get_attribute("data-state") != "error"
    assert crashes == []


def test_an_unknown_title_shows_that_it_does_not_exist(page: Page, published: Published) -> None:
    page.goto(f"{published.gateway}/watch/{UNKNOWN_ID}")
    _sign_in(page, published)

    settled = _settled_state(page)
    assert settled["state"] == "error", settled
    assert settled["error"] == "not-found", settled
    assert settled["message"] == "This title does not exist."
    assert page.locator("video").count() == 0


def test_a_viewer_who_is_not_signed_in_is_asked_to_and_then_watches(
    page: Page, published: Published
) -> None:
    # What a newcomer does after `make demo`: open the page, no session yet.
    page.goto(f"{published.gateway}/watch/{published.title_id}")

    settled = _settled_state(page, ("sign-in",))
    assert settled["error"] is None, settled  # asked, not refused
    assert page.locator("video").count() == 0
    page.get_by_label("Email").fill(published.email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("[role=alert]")
    assert page.locator("video").count() == 0
    _sign_in(page, published)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=player]')?.dataset.state === 'playing'"
    )
    page.wait_for_function(f"() => document.querySelector('video').currentTime > {PLAYED_S}")


def test_a_viewer_whose_session_is_no_longer_valid_is_asked_to_sign_in(
    page: Page, published: Published
) -> None:
    # A tab holding tokens the identity service no longer honours.
    stale = {"accessToken": "not.a.token", "refreshToken": "spent", "profileId": "p-1"}
    page.add_init_script(
        f"sessionStorage.setItem('reelstack.session', {json.dumps(json.dumps(stale))})"
    )

    page.goto(f"{published.gateway}/watch/{published.title_id}")

    # The graph's client refuses the session and sends the viewer to sign in,
    # with the way back to this title.
    page.wait_for_url(f"**/signin?next=%2Fwatch%2F{published.title_id}")
    page.get_by_label("Email").wait_for()
    assert page.locator("video").count() == 0
