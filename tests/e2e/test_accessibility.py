"""Every main page passes axe in a real Chromium, and the keyboard reaches what matters.

One cluster with an ingested (playable) film and three published ones; a
viewer, a studio and an admin account. Each main page is opened at a phone's
and a desktop's width, axe-core (web/node_modules, the version package.json
pins) is injected and run, and any ``serious`` or ``critical`` violation
fails the test with its rule, targets and help. Then the keyboard alone
walks the home page and the player's controls, each stop showing its focus.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from reelstack.cli import demo_catalog as demo
from reelstack.media.ffmpeg import Binaries
from reelstack.media.models import TitleMeta
from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.e2e.test_viewer_journey import PASSWORD, Viewer
from tests.support.binaries import need_chromium
from tests.support.browser import (
    BROWSER_WAIT_MS,
    WEB,
    built_web_app,
    chromium_context,
    new_page,
)
from tests.support.published import publish_ready
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

expect.set_options(timeout=BROWSER_WAIT_MS)
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
BLOCKING = ("serious", "critical")
VIEWER, STUDIO, ADMIN = "viewer@example.com", "studio@example.com", "admin@example.com"
FILMS = {
    "harbor": TitleMeta(
        name="Midnight Harbor",
        synopsis="A lighthouse keeper finds a ship that left a century ago.",
        genres=("Drama",),
        maturity_rating="PG",
    ),
    "owl": TitleMeta(name="Owl Friends", genres=("Family",), maturity_rating="G"),
    "comet": TitleMeta(name="Comet Run", genres=("Drama",), maturity_rating="PG-13"),
}
# axe's own answer, reduced to what a reader of a failure needs.
RUN_AXE = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']})
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
    }))
}"""
# What has the focus, and whether a sighted keyboard user can see it.
FOCUSED = """() => {
    const e = document.activeElement
    if (!e || e === document.body) return null
    const shown = el => {
        const s = getComputedStyle(el)
        const outlined = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0
        return outlined || s.boxShadow !== 'none'
    }
    return {
        tag: e.tagName.toLowerCase(),
        name: (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 60),
        testid: e.dataset.testid || e.closest('[data-testid]')?.dataset.testid || '',
        visible: e.matches(':focus-visible') && shown(e),
    }
}"""


@dataclass
class Site:
    """The gateway and the ids of what the cluster holds."""

    base: str
    film: str  # ingested: playable
    studio_title: str


@pytest.fixture(scope="module")
def site(binaries: Binaries, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A one-instance cluster with a playable film, three listed ones and three accounts."""
    need_chromium()
    built_web_app()
    assert AXE.is_file(), f"{AXE} is missing: run `make web`"
    folder = tmp_path_factory.mktemp("a11y")
    cluster = Cluster(folder / "home")
    cluster.env.update(
        REELSTACK_CLUSTER_INSTANCES="1",
        REELSTACK_MEDIA_LADDER_MODE="fixed",
        REELSTACK_RECOMMENDATIONS_BUILD_S="1",
        REELSTACK_GATEWAY_REGION_FROM_CLIENT="true",
    )
    try:
        cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
        cluster.wait_all_up(within_s=UP_TIMEOUT_S)
        film = next(t for t in demo.CATALOG if not t.series)
        source = demo.generate(binaries, film, folder=folder, seconds=8, size="160x90")
        ingested = cluster.cli(
            "ingest", str(source), "--title", film.name, "--rating", film.rating, "--json",
            timeout=600,
        )  # fmt: skip
        assert ingested.returncode == 0, ingested.stderr
        film_id = str(json.loads(ingested.stdout)["title_id"])
        env = {**cluster.env, "REELSTACK_HOME": str(cluster.home)}
        asyncio.run(publish_ready(env, FILMS))
        base = next(
            f"http://127.0.0.1:{v['port']}"
            for v in cluster.instances()
            if v["service"] == "gateway" and v["state"] == "up"
        )
        with httpx.Client(base_url=base, timeout=30) as client:
            viewer = Viewer(client, VIEWER)
            viewer.add_profile("Vic")
            for email in (STUDIO, ADMIN):
                Viewer(client, email)
            wait_until(
                lambda: viewer.call("GET", f"/api/catalog/titles/{film_id}").status_code == 200,
                "the ingested film listed",
                within_s=UP_TIMEOUT_S,
            )
        cluster.ok("users", "set-role", STUDIO, "studio")
        cluster.ok("users", "set-role", ADMIN, "admin")
        yield Site(base, film_id, film_id)
    finally:
        cluster.destroy()


@pytest.fixture(scope="module")
def browser(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with chromium_context(
        tmp_path_factory.mktemp("chromium"), viewport={"width": 1280, "height": 800}
    ) as context:
        yield context


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    with new_page(browser) as page:
        yield page


class Audit:
    """The blocking violations found on every page audited, for one report."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.found: list[str] = []

    def __call__(self, name: str) -> None:
        """Run axe on the page as it is now, at each width."""
        for size, (width, height) in SIZES.items():
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.wait_for_function("() => [...document.images].every(i => i.complete)")
            if not self.page.evaluate("() => typeof axe !== 'undefined'"):
                self.page.add_script_tag(path=str(AXE))
            violations: list[dict[str, Any]] = self.page.evaluate(RUN_AXE)
            for v in violations:
                if v["impact"] in BLOCKING:
                    self.found.append(
                        f"{name} ({size}): {v['impact']} {v['id']}: {v['help']}\n"
                        + "".join(f"    {t}\n" for t in v["targets"])
                    )
        self.page.set_viewport_size({"width": 1280, "height": 800})

    def check(self) -> None:
        assert not self.found, "axe found:\n" + "".join(self.found)


def _sign_in(page: Page, site: Site, email: str) -> None:
    page.goto(f"{site.base}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/profiles$"))


