"""The programs tests drive besides Python: ffmpeg/ffprobe and Chromium.

Each finder returns the program or skips the test, naming what is missing and
how to install it; where every engine is required (CI, ``make test``) a
missing program fails the test instead, so nothing is skipped there unseen.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from reelstack.media.ffmpeg import Binaries, FfmpegMissingError, find_binaries
from tests.support.engines import missing

# Debian's Chromium: Playwright drives it and never downloads a browser of its own.
CHROMIUM = Path(os.environ.get("REELSTACK_TEST_CHROMIUM", "/usr/bin/chromium"))


def need_ffmpeg() -> Binaries:
    """ffmpeg and ffprobe as the media pipeline finds them."""
    try:
        return find_binaries()
    except FfmpegMissingError as exc:
        missing(f"needs ffmpeg and ffprobe (make system-packages installs ffprobe): {exc}")


def need_chromium() -> Path:
    """Debian's Chromium (``REELSTACK_TEST_CHROMIUM`` names another)."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    missing(f"no Chromium at {CHROMIUM} (make test-packages installs Debian's)")


# The web app's own hls.js (``make web`` installs it), run by Node.
HLS_JS = (
    Path(__file__).resolve().parents[2] / "web" / "node_modules" / "hls.js" / "dist" / "hls.mjs"
)


def need_hls_js() -> tuple[str, Path]:
    """Node and the web app's hls.js module."""
    node = shutil.which("node")
    if node is None:
        missing("no node on PATH (make setup installs Node.js)")
    if not HLS_JS.is_file():
        missing(f"no hls.js at {HLS_JS} (make web installs it)")
    return node, HLS_JS
