"""First contentful paint of the web app, beside the same build on a static server.

``reelstack up`` runs the embedded stack (temporary home, free ports,
embedded stores, one instance of each service). In headless Debian Chromium
each of ``LOADS`` cold loads opens ``/`` in a fresh browser context (no HTTP
cache, no service worker, no session: the app shows its sign-in page) and
reads ``first-contentful-paint`` from the page's performance timeline:
milliseconds from the navigation. The anchor, in the same run and the same
browser: the same built ``web/dist`` on Python's static file server, loaded
the same way; the difference is what the gateway adds to the shell's files.
Target: median < 1 s. Also printed: the initial JavaScript (the entry
script and the modules ``index.html`` preloads), gzipped, against its budget
of 250 KB.

Measured 2026-12-07 on this 2-core machine shared with other work (load
average 10 to 18 through each run): FCP median 660 and 734 ms in two runs
against the static server's 696 and 762 ms (ratio about 0.95), p90 800 and
812 ms against 872 and 1,149 ms; the target is met. The gateway adds nothing
measurable to the shell; both sides are the browser's own start of a page
on a loaded machine. Initial JavaScript: one entry chunk, 71.2 KB gzipped
(budget 250 KB); pages and hls.js load lazily after it.

Run: ``make web && .venv/bin/python bench/bench_web.py`` (``BENCH_WEB_LOADS``
sets the number of loads, 10 by default).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_FLAGS,
    Result,
    cli,
    embedded_stack_env,
    header,
    report,
    serve_folder,
)

LOADS = int(os.environ.get("BENCH_WEB_LOADS", "10"))
UP_TIMEOUT_S = 300
DIST = ROOT / "web" / "dist"
# The paint may come after load returns: wait for the entry, buffered.
FCP_JS = """() => new Promise((resolve) => {
  const seen = performance.getEntriesByName('first-contentful-paint')
  if (seen.length) return resolve(seen[0].startTime)
  new PerformanceObserver((list, observer) => {
    const hit = list.getEntriesByName('first-contentful-paint')
    if (hit.length) { observer.disconnect(); resolve(hit[0].startTime) }
  }).observe({type: 'paint', buffered: true})
})"""
# The entry script and the modules it preloads: what the browser must fetch before the app runs.
INITIAL_JS = re.compile(
    r'<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+\.js)"'
)


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def initial_js_gzip_kb() -> float:
    """Sum of the gzipped sizes of the JavaScript ``index.html`` loads before the app runs."""
    index = (DIST / "index.html").read_text()
    files = [DIST / src.lstrip("/") for src in INITIAL_JS.findall(index)]
    note(f"initial JavaScript: {[f.name for f in files]}")
    return sum(len(gzip.compress(f.read_bytes(), 9)) for f in files) / 1024


def fcp(browser: Browser, url: str) -> float:
    """One cold load: a context of its own, so nothing is cached."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        return float(page.evaluate(FCP_JS))
    finally:
        context.close()


def main() -> None:
    if not (DIST / "index.html").is_file():
        raise SystemExit(f"{DIST} has no build: run `make web`")
    header()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as raw:
        tmp = Path(raw)
        env = embedded_stack_env(tmp / "home", REELSTACK_CLUSTER_INSTANCES="1")
        note(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        cli(env, "up", "--timeout", str(UP_TIMEOUT_S), timeout=UP_TIMEOUT_S + 30)
        app: list[float] = []
        anchor: list[float] = []
        try:
            views = json.loads(cli(env, "status", "--json"))
            gateway = next(v for v in views if v["service"] == "gateway")
            base = f"http://{gateway['host']}:{gateway['port']}"
            server, static = serve_folder(DIST)
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
                    )
                    try:
                        # One of each first: the browser's own start is nobody's figure.
                        fcp(browser, f"{base}/")
                        fcp(browser, f"{static}/")
                        for _ in range(LOADS):
                            app.append(fcp(browser, f"{base}/"))
                            anchor.append(fcp(browser, f"{static}/"))
                    finally:
                        browser.close()
            finally:
                server.shutdown()
        finally:
            cli(env, "down", timeout=120)
    note(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    note(f"gateway loads (ms): {[round(t) for t in app]}")
    note(f"static loads (ms): {[round(t) for t in anchor]}")

    def p90(values: list[float]) -> float:
        return statistics.quantiles(values, n=10, method="inclusive")[-1]

    anchor_name = "same build on a static server"
    report(
        Result(
            "first contentful paint, median", statistics.median(app), "ms",
            anchor_name, statistics.median(anchor), "median < 1000 ms",
        )
    )  # fmt: skip
    report(Result("first contentful paint, p90", p90(app), "ms", anchor_name, p90(anchor)))
    size = initial_js_gzip_kb()
    report(Result("initial JavaScript, gzip", size, "KB", "budget", 250.0, "<= 250 KB"))


if __name__ == "__main__":
    main()
