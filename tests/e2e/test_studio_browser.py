"""The studio and the ops console in a real Chromium, against a cluster the test starts.

A studio account uploads a short generated clip through the studio page
(tus), follows its encoding to a ladder, unpublishes and publishes it, and a
viewer then plays it (its player's QoE events accepted). An admin's ops
console lists every registered service's instances and a row of QoE for the
region a play's events came from; a viewer gets the role page there and a
403 from the API behind it. The header links the studio for the studio role and the console for
admin, and neither for a viewer. Screenshots of each page at phone and
desktop widths go to ``REELSTACK_SCREENSHOTS`` when it names a folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route

from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.integration.media.conftest import ClipMaker
from tests.support.binaries import need_chromium
from tests.support.browser import BROWSER_WAIT_MS, built_web_app, chromium_context, new_page
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
ACCOUNTS = {"studio": "studio@example.com", "admin": "admin@example.com"}
VIEWER = "viewer@example.com"
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
# What of a page's main content reaches past the right edge (tables scroll in their box).
OVERFLOWING = """width => [...document.querySelectorAll('main *')]
    .filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right > width + 1)
    .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""
# Encoding a 2 s clip on a loaded 2-core machine: generous, as a wait, never a figure.
ENCODE_WAIT_MS = 300_000


@dataclass
class Stack:
    cluster: Cluster
    gateway: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A one-instance cluster with a studio, an admin and a viewer account."""
    need_chromium()
    built_web_app()
    cluster = Cluster(tmp_path_factory.mktemp("studio") / "home")
    # Per-title: the ladder's trials measure each rung's VMAF, which the studio shows.
    cluster.env.update(REELSTACK_CLUSTER_INSTANCES="1", REELSTACK_MEDIA_LADDER_MODE="pertitle")
    try:
        cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
        cluster.wait_all_up(within_s=UP_TIMEOUT_S)
        gateway = next(
            v for v in cluster.instances() if v["service"] == "gateway" and v["state"] == "up"
        )
        base = f"http://127.0.0.1:{gateway['port']}"
        for email in (*ACCOUNTS.values(), VIEWER):

            def sign_up(email: str = email) -> httpx.Response:
                return httpx.post(
                    f"{base}/api/identity/accounts",
                    json={"email": email, "password": PASSWORD},
                    timeout=30,
                )

            made = wait_until(
                sign_up,
                "sign-up through the gateway",
                done=lambda r: r.status_code != 503,
            )
            assert made.status_code == 201, made.text
        for role, email in ACCOUNTS.items():
            cluster.ok("users", "set-role", email, role)
        yield Stack(cluster, base)
    finally:
        cluster.destroy()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with chromium_context(tmp_path_factory.mktemp("chromium")) as context:
        yield context


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    with new_page(browser) as page:
        yield page


def _sign_in(page: Page, stack: Stack, email: str, then: str) -> None:
    """Sign in on the app's form, then open ``then`` in the same tab (the session is the tab's)."""
    page.goto(f"{stack.gateway}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/profiles")
    page.goto(f"{stack.gateway}{then}")


def _screenshots(page: Page, name: str) -> None:
    """Check the page fits a phone's width, and save it at each width when asked to."""
    folder = os.environ.get("REELSTACK_SCREENSHOTS")
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        # Wide tables scroll inside their card: nothing of the page's own
        # content reaches past the screen's right edge.

        def overflowing(width: int = width) -> list[str]:
            found: list[str] = page.evaluate(OVERFLOWING, width)
            return found

        wait_until(overflowing, f"{name} fitting {width} px", done=lambda found: found == [])
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def _header_links(page: Page) -> set[str]:
    """The links of the app's main navigation in the header."""
    nav = page.get_by_role("navigation", name="Main")
    nav.wait_for()
    return set(nav.get_by_role("link").all_inner_texts())


