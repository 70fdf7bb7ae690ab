"""The web app's player in Debian's Chromium: play, resume, Skip Intro, the stream limit.

One cluster publishes three episodes of the demo series (intro and credits
detection needs the season to find the shared intro); a viewer account whose
one profile the page opens by itself watches them at ``/watch/<title>``.
Each test drives the page as a viewer does and asserts what the viewer
sees: frames decoded and time moving, the position kept across a reload
(also when the leaving page's bookmark never lands), the intro skipped with
its button on screen at a laptop's and a phone's size, the seek bar's
preview following the pointer, "Are you still watching?" after the
profile's number of episodes, and the devices holding the plan's streams listed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page

from reelstack.cli import demo_catalog as demo
from reelstack.media.ffmpeg import Binaries
from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.e2e.test_playback import browser, chromium, page  # noqa: F401
from tests.e2e.test_viewer_journey import PASSWORD, Viewer, _gateway, _play
from tests.support.browser import built_web_app
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

EPISODE_S = 50.0
RESUME_AT_S = 40.0
EMAIL = "player@example.com"
# A laptop's window and a phone's: the player's buttons must show in both without scrolling.
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@dataclass
class Season:
    gateway: str
    episodes: list[dict[str, Any]]  # media's title views, episode 1 first
    cluster: Cluster


def _ingest_episode(
    cluster: Cluster, binaries: Binaries, title: demo.DemoTitle, folder: Path
) -> str:
    source = demo.generate(binaries, title, folder=folder, seconds=EPISODE_S, size="160x90")
    result = cluster.cli(
        "ingest", str(source), "--title", title.name, "--rating", title.rating,
        "--series", str(title.series), "--season", str(title.season),
        "--episode", str(title.episode), "--json", timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    assert out["state"] == "ready", out
    return str(out["title_id"])


@pytest.fixture(scope="module")
def season(
    chromium: Path,  # noqa: F811 (the fixture)
    binaries: Binaries,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Season]:
    """A one-instance cluster with three published episodes whose markers are found."""
    built_web_app()
    folder = tmp_path_factory.mktemp("player")
    cluster = Cluster(folder / "home")
    cluster.env.update(REELSTACK_CLUSTER_INSTANCES="1", REELSTACK_MEDIA_LADDER_MODE="fixed")
    try:
        cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
        episodes = [t for t in demo.CATALOG if t.series][:3]
        ids = [_ingest_episode(cluster, binaries, t, folder / "src") for t in episodes]
        gateway = _gateway(cluster)
        with httpx.Client(base_url=gateway, timeout=30) as client:
            viewer = Viewer(client, EMAIL)
            viewer.enter(viewer.add_profile("Me"))

            def marked() -> list[dict[str, Any]]:
                views = [viewer.call("GET", f"/api/media/titles/{i}").json() for i in ids]
                listed = all(
                    viewer.call("GET", f"/api/catalog/titles/{i}").status_code == 200 for i in ids
                )
                return views if listed else []

            # Detection reruns as each episode lands; the last run marks them all.
            views = wait_until(
                marked,
                "every episode listed with its intro marked",
                done=lambda vs: len(vs) == 3 and all(v.get("intro_end_s") for v in vs),
            )
        yield Season(gateway, views, cluster)
    finally:
        cluster.destroy()


class _Returning(Viewer):
    """The season's viewer signing in again (on other devices), without a new account."""

    def __init__(self, client: httpx.Client, email: str) -> None:
        self.client, self.email, self.profile = client, email, None
        tokens = client.post("/api/identity/sessions", json={"email": email, "password": PASSWORD})
        assert tokens.status_code == 200, tokens.text
        self.tokens = tokens.json()


def _open(tab: Page, season: Season, title_id: str) -> None:
    """Open the title's watch page, signing in when the tab has no session yet."""
    tab.goto(f"{season.gateway}/watch/{title_id}")
    tab.wait_for_function(
        "() => { const s = document.querySelector('[data-testid=player]')?.dataset.state;"
        " return s !== undefined && s !== 'loading' }"
    )
    if tab.locator("[data-testid=player]").get_attribute("data-state") == "sign-in":
        tab.get_by_label("Email").fill(EMAIL)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()


def _wait_time(tab: Page, beyond: float) -> None:
    tab.wait_for_function(
        "t => { const v = document.querySelector('video'); return v && v.currentTime > t }",
        arg=beyond,
    )


def _current(tab: Page) -> float:
    return float(tab.evaluate("() => document.querySelector('video').currentTime"))