def _enter_home(page: Page, site: Site) -> None:
    _sign_in(page, site, VIEWER)
    page.get_by_test_id("profile").filter(has_text="Vic").click()
    page.wait_for_url(f"{site.base}/")
    expect(page.get_by_test_id("title-card").first).to_be_visible()


def test_the_viewer_pages_have_no_serious_violations(page: Page, site: Site) -> None:
    audit = Audit(page)
    page.goto(f"{site.base}/signin")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    audit("signin")
    page.goto(f"{site.base}/signup")
    expect(page.get_by_role("button", name="Create account")).to_be_visible()
    audit("signup")

    _sign_in(page, site, VIEWER)
    expect(page.get_by_test_id("profile").first).to_be_visible()
    audit("profiles")
    page.get_by_test_id("profile").filter(has_text="Vic").click()
    page.wait_for_url(f"{site.base}/")
    expect(page.get_by_test_id("title-card").first).to_be_visible()
    audit("home")

    page.goto(f"{site.base}/title/harbor")
    expect(page.get_by_role("heading", name="Midnight Harbor")).to_be_visible()
    page.get_by_test_id("my-list").click()
    expect(page.get_by_test_id("my-list")).to_have_attribute("aria-pressed", "true")
    audit("title")
    page.goto(f"{site.base}/search?q=harb")
    expect(page.get_by_test_id("results").get_by_test_id("title-card")).to_have_count(1)
    audit("search")
    page.goto(f"{site.base}/my-list")
    expect(page.get_by_test_id("my-list-page").get_by_test_id("title-card")).to_have_count(1)
    audit("my-list")
    page.goto(f"{site.base}/account")
    expect(page.get_by_test_id("plan")).to_be_visible()
    audit("account")

    page.goto(f"{site.base}/watch/{site.film}")
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.currentTime > 0 }"
    )
    audit("watch")
    audit.check()

    # The check sees what it is there for: a button without a name is critical.
    page.evaluate("() => document.querySelector('main').append(document.createElement('button'))")
    probe = Audit(page)
    probe("probe")
    assert any("button-name" in found for found in probe.found), probe.found


def test_the_studio_and_the_ops_console_have_no_serious_violations(
    browser: BrowserContext, site: Site
) -> None:
    found: list[str] = []
    for email, path, ready in (
        (STUDIO, "/studio", "[data-testid=studio]"),
        (STUDIO, f"/studio/titles/{site.studio_title}", "[data-testid=ladder]"),
        (ADMIN, "/ops", "[data-testid=ops] table"),
    ):
        tab = browser.new_page()  # a tab is a session: one per account
        tab.set_default_timeout(BROWSER_WAIT_MS)
        try:
            _sign_in(tab, site, email)
            tab.goto(f"{site.base}{path}")
            tab.wait_for_selector(ready)
            audit = Audit(tab)
            audit(path)
            found += audit.found
        finally:
            tab.close()
    assert not found, "axe found:\n" + "".join(found)


def _tab_through(page: Page, presses: int) -> list[dict[str, Any]]:
    """Press Tab ``presses`` times from where the focus is; return each stop."""
    stops = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop:
            stops.append(stop)
    return stops


def test_the_keyboard_reaches_the_menus_a_title_and_play_with_visible_focus(
    page: Page, site: Site
) -> None:
    _enter_home(page, site)
    # Loaded afresh, as a viewer arriving: the walk starts at the top of the page.
    page.reload()
    expect(page.get_by_test_id("title-card").first).to_be_visible()
    stops = _tab_through(page, 25)
    hidden = [s for s in stops if not s["visible"]]
    assert hidden == [], hidden
    names = [s["name"] for s in stops]
    assert names[0] == "Skip to content", names
    assert "Search" in names and "Account" in names, names
    assert any(s["tag"] == "select" for s in stops), stops  # the region menu
    assert any(s["testid"] == "title-card" for s in stops), stops
    assert any("Play" in s["name"] for s in stops), stops

    # Enter on a focused card opens its title.
    while page.evaluate(FOCUSED)["testid"] != "title-card":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/title/"))

    page.goto(f"{site.base}/watch/{site.film}")
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.currentTime > 0 }"
    )
    # The video's own controls (play first, then time, volume, fullscreen) are a stop each.
    stops = _tab_through(page, 20)
    assert any(s["tag"] == "video" and "Video" in s["name"] for s in stops), stops
    menus = [s for s in stops if s["tag"] in ("select", "button")]
    assert any(s["tag"] == "select" for s in menus), stops  # the quality menu
    assert all(s["visible"] for s in menus), menus
    # The video focused, the space bar pauses it.
    page.locator("video").focus()
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('video').paused")
