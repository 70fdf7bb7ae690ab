"""Time to first frame in the web app's player, beside hls.js alone on a static server.

``reelstack up`` runs the embedded stack (temporary home, free ports,
embedded stores, one instance of each service); a 12 s demo film is
ingested with the fixed ladder and a viewer signs up with one profile. In
headless Debian Chromium each of ``PLAYS`` plays opens ``/watch/<title>``
with the viewer's session already in the tab (as after clicking a title's
play button) and waits for the first video frame presented
(``requestVideoFrameCallback``); the figure is ``performance.now()`` at that
frame: milliseconds from the navigation, which covers loading the app and
hls.js, starting the play on playback (steering, signed manifest), the
playlists and the first segments. Between plays the tab goes to
``about:blank``, which stops the play (the plan's stream limit).

The anchor, in the same run and the same browser: the same title's whole
HLS tree (master, variants, init and media segments, fetched once through
the gateway's signed URLs) on Python's static file server, played by a page
that holds nothing but hls.js and a video element, measured the same way.
The difference is what the app adds: its code, the session, the play start
and the signed manifest. Target: median <= 500 ms.

Measured 2026-12-07 on this 2-core machine shared with other work (load
average 7 to 11 through each run, so the figures move by 100 ms and more
between runs): median 590 to 865 ms against the anchor's 295 to 500 ms,
ratio 1.65 to 2.0; the target is missed. Where the app's time goes (medians
of one run): its code is in at about 95 ms, the play start through
``/graphql`` (router, then playback with its calls to identity, catalog,
history and media, and steering) answers at about 460 ms, the master
playlist at 520 ms, the first media segment at 660 ms. The play start is
most of the difference; trimming StartPlay to playback's own fields took
the ratio from 2.0 to about 1.7 (with hls.js in a chunk of its own, loaded
beside the play start; that change is reverted: the edge-killed browser
test failed three times with it, for a reason not yet found).

On a quiet machine (2026-12-07 09:03, load average 2.4): median 605 ms, p90
629 ms, against the anchor's 297 and 321 ms (ratio 2.0). A Chrome trace of
one play found the gap: the main thread sat idle from 150 to 430 ms on one
287 ms timer, React's Suspense fallback throttle (a boundary that has shown
its fallback keeps it at least 300 ms), while the player's chunk had arrived
at 111 ms. Since then the first route's page is loaded before the first
render and a page whose code is in renders without suspending
(``web/src/pages.tsx``); the title page and links fetch the player's code
ahead of the click. Same command, 2026-12-07 10:07, load average 5 -> 11
(helpers building on the other core): median 330 ms, p90 421 ms, against
the anchor's 302 and 344 ms (ratio 1.09 and 1.22); the play start answered
at 124 ms, the master at 158 ms, the first segment at 236 ms (medians).
The target (median <= 500 ms) is met.

Run: ``.venv/bin/python bench/bench_first_frame.py`` (``BENCH_FIRST_FRAME_PLAYS``
sets the number of plays, 10 by default).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import m3u8  # type: ignore[import-untyped]
from playwright.sync_api import Page, sync_playwright

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
from reelstack.cli import demo_catalog as demo  # noqa: E402
from reelstack.media.ffmpeg.binaries import find_binaries  # noqa: E402

PLAYS = int(os.environ.get("BENCH_FIRST_FRAME_PLAYS", "10"))
UP_TIMEOUT_S = 300
TARGET = "median <= 500 ms"
PASSWORD = "correct horse battery staple"
HLS_JS = ROOT / "web" / "node_modules" / "hls.js" / "dist" / "hls.min.js"
FIRST_FRAME_JS = """() => new Promise((resolve, reject) => {
  const started = performance.now()
  const look = () => {
    const video = document.querySelector('video')
    if (!video) {
      if (performance.now() - started > 60000) reject(new Error('no video element'))
      else setTimeout(look, 5)
      return
    }
    video.requestVideoFrameCallback(() => resolve(performance.now()))
  }
  look()
})"""
ANCHOR_PAGE = """<!doctype html><meta charset="utf-8"><title>anchor</title>
<video muted playsinline></video>
<script src="hls.min.js"></script>
<script>
const video = document.querySelector('video')
const hls = new Hls()
hls.on(Hls.Events.MANIFEST_PARSED, () => video.play())
hls.loadSource('master.m3u8')
hls.attachMedia(video)
</script>
"""


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def viewer(base: str) -> dict[str, str]:
    """Sign up a viewer with one profile; its tokens as the web app keeps them."""
    with httpx.Client(base_url=base, timeout=30) as client:
        made = client.post(
            "/api/identity/accounts", json={"email": "bench@example.com", "password": PASSWORD}
        )
        made.raise_for_status()
        tokens = client.post(
            "/api/identity/sessions", json={"email": "bench@example.com", "password": PASSWORD}
        ).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        profile = client.post("/api/identity/profiles", json={"name": "Me"}, headers=auth).json()
        chosen = client.post(
            "/api/identity/sessions/refresh",
            json={"refresh_token": tokens["refresh_token"], "profile_id": profile["id"]},
        ).json()
    return {
        "accessToken": chosen["access_token"],
        "refreshToken": chosen["refresh_token"],
        "profileId": profile["id"],
    }


def mirror(master_url: str, folder: Path) -> None:
    """Copy the HLS tree under a signed master URL into ``folder`` (same relative paths)."""
    base = master_url.rsplit("/", 1)[0] + "/"
    seen: set[str] = set()

    def fetch(relative: str) -> bytes:
        data = httpx.get(urllib.parse.urljoin(base, relative), timeout=30).raise_for_status()
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.content)
        return data.content

    master = m3u8.loads(fetch("master.m3u8").decode(), uri=base)
    playlists = [p.uri for p in master.playlists] + [m.uri for m in master.media if m.uri]
    for uri in playlists:
        text = fetch(uri).decode()
        variant = m3u8.loads(text)
        folder_of = uri.rsplit("/", 1)[0] + "/" if "/" in uri else ""
        names = [s.uri for s in variant.segments] + [
            s.init_section.uri for s in variant.segments if s.init_section
        ]
        for name in names:
            if folder_of + name not in seen:
                seen.add(folder_of + name)
                fetch(folder_of + name)


# Where the time went in one play: when each step's response had fully arrived.
STEPS_JS = """() => {
  const done = (test) => {
    const hit = performance.getEntriesByType('resource').find((e) => test(e.name))
    return hit ? Math.round(hit.responseEnd) : null
  }
  return {
    page_js: done((n) => /WatchPage-.*\\.js$/.test(n)),
    start_play: done((n) => n.endsWith('/graphql')),
    master: done((n) => n.includes('master.m3u8')),
    first_segment: done((n) => /\\.m4s/.test(n) && !n.includes('init')),
  }
}"""


def first_frames(page: Page, url: str, plays: int, steps: list[dict[str, Any]]) -> list[float]:
    times = []
    for _ in range(plays):
        page.goto(url)
        times.append(float(page.evaluate(FIRST_FRAME_JS)))
        steps.append(page.evaluate(STEPS_JS))
        # Leaving stops the play, freeing the plan's stream for the next.
        page.goto("about:blank")
    return times


def main() -> None:
    header()
    with tempfile.TemporaryDirectory(prefix="bench-first-frame-") as raw:
        tmp = Path(raw)
        env = embedded_stack_env(
            tmp / "home", REELSTACK_CLUSTER_INSTANCES="1", REELSTACK_MEDIA_LADDER_MODE="fixed"
        )
        film = next(t for t in demo.CATALOG if not t.series)
        source = demo.generate(
            find_binaries(), film, folder=tmp / "src", seconds=12, size="640x360"
        )
        note(f"load average before: {loadavg()}")
        cli(env, "up", "--timeout", str(UP_TIMEOUT_S), timeout=UP_TIMEOUT_S + 30)
        try:
            out: dict[str, Any] = json.loads(
                cli(env, "ingest", str(source), "--title", film.name, "--json", timeout=900)
            )
            views = json.loads(cli(env, "status", "--json"))
            gateway = next(v for v in views if v["service"] == "gateway")
            base = f"http://{gateway['host']}:{gateway['port']}"
            session = viewer(base)
            static = tmp / "static"
            mirror(out["master_url"], static)
            (static / "hls.min.js").write_bytes(HLS_JS.read_bytes())
            (static / "index.html").write_text(ANCHOR_PAGE)
            server, anchor_base = serve_folder(static)
            with sync_playwright() as playwright:
                context = playwright.chromium.launch_persistent_context(
                    tmp / "chromium", executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
                )
                try:
                    page = context.new_page()
                    page.add_init_script(
                        "sessionStorage.setItem('reelstack.session',"
                        f" {json.dumps(json.dumps(session))})"
                    )
                    watch = f"{base}/watch/{out['title_id']}"
                    # One of each first, so neither side pays for a cold cache alone.
                    steps: list[dict[str, Any]] = []
                    first_frames(page, watch, 1, [])
                    first_frames(page, f"{anchor_base}/index.html", 1, [])
                    app: list[float] = []
                    anchor: list[float] = []
                    for _ in range(PLAYS):
                        app += first_frames(page, watch, 1, steps)
                        anchor += first_frames(page, f"{anchor_base}/index.html", 1, [])
                finally:
                    context.close()
                    server.shutdown()
        finally:
            cli(env, "down", timeout=120)
        note(f"load average after: {loadavg()}")
    note(f"app plays (ms): {[round(t) for t in app]}")
    note(f"anchor plays (ms): {[round(t) for t in anchor]}")
    for step in ("page_js", "start_play", "master", "first_segment"):
        done = [s[step] for s in steps if s.get(step) is not None]
        if done:
            note(f"app, {step} done at (median ms): {statistics.median(done):.0f}")

    def p90(values: list[float]) -> float:
        return statistics.quantiles(values, n=10, method="inclusive")[-1]

    report(
        Result(
            "first frame, median", statistics.median(app), "ms",
            "hls.js on a static server", statistics.median(anchor), TARGET,
        )
    )  # fmt: skip
    report(Result("first frame, p90", p90(app), "ms", "hls.js on a static server", p90(anchor)))


if __name__ == "__main__":
    main()