def _seek(tab: Page, to: float) -> None:
    tab.evaluate(f"() => {{ document.querySelector('video').currentTime = {to} }}")


def _loaded(tab: Page) -> None:
    tab.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.readyState >= 2 }"
    )


def _assert_on_screen(tab: Page, control: Locator) -> None:
    """``control`` lies wholly inside the window, at each of SIZES, with the page not scrolled."""
    for width, height in SIZES.values():
        tab.set_viewport_size({"width": width, "height": height})
        assert tab.evaluate("() => window.scrollY") == 0
        box = control.bounding_box()
        assert box is not None, "the control is not shown"
        inside = (
            box["x"] >= 0
            and box["y"] >= 0
            and box["x"] + box["width"] <= width
            and box["y"] + box["height"] <= height
        )
        assert inside, (box, width, height)
    tab.set_viewport_size({"width": 1280, "height": 800})


def test_an_episode_plays_with_frames_decoded(page: Page, season: Season) -> None:  # noqa: F811
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    # The first telemetry batch (play_start, a few seconds in) is accepted whole.
    with page.expect_response(lambda r: r.url.endswith("/api/events")) as telemetry:
        _open(page, season, season.episodes[0]["id"])
        _wait_time(page, 2.0)
    assert telemetry.value.status == 200, telemetry.value.text()
    assert telemetry.value.json()["accepted"] >= 1
    quality = page.evaluate(
        "() => document.querySelector('video').getVideoPlaybackQuality().totalVideoFrames"
    )
    assert quality > 0
    player = page.locator("[data-testid=player]")
    assert player.get_attribute("data-error") is None
    # The quality menu offers automatic choice and each rung hls.js found.
    options = page.get_by_label("Quality").locator("option").all_inner_texts()
    assert options[0].startswith("Auto") and len(options) == 1 + int(
        player.get_attribute("data-levels") or 0
    ), options
    assert crashes == []


def test_leaving_at_40_s_resumes_at_40_s_after_a_reload(page: Page, season: Season) -> None:  # noqa: F811
    title = season.episodes[1]["id"]
    _open(page, season, title)
    _wait_time(page, 0.5)
    _seek(page, RESUME_AT_S)
    _wait_time(page, RESUME_AT_S)
    # Reloaded at once, while it plays: leaving saves the bookmark (keepalive)
    # and ends the play, and the new page starts before that has surely landed.
    page.reload()
    _loaded(page)
    resumed = _current(page)
    assert RESUME_AT_S - 1 <= resumed <= RESUME_AT_S + 5, resumed


# In the tab, before its code runs: every SaveBookmark request is dropped on
# the way out, counted in sessionStorage (which a reload keeps). Playwright's
# routing does not see the keepalive requests a page sends as it unloads.
LOSE_BOOKMARKS = """(() => {
    const send = window.fetch.bind(window)
    window.fetch = (input, init) => {
        if (typeof init?.body === 'string' && init.body.includes('"SaveBookmark"')) {
            const lost = Number(sessionStorage.getItem('test.lostBookmarks') ?? 0)
            sessionStorage.setItem('test.lostBookmarks', String(lost + 1))
            return Promise.reject(new TypeError('the network lost it'))
        }
        return send(input, init)
    }
})()"""


def test_a_reload_resumes_at_40_s_though_the_leaving_bookmark_never_lands(
    page: Page,  # noqa: F811
    season: Season,
) -> None:
    # No bookmark of this tab reaches the server (the heartbeats' nor the
    # leaving page's): it holds an older position at best, as when the new
    # page's play start reads history before the keepalive request lands.
    page.add_init_script(LOSE_BOOKMARKS)
    _open(page, season, season.episodes[0]["id"])
    _wait_time(page, 0.5)
    _seek(page, RESUME_AT_S)
    _wait_time(page, RESUME_AT_S)
    page.reload()
    _loaded(page)
    resumed = _current(page)
    lost = page.evaluate("() => Number(sessionStorage.getItem('test.lostBookmarks'))")
    assert lost >= 1, "the leaving page sent no bookmark"
    # The tab kept the position on page hide and resumes from it.
    assert RESUME_AT_S - 1 <= resumed <= RESUME_AT_S + 5, resumed


