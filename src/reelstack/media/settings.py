"""The media service's settings: ffmpeg, what an upload may be, ingest and its extras.

Declared here, read by the service's code (``from reelstack.media import
settings as media_settings``); the encoding pipeline's own settings (ladder,
trials, chunked encoding, workers) are in :mod:`reelstack.media.pipeline.settings`.
A settings module imports no service code, so the groups below name the
fields of dataclasses they fill without importing them: ``read_group(config,
MediaLimits, LIMITS)`` builds one, and these settings are the only place its
defaults are written.
"""

from __future__ import annotations

from reelstack.config import (
    Setting,
    SettingsGroup,
    parse_choice,
    parse_float,
    parse_int,
    parse_str,
)
from reelstack.settings.base import add, under_home

# -- ffmpeg, and what every upload is validated against (issue [4]) --------------------
# Limits and allow-lists every upload is validated against before any work,
# and resource limits of each ffmpeg run.


def _parse_names(raw: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    for name in names:
        if not name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"{name!r}: expected letters, digits, '-' or '_'")
    return names


MEDIA_FFMPEG = add(
    Setting(
        "media.ffmpeg",
        parse_str,
        "",
        "Path of the ffmpeg to run (empty: imageio-ffmpeg's, which has libvmaf, else PATH's).",
    )
)
MEDIA_FFPROBE = add(
    Setting("media.ffprobe", parse_str, "", "Path of the ffprobe to run (empty: found on PATH).")
)
MEDIA_CONTAINERS = add(
    Setting(
        "media.containers",
        _parse_names,
        "mp4,matroska",
        "Containers an upload may be in, as its bytes say whatever its name: mp4 "
        "(MP4/MOV) and/or matroska (MKV/WebM).",
    )
)
MEDIA_VIDEO_CODECS = add(
    Setting(
        "media.video_codecs",
        _parse_names,
        "h264,hevc,vp9,av1",
        "Video codecs an upload may carry (ffprobe codec names).",
    )
)
MEDIA_AUDIO_CODECS = add(
    Setting(
        "media.audio_codecs",
        _parse_names,
        "aac,opus,mp3,ac3,eac3,flac,vorbis",
        "Audio codecs an upload may carry (ffprobe codec names).",
    )
)
MEDIA_SUBTITLE_CODECS = add(
    Setting(
        "media.subtitle_codecs",
        _parse_names,
        "subrip,ass,webvtt,mov_text",
        "Subtitle codecs an upload may carry; data and attachment streams are ignored.",
    )
)
MEDIA_MAX_BYTES = add(
    Setting(
        "media.max_bytes",
        parse_int(1),
        str(8 * 1024**3),
        "Largest upload accepted, in bytes.",
    )
)
MEDIA_MAX_DURATION_S = add(
    Setting("media.max_duration_s", parse_float(1), "14400", "Longest upload, in seconds.")
)
MEDIA_MIN_DURATION_S = add(
    Setting(
        "media.min_duration_s",
        parse_float(0),
        "1",
        "Shortest upload, in seconds (a still picture in a video container is refused).",
    )
)
MEDIA_MAX_WIDTH = add(
    Setting(
        "media.max_width",
        parse_int(16, 16384),
        "3840",
        "Widest picture accepted; portrait video is measured on its long side.",
    )
)
MEDIA_MAX_HEIGHT = add(
    Setting(
        "media.max_height",
        parse_int(16, 16384),
        "2160",
        "Tallest picture accepted; portrait video is measured on its short side.",
    )
)
MEDIA_MAX_STREAMS = add(
    Setting("media.max_streams", parse_int(1, 1000), "16", "Most streams an upload may hold.")
)
MEDIA_PROBE_SIZE = add(
    Setting(
        "media.probe_size",
        parse_int(32 * 1024, 1024**3),
        "10000000",
        "Bytes ffprobe/ffmpeg may read to identify an upload's streams.",
    )
)
MEDIA_ANALYZE_DURATION_S = add(
    Setting(
        "media.analyze_duration_s",
        parse_float(0.1, 600),
        "10",
        "Seconds of media ffprobe/ffmpeg may read to identify an upload's streams.",
    )
)
MEDIA_THREADS = add(
    Setting("media.threads", parse_int(1, 256), "2", "Threads each ffmpeg run may use.")
)
MEDIA_MAX_CPU_S = add(
    Setting(
        "media.max_cpu_s",
        parse_int(1),
        "7200",
        "CPU seconds one ffmpeg run may use before the kernel stops it.",
    )
)
MEDIA_MAX_WALL_S = add(
    Setting(
        "media.max_wall_s",
        parse_float(1),
        "7200",
        "Wall-clock seconds one ffmpeg run may take before it is killed.",
    )
)
MEDIA_MAX_OUTPUT_BYTES = add(
    Setting(
        "media.max_output_bytes",
        parse_int(1024 * 1024),
        str(16 * 1024**3),
        "Largest file one ffmpeg run may write.",
    )
)
MEDIA_MAX_MEMORY_BYTES = add(
    Setting(
        "media.max_memory_bytes",
        parse_int(256 * 1024 * 1024),
        str(8 * 1024**3),
        "Address space one ffmpeg run may map.",
    )
)


