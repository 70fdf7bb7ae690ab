"""What the browser tests share: Debian's Chromium under Playwright, and the built web app.

Every browser test module starts its own cluster and one Chromium with a
profile of its own (``chromium_context``), opens a page per test
(``new_page``) and checks first that ``web/dist`` holds the current sources
(``built_web_app``). Playwright drives the machine's Chromium
(``need_chromium``); it never downloads one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from tests.support.binaries import need_chromium

# Flags that let Chromium run as root in a container, unattended, offline.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
WEB = Path(__file__).resolve().parents[2] / "web"
BROWSER_WAIT_MS = 60_000


def built_web_app() -> Path:
    """The web app's build the gateway serves, which must include the current sources."""
    dist = WEB / "dist"
    index = dist / "index.html"
    sources = [p for p in (WEB / "src").rglob("*") if p.is_file()]
    sources += [WEB / "index.html", WEB / "package-lock.json"]
    newest = max(p.stat().st_mtime for p in sources)
    if not index.is_file() or index.stat().st_mtime < newest:
        pytest.fail(f"{dist} is missing or older than the web app's sources: run `make web`")
    return dist


@contextlib.contextmanager
def chromium_context(
    profile: Path, *, viewport: dict[str, int] | None = None
) -> Iterator[BrowserContext]:
    """Headless Chromium with the profile folder ``profile``, closed after the block.

    Start it after the cluster a test needs: Playwright's sync API runs an
    event loop of its own in this thread.
    """
    options: dict[str, Any] = {} if viewport is None else {"viewport": viewport}
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(need_chromium()),
            headless=True,
            args=CHROMIUM_FLAGS,
            **options,
        )
        try:
            yield context
        finally:
            context.close()


@contextlib.contextmanager
def new_page(context: BrowserContext, wait_ms: float = BROWSER_WAIT_MS) -> Iterator[Page]:
    """A tab of ``context`` whose waits last ``wait_ms``, closed after the block."""
    page = context.new_page()
    page.set_default_timeout(wait_ms)
    try:
        yield page
    finally:
        page.close()
