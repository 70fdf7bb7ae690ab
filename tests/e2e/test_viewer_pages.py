"""The viewer's pages in a real Chromium, against a cluster: /graphql all the way.

A viewer signs up, makes a profile, browses home, opens a title, searches,
adds a title to the list; a kids profile never sees the mature title
anywhere; a lost network shows a retry, not a blank page. Every main page is
photographed at a phone's and a desktop's size, into ``REELSTACK_SCREENSHOTS``
when set (else the test's own folder).

Debian's Chromium through Playwright, as in ``test_playback.py``.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from reelstack.media.models import TitleMeta
from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.support.binaries import need_chromium
from tests.support.browser import BROWSER_WAIT_MS, built_web_app, chromium_context, new_page
from tests.support.published import publish_ready
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
# The cluster shares two cores with the browser: wait generously, assert behaviour.
expect.set_options(timeout=BROWSER_WAIT_MS)
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
FILMS = {
    "harbor": TitleMeta(
        name="Midnight Harbor",
        synopsis="A lighthouse keeper finds a ship that left a century ago.",
        genres=("Drama",),
        maturity_rating="PG",
    ),
    "owl": TitleMeta(name="Owl Friends", genres=("Family",), maturity_rating="G"),
    "comet": TitleMeta(name="Comet Run", genres=("Drama",), maturity_rating="PG-13"),
    "night": TitleMeta(
        name="Night Terror", synopsis="Not for children.", genres=("Horror",), maturity_rating="R"
    ),
}
MATURE = "night"


@dataclass
class Site:
    """The cluster's gateway and where screenshots go."""

    base: str
    shots: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One cluster for the module, with four ready films published (no encode)."""
    need_chromium()
    built_web_app()
    cluster = Cluster(tmp_path_factory.mktemp("viewer") / "home")
    cluster.env.update(
        REELSTACK_CLUSTER_INSTANCES="1",
        REELSTACK_MEDIA_ANNOUNCE_S="1",
        REELSTACK_RECOMMENDATIONS_BUILD_S="1",
        REELSTACK_ROUTER_POLL_S="1",
        REELSTACK_GATEWAY_REGION_FROM_CLIENT="true",
    )
    try:
        cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
        cluster.wait_all_up(within_s=UP_TIMEOUT_S)
        asyncio.run(publish_ready({**cluster.env, "REELSTACK_HOME": str(cluster.home)}, FILMS))
        base = f"http://127.0.0.1:{cluster.by_id()['gateway-a-1']['port']}"
        _wait_for_catalog(base)
        wanted = os.environ.get("REELSTACK_SCREENSHOTS")
        shots = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
        shots.mkdir(parents=True, exist_ok=True)
        yield Site(base, shots)
    finally:
        cluster.destroy()


def _wait_for_catalog(base: str) -> None:
    """Until the graph answers a search with the published films (composition, announcements)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        made = wait_until(
            lambda: client.post(
                "/api/identity/accounts", json={"email": "probe@example.com", "password": PASSWORD}
            ),
            "sign-up through the gateway",
            done=lambda r: r.status_code != 503,
        )
        assert made.status_code == 201, made.text
        token = client.post(
            "/api/identity/sessions", json={"email": "probe@example.com", "password": PASSWORD}
        ).json()["access_token"]

        def found() -> int:
            answer = client.post(
                "/graphql",
                json={"query": '{ search(query: "Harbor") { id } }'},
                headers={"Authorization": f"Bearer {token}"},
            )
            if answer.status_code != 200:
                return 0
            return len((answer.json().get("data") or {}).get("search") or [])

        # Composition, the announcements and a busy machine: as long as the cluster takes to start.
        wait_until(found, "the graph finding the published films", done=bool, within_s=UP_TIMEOUT_S)