def test_skip_intro_jumps_to_the_end_of_the_intro(page: Page, season: Season) -> None:  # noqa: F811
    episode = season.episodes[2]
    start, end = episode["intro_start_s"], episode["intro_end_s"]
    page.set_viewport_size({"width": 1280, "height": 800})
    _open(page, season, episode["id"])
    _wait_time(page, 0.1)
    _seek(page, start + 0.5)
    skip = page.get_by_role("button", name="Skip Intro")
    skip.wait_for()
    # Paused inside the intro while the window changes size: the button stays.
    page.evaluate("() => document.querySelector('video').pause()")
    _assert_on_screen(page, skip)
    skip.click()
    page.wait_for_function("t => document.querySelector('video').currentTime >= t", arg=end - 0.1)
    skip.wait_for(state="detached")


def test_hovering_the_seek_bar_previews_the_moment_under_the_pointer(
    page: Page,  # noqa: F811
    season: Season,
) -> None:
    episode = season.episodes[0]
    assert episode.get("trickplay_url"), episode
    _open(page, season, episode["id"])
    _wait_time(page, 0.5)
    bar = page.get_by_role("slider", name="Seek")
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box is not None
    preview = page.get_by_test_id("seek-preview")

    def preview_at(fraction: float) -> tuple[str, list[int]]:
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)
        preview.wait_for()
        image, position = preview.evaluate(
            "e => [e.style.backgroundImage, e.style.backgroundPosition]"
        )
        return str(image), [int(n) for n in re.findall(r"-?\d+", str(position))]

    early_image, early = preview_at(0.05)
    late_image, late = preview_at(0.75)
    # 2.5 s in is the first thumbnail of the first sheet; 37.5 s in is another.
    assert "/media/" in early_image, early_image
    assert all(n == 0 for n in early), early
    assert (late_image, late) != (early_image, early), late
    assert any(n != 0 for n in late) or late_image != early_image, late
    page.mouse.move(0, 0)
    preview.wait_for(state="detached")


def test_still_watching_is_asked_after_the_profiles_episodes_and_continue_resumes(
    page: Page,  # noqa: F811
    season: Season,
) -> None:
    first, second = season.episodes[0], season.episodes[1]
    assert first.get("credits_start_s"), first
    _open(page, season, first["id"])
    _wait_time(page, 0.5)
    # The profile's rule (kept per profile in the browser): ask after one
    # episode started by the countdown without input.
    rule_key = page.evaluate(
        """() => {
            const { profileId } = JSON.parse(sessionStorage.getItem('reelstack.session'))
            const key = 'reelstack.stillWatching.' + profileId
            localStorage.setItem(key, JSON.stringify({ episodes: 1, minutes: 90 }))
            return key
        }"""
    )
    try:
        _seek(page, float(first["credits_start_s"]) + 0.2)
        page.get_by_test_id("next-episode").wait_for()
        # The countdown runs out and the next episode opens by itself.
        page.wait_for_url(f"**/watch/{second['id']}")
        question = page.get_by_role("alertdialog", name="Are you still watching?")
        question.wait_for()
        # The episode loads but waits for the answer.
        page.wait_for_function(
            "() => { const v = document.querySelector('video');"
            " return v && v.readyState >= 2 && v.paused }"
        )
        carry_on = page.get_by_role("button", name="Continue watching")
        _assert_on_screen(page, carry_on)
        paused_at = _current(page)
        carry_on.click()
        question.wait_for(state="detached")
        _wait_time(page, paused_at + 1.0)
    finally:
        page.evaluate("key => localStorage.removeItem(key)", rule_key)


def test_the_stream_limit_lists_the_devices_playing(page: Page, season: Season) -> None:  # noqa: F811
    title = season.episodes[0]["id"]
    with httpx.Client(base_url=season.gateway, timeout=30) as client:
        other = _Returning(client, EMAIL)
        other.enter(other.call("GET", "/api/identity/profiles").json()["profiles"][0]["id"])
        plays = []
        for device in ("tv-lounge", "tablet-kitchen", "phone-bus", "laptop-den"):
            answer = _play(other, title, device)
            if answer.status_code == 409:
                break
            assert answer.status_code == 201, answer.text
            plays.append(answer.json()["play_id"])
        assert plays, "the plan allowed no stream at all"
        try:
            _open(page, season, title)
            devices = page.locator("[data-testid=devices] li")
            devices.first.wait_for()
            shown = devices.all_inner_texts()
            assert any("tv-lounge browser" in text for text in shown), shown
            player = page.locator("[data-testid=player]")
            assert player.get_attribute("data-error") == "stream-limit"
        finally:
            for play_id in plays:
                other.call("DELETE", f"/api/playback/plays/{play_id}")
