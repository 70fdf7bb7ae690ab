"""A newcomer's first minutes, in Debian's Chromium: ``reelstack demo``, sign in, watch.

The same path ``make demo`` takes on a fresh home (smaller pictures, a fixed
ladder and four titles through the environment, so the test is not minutes
of encoding): take the URL it prints, sign in with the demo viewer the README
names, pick the adult profile, play the first title (the film) while the
rest of the catalog is still being made, then, once the series is in, watch
an episode: Skip Intro skips the intro, leaving and coming back resumes, and
the next-episode countdown from the credits opens the next episode.

With ``REELSTACK_SCREENSHOTS`` naming a folder, the README's pictures of the
home page, the player and the ops console are written there
(``docs/screenshots/`` is where the README looks).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    BrowserContext,
    Page,
    Response,
    ViewportSize,
    expect,
)

from reelstack.cli.demo_accounts import DEMO_ACCOUNTS
from tests.e2e.conftest import Cluster
from tests.support.binaries import need_chromium, need_ffmpeg
from tests.support.browser import built_web_app, chromium_context, new_page
from tests.support.wait import wait_until

# The demo, the series encoding and the journey: well past the suite's per-test default.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

# The cluster, the background encoder and the browser share two cores: wait generously.
BROWSER_WAIT_MS = 120_000
ENCODE_WAIT_S = 900.0
expect.set_options(timeout=BROWSER_WAIT_MS)
DEMO_TITLES = 6  # the series' three episodes first, then films (the first one plays first)
EPISODES = 3
VIEWER, _STUDIO, ADMIN = DEMO_ACCOUNTS
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


@dataclass
class Demo:
    """A cluster ``reelstack demo`` started, and what it printed."""

    cluster: Cluster
    url: str  # "open the web app"
    output: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``reelstack demo`` on a fresh home, as a newcomer runs it."""
    need_chromium()
    need_ffmpeg()
    built_web_app()
    cluster = Cluster(tmp_path_factory.mktemp("newcomer") / "home")
    cluster.env.update(
        REELSTACK_CLUSTER_INSTANCES="1",
        REELSTACK_MEDIA_DEMO_SIZE="426x240",
        REELSTACK_MEDIA_DEMO_SECONDS="12",
        REELSTACK_MEDIA_DEMO_TITLES=str(DEMO_TITLES),
        REELSTACK_MEDIA_LADDER_MODE="fixed",
    )
    try:
        result = cluster.cli("demo", timeout=ENCODE_WAIT_S)
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
        found = re.search(r"open the web app\W+(http://\S+?)/?\s*$", result.stdout, re.M)
        assert found, result.stdout
        yield Demo(cluster, found.group(1), result.stdout)
    finally:
        cluster.destroy()