@pytest.fixture(scope="module")
def browser(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Headless Chromium with a profile of its own (after the cluster: Playwright runs a loop)."""
    with chromium_context(
        tmp_path_factory.mktemp("chromium"), viewport={"width": 1280, "height": 800}
    ) as context:
        yield context


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    with new_page(browser) as page:
        crashes: list[str] = []
        page.on("pageerror", lambda error: crashes.append(str(error)))
        yield page
        assert crashes == [], crashes


def shoot(page: Page, site: Site, name: str) -> None:
    """Photograph the page at each size (the layout settles before each shot)."""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        # Every picture that began loading has finished (lazy ones off screen never start).
        page.wait_for_function("() => [...document.images].every(i => i.complete)")
        page.screenshot(path=site.shots / f"{name}-{size}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def sign_up(page: Page, site: Site, email: str) -> None:
    page.goto(f"{site.base}/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password (at least").fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Who is watching?")).to_be_visible()


def sign_in(page: Page, site: Site, email: str, next_path: str = "/") -> None:
    page.goto(f"{site.base}{next_path}")
    page.wait_for_url(re.compile(r"/signin\?next="))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Who is watching?")).to_be_visible()


def add_profile(page: Page, name: str, *, kids: bool = False, pin: str | None = None) -> None:
    add = page.get_by_role("button", name="Add profile")
    if page.get_by_label("Profile name").count() == 0:
        add.click()
    page.get_by_label("Profile name").fill(name)
    if kids:
        page.get_by_label("Kids profile").check()
    if pin:
        page.get_by_label("PIN (optional").fill(pin)
    page.get_by_role("button", name="Add profile").click()
    expect(page.get_by_test_id("profile").filter(has_text=name)).to_be_visible()


def choose(page: Page, name: str) -> None:
    page.get_by_test_id("profile").filter(has_text=name).click()


def card_ids(page: Page) -> set[str]:
    cards = page.get_by_test_id("title-card")
    return {cards.nth(i).get_attribute("data-title-id") or "" for i in range(cards.count())}


def test_sign_up_make_a_profile_browse_home_and_the_account(page: Page, site: Site) -> None:
    # The server's reason shows when it refuses what the form let through.
    page.goto(f"{site.base}/signup")
    shoot(page, site, "signup")
    page.get_by_label("Email").fill("annabelle@example.com")
    page.get_by_label("Password (at least").fill("annabelle-secret")
    page.get_by_label("Password again").fill("annabelle-secret")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("email's name")

    sign_up(page, site, "ann@example.com")
    add_profile(page, "Ann")
    shoot(page, site, "profiles")
    choose(page, "Ann")
    page.wait_for_url(f"{site.base}/")
    expect(page.get_by_test_id("home")).to_be_visible()
    # The rows come from recommendations once it has built them from the catalog.
    expect(page.get_by_test_id("title-card").first).to_be_visible()
    assert card_ids(page) <= set(FILMS), card_ids(page)
    shoot(page, site, "home")

    page.get_by_role("link", name="Account").click()
    expect(page.get_by_test_id("plan")).to_contain_text("basic")
    expect(page.get_by_test_id("manage-profile")).to_have_count(1)
    shoot(page, site, "account")


def test_open_a_title_search_and_add_it_to_my_list(page: Page, site: Site) -> None:
    sign_up(page, site, "bob@example.com")
    add_profile(page, "Bob")
    choose(page, "Bob")
    expect(page.get_by_test_id("home")).to_be_visible()

    page.get_by_role("link", name="Search").first.click()
    page.get_by_role("searchbox").press_sequentially("harb", delay=40)
    page.wait_for_url(re.compile(r"/search\?q=harb$"))
    results = page.get_by_test_id("results").get_by_test_id("title-card")
    expect(results).to_have_count(1)
    shoot(page, site, "search")

    # The search box the page focused itself keeps focus while the viewer types.
    expect(page.get_by_role("searchbox")).to_be_focused()
    results.first.click()
    page.wait_for_url(f"{site.base}/title/harbor")
    # A move between pages focuses the new page's heading and names it in the title.
    expect(page.get_by_role("heading", name="Midnight Harbor")).to_be_focused()
    expect(page).to_have_title("Midnight Harbor · reelstack")
    expect(page.get_by_test_id("maturity")).to_have_text("PG")
    expect(page.get_by_test_id("play")).to_have_attribute("href", "/watch/harbor")
    page.get_by_test_id("my-list").click()
    expect(page.get_by_test_id("my-list")).to_have_attribute("aria-pressed", "true")
    shoot(page, site, "title")

    page.get_by_role("link", name="My list").click()
    expect(page.get_by_role("heading", name="My list")).to_be_focused()
    expect(page).to_have_title("My list · reelstack")
    mine = page.get_by_test_id("my-list-page").get_by_test_id("title-card")
    expect(mine).to_have_count(1)
    assert mine.first.get_attribute("data-title-id") == "harbor"
    shoot(page, site, "my-list")
    # The back button is a move too.
    page.go_back()
    expect(page.get_by_role("heading", name="Midnight Harbor")).to_be_focused()

    # After a reload the tab is still signed in and the title is still listed;
    # a first load leaves focus at the top of the document.
    page.goto(f"{site.base}/title/harbor")
    expect(page.get_by_test_id("my-list")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("() => document.activeElement === document.body")


def test_the_app_installs_and_its_worker_keeps_only_the_shell(page: Page, site: Site) -> None:
    manifest = httpx.get(f"{site.base}/manifest.json", timeout=30)
    assert manifest.status_code == 200 and manifest.json()["start_url"] == "/"
    sign_up(page, site, "erin@example.com")
    add_profile(page, "Erin")
    choose(page, "Erin")
    expect(page.get_by_test_id("home")).to_be_visible()
    page.goto(f"{site.base}/title/harbor")
    expect(page.get_by_role("heading", name="Midnight Harbor")).to_be_visible()
    cached = page.evaluate(
        """async () => {
            // A worker whose install failed is never ready: give up instead of hanging.
            const ready = await Promise.race([
                navigator.serviceWorker.ready.then(() => true),
                new Promise(done => setTimeout(() => done(false), 60000)),
            ])
            if (!ready) return null
            const paths = []
            for (const name of await caches.keys()) {
                const cache = await caches.open(name)
                for (const request of await cache.keys()) paths.push(new URL(request.url).pathname)
            }
            return paths
        }"""
    )
    assert cached is not None, "the service worker never became ready (its install failed)"
    assert "/" in cached and any(p.startswith("/assets/") for p in cached), cached
    # Never the graph, the APIs or media: those must be fresh and authorised.
    assert all(p == "/" or p.startswith("/assets/") for p in cached), cached


def test_a_kids_profile_never_shows_the_mature_title(page: Page, site: Site) -> None:
    sign_up(page, site, "carol@example.com")
    add_profile(page, "Carol")
    add_profile(page, "Kid", kids=True, pin="4321")
    # The locked profile asks its PIN; a wrong one is refused in words.
    choose(page, "Kid")
    page.get_by_label("PIN for Kid").fill("1111")
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("alert")).to_contain_text("PIN")
    assert page.url == f"{site.base}/profiles"
    page.get_by_label("PIN for Kid").fill("4321")
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_test_id("home")).to_be_visible()
    expect(page.get_by_test_id("title-card").first).to_be_visible()
    assert MATURE not in card_ids(page)
    assert page.get_by_text(FILMS[MATURE].name).count() == 0

    page.goto(f"{site.base}/search?q=Night")
    expect(page.get_by_role("status")).to_contain_text("Nothing matches")
    page.goto(f"{site.base}/title/{MATURE}")
    expect(page.get_by_test_id("title-missing")).to_be_visible()
    assert page.get_by_text(FILMS[MATURE].synopsis).count() == 0

    # The grown-up profile of the same account does see it.
    page.get_by_role("link", name="Kid").click()
    choose(page, "Carol")
    expect(page.get_by_role("link", name="Carol")).to_be_visible()
    page.goto(f"{site.base}/title/{MATURE}")
    expect(page.get_by_role("heading", name=FILMS[MATURE].name)).to_be_visible()


def test_a_lost_network_shows_a_retry_and_an_ended_session_signs_in_again(
    page: Page, site: Site
) -> None:
    sign_up(page, site, "dan@example.com")
    add_profile(page, "Dan")
    choose(page, "Dan")
    expect(page.get_by_test_id("home")).to_be_visible()

    def fail(route: Route) -> None:
        route.abort("internetdisconnected")

    page.route("**/graphql", fail)
    page.goto(f"{site.base}/my-list")
    expect(page.get_by_test_id("error-retry")).to_be_visible()
    shoot(page, site, "error")
    page.unroute("**/graphql", fail)
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_test_id("my-list-page")).to_be_visible()

    # Both tokens refused: the viewer signs in again and comes back here.
    page.evaluate(
        """() => {
            const s = JSON.parse(sessionStorage.getItem('reelstack.session'))
            sessionStorage.setItem('reelstack.session', JSON.stringify(
                {...s, accessToken: 'expired', refreshToken: 'spent'}))
        }"""
    )
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{site.base}/title/owl")
    page.wait_for_url(re.compile(r"/signin\?next=%2Ftitle%2Fowl$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    shoot(page, site, "signin")
    # One refused query and one refused refresh, then nothing more is asked.
    graph = [u for u in asked if u.endswith("/graphql")]
    refreshes = [u for u in asked if u.endswith("/sessions/refresh")]
    assert len(graph) == 1 and len(refreshes) == 1, asked
    page.get_by_label("Email").fill("dan@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    choose(page, "Dan")
    page.wait_for_url(f"{site.base}/title/owl")
    expect(page.get_by_role("heading", name="Owl Friends")).to_be_visible()
