"""The media service: uploads, ingest, artwork, intro detection, demo content."""

from __future__ import annotations

from reelstack.config import (
    Setting,
    parse_choice,
    parse_float,
    parse_int,
    parse_str,
)
from reelstack.settings.base import add, under_home

# -- media service ------------------------------------------------------------------
# Ingest (resumable tus uploads), title metadata, trickplay, artwork, intro
# detection and the demo catalog. Upload size and media limits are the
# media.max_* settings above.

MEDIA_UPLOAD_DIR = add(
    Setting(
        "media.upload_dir",
        parse_str,
        under_home("{home}/uploads"),
        "Folder of partial tus uploads, shared by every media instance (a shared volume "
        "when instances run on several hosts).",
    )
)
MEDIA_UPLOAD_EXPIRY_S = add(
    Setting(
        "media.upload_expiry_s",
        parse_float(60),
        "86400",
        "Seconds an unfinished upload is kept after its last write (tus expiration).",
    )
)
MEDIA_UPLOAD_CHUNK_BYTES = add(
    Setting(
        "media.upload_chunk_bytes",
        parse_int(64 * 1024, 1024**3),
        str(8 * 1024 * 1024),
        "Bytes the CLI sends per tus PATCH (below the gateway's body limit).",
    )
)
MEDIA_URL = add(
    Setting(
        "media.url",
        parse_str,
        "",
        "Base URL of a media service for `reelstack ingest` (empty: a media instance of "
        "the running local cluster, else in-process).",
    )
)
MEDIA_RECONCILE_S = add(
    Setting(
        "media.reconcile_s",
        parse_float(0.1),
        "1",
        "Seconds between a media instance's sweeps for finished uploads and jobs.",
    )
)
MEDIA_TRICKPLAY_INTERVAL_S = add(
    Setting(
        "media.trickplay_interval_s",
        parse_float(0.5, 600),
        "5",
        "Seconds between seek-preview thumbnails.",
    )
)
MEDIA_TRICKPLAY_WIDTH = add(
    Setting(
        "media.trickplay_width",
        parse_int(32, 1280),
        "240",
        "Width of one seek-preview thumbnail, in pixels (even).",
    )
)
MEDIA_TRICKPLAY_GRID = add(
    Setting(
        "media.trickplay_grid",
        parse_int(1, 20),
        "5",
        "Thumbnails per row and per column of one sprite sheet.",
    )
)
MEDIA_ARTWORK_CANDIDATES = add(
    Setting(
        "media.artwork_candidates",
        parse_int(1, 64),
        "10",
        "Frames sampled to choose the poster and backdrop frame.",
    )
)
MEDIA_INTRO_SEARCH_S = add(
    Setting(
        "media.intro_search_s",
        parse_float(5),
        "600",
        "Seconds from an episode's start searched for the shared intro (at most 60% of it).",
    )
)
MEDIA_CREDITS_SEARCH_S = add(
    Setting(
        "media.credits_search_s",
        parse_float(5),
        "300",
        "Seconds before an episode's end searched for shared credits (at most 40% of it).",
    )
)
MEDIA_INTRO_MIN_S = add(
    Setting(
        "media.intro_min_s",
        parse_float(1),
        "4",
        "Shortest stretch of audio shared by episodes that counts as an intro or credits.",
    )
)
MEDIA_DEMO_SECONDS = add(
    Setting(
        "media.demo_seconds",
        parse_float(4, 600),
        "24",
        "Length of each generated demo title, in seconds.",
    )
)
MEDIA_DEMO_SIZE = add(
    Setting(
        "media.demo_size",
        parse_choice("426x240", "640x360", "854x480", "1280x720"),
        "854x480",
        "Picture size of the generated demo titles (480p: a first `reelstack demo` takes"
        " about 4 minutes on 2 cores, 2 at 640x360, 8 at 1280x720).",
    )
)
MEDIA_DEMO_TITLES = add(
    Setting(
        "media.demo_titles",
        parse_int(1, 64),
        "12",
        "How many demo titles `reelstack demo` makes (the series counts its episodes).",
    )
)