def _token(stack: Stack, email: str) -> str:
    answer = httpx.post(
        f"{stack.gateway}/api/identity/sessions",
        json={"email": email, "password": PASSWORD},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _report_a_play(stack: Stack, *, startup_ms: int) -> None:
    """Post a play's QoE events through the gateway as a new viewer's profile would."""
    email = "qoe-viewer@example.com"
    made = httpx.post(
        f"{stack.gateway}/api/identity/accounts",
        json={"email": email, "password": PASSWORD},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    signed_in = httpx.post(
        f"{stack.gateway}/api/identity/sessions",
        json={"email": email, "password": PASSWORD},
        timeout=30,
    ).json()
    account = {"Authorization": f"Bearer {signed_in['access_token']}"}
    profile = httpx.post(
        f"{stack.gateway}/api/identity/profiles", json={"name": "Q"}, headers=account, timeout=30
    )
    assert profile.status_code in (200, 201), profile.text
    entered = httpx.post(
        f"{stack.gateway}/api/identity/sessions/refresh",
        json={"refresh_token": signed_in["refresh_token"], "profile_id": profile.json()["id"]},
        timeout=30,
    ).json()
    common = {"v": 1, "session": "qoe-play", "ts": 1_765_000_000_000}
    events = [
        {
            **common,
            "type": "play_start",
            "seq": 0,
            "title": "t",
            "startup_ms": startup_ms,
            "position_ms": 0,
        },
        {**common, "type": "rebuffer_start", "seq": 1, "position_ms": 5000},
        {**common, "type": "rebuffer_end", "seq": 2, "position_ms": 5000, "duration_ms": 800},
    ]
    sent = httpx.post(
        f"{stack.gateway}/api/events",
        json={"events": events},
        headers={"Authorization": f"Bearer {entered['access_token']}"},
        timeout=30,
    )
    assert sent.status_code == 200, sent.text


def test_a_studio_upload_becomes_a_playable_title(
    page: Page, browser: BrowserContext, stack: Stack, clips: ClipMaker
) -> None:
    clip = clips.make(
        "studio-clip.mp4",
        *("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2"),
        *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-shortest"),
    )
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    _sign_in(page, stack, ACCOUNTS["studio"], "/studio")
    page.wait_for_selector("[data-testid=studio]")
    _screenshots(page, "studio")
    form = page.locator("form[aria-label='Upload a title']")
    form.locator("input[type=file]").set_input_files(str(clip))
    form.get_by_label("Title").fill("Studio Clip")
    form.get_by_label("Genres (comma separated)").fill("Documentary")
    form.get_by_role("button", name="Upload").click()
    page.wait_for_selector("[data-testid=upload-done]")
    page.get_by_role("link", name="Follow its encoding").click()

    page.wait_for_selector("[data-testid=studio-title][data-state=ready]", timeout=ENCODE_WAIT_MS)
    title_id = page.url.rsplit("/", 1)[1]
    rows = page.locator("[data-testid=ladder] tbody tr")
    assert rows.count() >= 1
    assert "kb/s" in rows.first.inner_text()
    vmaf = rows.first.locator("td").nth(3).inner_text()
    assert 0 < float(vmaf) <= 100, vmaf
    # The catalog lists the title once media's announcement arrives.
    page.wait_for_selector("[data-testid=publishing][data-visible=true]")
    _screenshots(page, "studio-title")

    viewer = {"Authorization": f"Bearer {_token(stack, VIEWER)}"}
    seen = f"{stack.gateway}/api/catalog/titles/{title_id}"
    page.get_by_role("button", name="Unpublish").click()
    page.wait_for_selector("[data-testid=publishing][data-visible=false]")
    assert httpx.get(seen, headers=viewer, timeout=30).status_code == 404
    page.get_by_role("button", name="Publish").click()
    page.wait_for_selector("[data-testid=publishing][data-visible=true]")
    assert httpx.get(seen, headers=viewer, timeout=30).status_code == 200
    assert crashes == []

    # A viewer (a tab of its own: its own session) plays it.
    watch = browser.new_page()
    watch.set_default_timeout(BROWSER_WAIT_MS)
    try:
        watch.goto(f"{stack.gateway}/watch/{title_id}")
        watch.get_by_label("Email").fill(VIEWER)
        watch.get_by_label("Password").fill(PASSWORD)
        # The play's first telemetry batch (play_start) is accepted: the ops console's QoE.
        with watch.expect_response(lambda r: r.url.endswith("/api/events")) as telemetry:
            watch.get_by_role("button", name="Sign in").click()
            watch.wait_for_function("() => document.querySelector('video')?.currentTime > 0.5")
        assert telemetry.value.status == 200, telemetry.value.text()
    finally:
        watch.close()


def test_the_ops_console_lists_every_service_and_a_viewer_is_refused(
    page: Page, stack: Stack
) -> None:
    running = {v["instance"] for v in stack.cluster.instances() if v["state"] == "up"}
    services = {v["service"] for v in stack.cluster.instances()}
    _sign_in(page, stack, ACCOUNTS["admin"], "/ops")
    page.wait_for_selector("[data-testid=instances]")
    # The header leads an admin to both areas the role opens, and still fits a phone.
    assert {"Studio", "Ops"} <= _header_links(page), _header_links(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 800})

    def listed(attribute: str) -> set[str]:
        rows = page.locator("[data-testid=instances] tbody tr[data-status=UP]")
        return {rows.nth(i).get_attribute(attribute) or "" for i in range(rows.count())}

    # The console polls: wait until it has caught up with every running instance.
    wait_until(
        lambda: listed("data-instance"),
        "every running instance in the console",
        done=lambda found: found >= running,
    )
    assert listed("data-service") == services
    # Two reads make rates: the per-service table fills.
    page.wait_for_selector("[data-testid=panel-services] tr[data-service=catalog][data-rated=true]")
    # A play's QoE events through the gateway give the viewer's region (the default, US) a row.
    _report_a_play(stack, startup_ms=640)
    # Only that batch holds a stall (the viewer's play above may have made the row already).
    row = page.locator("[data-testid=panel-qoe] tr[data-region=US]")
    cells = wait_until(
        lambda: row.locator("td").all_inner_texts() if row.count() else [],
        "the reported play in the console's QoE row for US",
        # Rebuffers per play: a number above zero (a dash before any play).
        done=lambda found: (
            len(found) == 7 and found[4].replace(".", "", 1).isdigit() and float(found[4]) > 0
        ),
    )
    assert int(cells[1]) >= 1 and cells[2].endswith("ms"), cells
    _screenshots(page, "ops")

    page.evaluate("() => sessionStorage.clear()")
    _sign_in(page, stack, VIEWER, "/ops")
    gate = page.locator("[data-testid=role-gate]")
    gate.wait_for()
    assert gate.get_attribute("data-reason") == "role"
    assert "needs the admin role" in gate.inner_text()
    # A viewer's header links to neither area (the APIs refuse it anyway, below).
    assert not {"Studio", "Ops"} & _header_links(page), _header_links(page)
    _screenshots(page, "ops-refused")
    for path in ("/api/ops/instances", "/api/ops/metrics"):
        answer = httpx.get(
            f"{stack.gateway}{path}",
            headers={"Authorization": f"Bearer {_token(stack, VIEWER)}"},
            timeout=30,
        )
        assert answer.status_code == 403, answer.text

    # A studio account is led to the studio, not to the console.
    page.evaluate("() => sessionStorage.clear()")
    _sign_in(page, stack, ACCOUNTS["studio"], "/profiles")
    links = _header_links(page)
    assert "Studio" in links and "Ops" not in links, links
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Studio").click()
    page.wait_for_selector("[data-testid=studio]")


def test_an_upload_cut_off_resumes_after_a_reload(page: Page, stack: Stack, tmp_path: Path) -> None:
    # Two chunks' worth (8 MiB each); what it holds does not matter to the upload.
    source = tmp_path / "long-source.mp4"
    source.write_bytes(os.urandom(12 * 1024 * 1024))
    sent: list[tuple[str, str]] = []
    page.on(
        "request",
        lambda r: sent.append((r.method, r.url)) if "/api/media/uploads" in r.url else None,
    )
    patches_let_through = [1]

    def cut_after_the_first_chunk(route: Route) -> None:
        if route.request.method == "PATCH":
            if patches_let_through[0] <= 0:
                route.abort("connectionreset")
                return
            patches_let_through[0] -= 1
        route.continue_()

    page.route("**/api/media/uploads**", cut_after_the_first_chunk)
    _sign_in(page, stack, ACCOUNTS["studio"], "/studio")
    form = page.locator("form[aria-label='Upload a title']")
    form.locator("input[type=file]").set_input_files(str(source))
    form.get_by_role("button", name="Upload").click()
    # tus retries, then says the upload stopped.
    alert = form.locator("[role=alert]")
    alert.wait_for()
    assert "Retry to resume" in alert.inner_text()

    page.unroute("**/api/media/uploads**")
    page.reload()
    form = page.locator("form[aria-label='Upload a title']")
    form.locator("input[type=file]").set_input_files(str(source))
    form.get_by_role("button", name="Upload").click()
    page.get_by_text("Resuming the earlier upload of this file.").wait_for()
    page.wait_for_selector("[data-testid=upload-done]")
    creations = [url for method, url in sent if method == "POST"]
    assert len(creations) == 1, sent  # the second attempt carried on with the same upload
    assert any(method == "HEAD" for method, _ in sent), sent  # it asked where the server was