# -- the service: ingest (resumable tus uploads), trickplay, artwork, intro
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
MEDIA_MIN_FREE_BYTES = add(
    Setting(
        "media.min_free_bytes",
        parse_int(0),
        str(1024**3),
        "Free disk space kept on the upload and work folders' disks: uploads that would go "
        "below it are refused (507) and encoding workers wait (0: no floor).",
    )
)
# Per-account quotas (the gateway's x-account-id; 0: no limit). Refusals say
# which quota and its limit: 413 for bytes, 429 for the others.
MEDIA_QUOTA_BYTES = add(
    Setting(
        "media.quota_bytes",
        parse_int(0),
        str(200 * 1024**3),
        "Upload bytes one account may keep stored (its titles' sources); 413 past it.",
    )
)
MEDIA_QUOTA_UPLOADS = add(
    Setting(
        "media.quota_uploads",
        parse_int(0),
        "10",
        "Unfinished uploads one account may have at once; 429 past it.",
    )
)
MEDIA_QUOTA_TITLES = add(
    Setting("media.quota_titles", parse_int(0), "2000", "Titles one account may have; 429 past it.")
)
MEDIA_QUOTA_ENCODE_S = add(
    Setting(
        "media.quota_encode_s",
        parse_int(0),
        "86400",
        "Seconds of video one account may have encoded in any 24 hours (its titles'"
        " durations); a new upload is refused with 429 once they are spent.",
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
MEDIA_ANNOUNCE_S = add(
    Setting(
        "media.announce_s",
        parse_float(0.05),
        "1",
        "Seconds between a media instance's rounds announcing changed titles on the log.",
    )
)
MEDIA_TITLES_TOPIC = add(
    Setting(
        "media.titles_topic",
        parse_str,
        "media.titles",
        "Topic on which media announces published, changed and removed titles (catalog reads it).",
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


# -- groups: the dataclasses built from these settings -----------------------------

LIMITS: SettingsGroup = {
    "containers": MEDIA_CONTAINERS,
    "video_codecs": MEDIA_VIDEO_CODECS,
    "audio_codecs": MEDIA_AUDIO_CODECS,
    "subtitle_codecs": MEDIA_SUBTITLE_CODECS,
    "max_bytes": MEDIA_MAX_BYTES,
    "max_duration_s": MEDIA_MAX_DURATION_S,
    "min_duration_s": MEDIA_MIN_DURATION_S,
    "max_width": MEDIA_MAX_WIDTH,
    "max_height": MEDIA_MAX_HEIGHT,
    "max_streams": MEDIA_MAX_STREAMS,
    "probe_size": MEDIA_PROBE_SIZE,
    "analyze_duration_s": MEDIA_ANALYZE_DURATION_S,
    "threads": MEDIA_THREADS,
    "max_cpu_s": MEDIA_MAX_CPU_S,
    "max_wall_s": MEDIA_MAX_WALL_S,
    "max_output_bytes": MEDIA_MAX_OUTPUT_BYTES,
    "max_memory_bytes": MEDIA_MAX_MEMORY_BYTES,
}
"""``reelstack.media.source.validate.MediaLimits``: what an upload may be, what ffmpeg may use."""

TRICKPLAY: SettingsGroup = {
    "interval_s": MEDIA_TRICKPLAY_INTERVAL_S,
    "width": MEDIA_TRICKPLAY_WIDTH,
    "grid": MEDIA_TRICKPLAY_GRID,
}
"""``reelstack.media.extras.trickplay.TrickplayOptions``: seek-preview thumbnails."""