@pytest.fixture(scope="module")
def browser(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Headless Chromium with a profile of its own (after the cluster: Playwright runs a loop)."""
    with chromium_context(tmp_path_factory.mktemp("chromium"), viewport=DESKTOP) as context:
        yield context


def _titles(cluster: Cluster) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(cluster.ok("titles", "list", "--json"))
    return found


def _shoot(page: Page, name: str, *, phone: bool = False) -> None:
    """Photograph the page for the README when asked (one screen, not the whole page)."""
    wanted = os.environ.get("REELSTACK_SCREENSHOTS")
    if not wanted:
        return
    folder = Path(wanted)
    folder.mkdir(parents=True, exist_ok=True)
    sizes = {"desktop": DESKTOP, **({"phone": PHONE} if phone else {})}
    for size, viewport in sizes.items():
        page.set_viewport_size(viewport)
        # The images on this screen: lazy artwork further down never loads here.
        page.wait_for_function(
            "() => [...document.images].every(i => i.complete"
            " || i.getBoundingClientRect().top >= innerHeight)"
        )
        page.screenshot(path=folder / f"{name}-{size}.png")
    page.set_viewport_size(DESKTOP)


def _time(page: Page) -> float:
    return float(page.evaluate("() => document.querySelector('video').currentTime"))


def _wait_time(page: Page, beyond: float) -> None:
    page.wait_for_function(
        "t => { const v = document.querySelector('video'); return v && v.currentTime > t }",
        arg=beyond,
    )


def _seek(page: Page, to: float) -> None:
    page.evaluate(f"() => {{ document.querySelector('video').currentTime = {to} }}")


def _saved_bookmark(response: Response) -> bool:
    body = response.request.post_data or ""
    return response.url.endswith("/graphql") and "SaveBookmark" in body and response.ok


def _sign_in(page: Page, url: str, path: str, email: str, password: str) -> None:
    page.goto(f"{url}{path}")
    page.wait_for_url(re.compile(r"/signin\?next="))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_newcomer_signs_in_watches_the_film_then_a_series(
    demo: Demo, browser: BrowserContext
) -> None:
    crashes: list[str] = []
    page = browser.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    page.on("pageerror", lambda error: crashes.append(str(error)))

    # The demo returned with the film playable and the rest still to come.
    film = next(t for t in _titles(demo.cluster) if t["kind"] == "film")
    assert film["state"] == "ready", film
    assert f"/watch/{film['id']}" in demo.output

    _sign_in(page, demo.url, "/", VIEWER.email, VIEWER.password)
    expect(page.get_by_role("heading", name="Who is watching?")).to_be_visible()
    page.get_by_test_id("profile").filter(has_text=VIEWER.profiles[0].name).click()
    page.wait_for_url(f"{demo.url}/")

    page.goto(f"{demo.url}/watch/{film['id']}")
    _wait_time(page, 1.0)
    assert page.evaluate(
        "() => document.querySelector('video').getVideoPlaybackQuality().totalVideoFrames"
    )
    # ... while the other titles are still being made: not all there, or not all ready.
    meanwhile = _titles(demo.cluster)
    ready = [t for t in meanwhile if t["state"] == "ready"]
    assert len(ready) < DEMO_TITLES, meanwhile

    # The series arrives: every episode ready, its intro and credits found.
    def season() -> list[dict[str, Any]]:
        episodes = [t for t in _titles(demo.cluster) if t["kind"] == "episode"]
        return sorted(episodes, key=lambda t: int(t["episode"]))

    episodes = wait_until(
        season,
        "the demo series' episodes ready with their markers",
        done=lambda eps: (
            len(eps) == EPISODES
            and all(e["state"] == "ready" and e.get("credits_start_s") for e in eps)
        ),
        within_s=ENCODE_WAIT_S,
    )
    first, second = episodes[0], episodes[1]
    # The markers reach the catalog (and so the play) as the last episode's detection lands.
    page.goto(f"{demo.url}/")
    expect(page.get_by_test_id("title-card").first).to_be_visible()
    _shoot(page, "home", phone=True)

    # Skip Intro shows during the intro and skips it.
    page.goto(f"{demo.url}/watch/{first['id']}")
    _wait_time(page, 0.1)
    _seek(page, first["intro_start_s"] + 0.5)
    skip = page.get_by_role("button", name="Skip Intro")
    skip.wait_for()
    skip.scroll_into_view_if_needed()
    _shoot(page, "player")
    skip.click()
    _wait_time(page, first["intro_end_s"] - 0.1)
    skip.wait_for(state="detached")

    # Leaving and coming back resumes where it stopped.
    left_at = first["intro_end_s"] + 2.0
    _wait_time(page, left_at)
    page.evaluate("() => document.querySelector('video').pause()")
    stopped = _time(page)
    # The player saves the paused position with its next heartbeat (and again on
    # leaving, with keepalive): leave once the server has it, as a person, not a
    # script, would be slower than that.
    with page.expect_response(_saved_bookmark, timeout=BROWSER_WAIT_MS):
        pass
    page.goto(f"{demo.url}/")
    page.goto(f"{demo.url}/watch/{first['id']}")
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.readyState >= 2 }"
    )
    resumed = _time(page)
    assert stopped - 1 <= resumed <= stopped + 5, (stopped, resumed)

    # From the credits the countdown shows, then opens the next episode.
    _seek(page, first["credits_start_s"] + 0.2)
    expect(page.get_by_test_id("next-episode")).to_be_visible()
    page.wait_for_url(f"{demo.url}/watch/{second['id']}")
    _wait_time(page, 0.5)
    assert crashes == [], crashes
    page.close()


def test_the_admin_opens_the_ops_console(demo: Demo, browser: BrowserContext) -> None:
    # A tab of its own: the session lives in the tab's sessionStorage.
    with new_page(browser, BROWSER_WAIT_MS) as page:
        _sign_in(page, demo.url, "/ops", ADMIN.email, ADMIN.password)
        # The console is the account's, not a profile's: signing in goes straight back to it.
        page.wait_for_url(re.compile(r"/ops$"))
        expect(page.get_by_role("heading", name="Ops console")).to_be_visible()
        expect(page.get_by_role("heading", name="Instances")).to_be_visible()
        # Each service's instance shows once the console has read them.
        expect(page.get_by_text("gateway-a-1").first).to_be_visible()
        _shoot(page, "ops")
