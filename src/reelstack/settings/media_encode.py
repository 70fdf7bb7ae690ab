"""The media pipeline: chunked ladder encoding, packaging, workers."""

from __future__ import annotations

from reelstack.config import (
    Setting,
    parse_bool,
    parse_choice,
    parse_float,
    parse_int,
    parse_str,
)
from reelstack.settings.base import add, under_home

# -- media pipeline: chunked ladder encoding, packaging, workers (issue [4]) -------------
# How a job is cut into chunks and segments, how each rung is encoded, where
# outputs go in the blob store, and how media workers share the task topic.


def _parse_cpus(raw: str) -> tuple[int, ...]:
    cpus: set[int] = set()
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        low, sep, high = part.partition("-")
        first, last = int(low), int(high) if sep else int(low)
        if first < 0 or last < first:
            raise ValueError(f"{part!r}: expected CPU numbers like 0,2-3")
        cpus.update(range(first, last + 1))
    return tuple(sorted(cpus))


def _parse_key_url(raw: str) -> str:
    value = raw.strip()
    if "{title_id}" not in value:
        raise ValueError("must contain {title_id}")
    return value


def _parse_prefix(raw: str) -> str:
    value = raw.strip().strip("/")
    if not value or any(p in ("", ".", "..") for p in value.split("/")):
        raise ValueError("expected a relative key prefix such as private/keys")
    return value


MEDIA_SEGMENT_S = add(
    Setting(
        "media.segment_s",
        parse_float(1.0, 20.0),
        "4",
        "Seconds per HLS/DASH segment; every rung has a keyframe at each boundary.",
    )
)
MEDIA_CHUNK_S = add(
    Setting(
        "media.chunk_s",
        parse_float(1.0, 3600.0),
        "16",
        "Target seconds of source per parallel encode task, rounded to whole segments; "
        "chunk ends move to a segment boundary close after a source keyframe.",
    )
)
MEDIA_MAX_ATTEMPTS = add(
    Setting(
        "media.max_attempts",
        parse_int(1, 20),
        "3",
        "Runs of one job step (probe, chunk, package) before the job fails with ffmpeg's reason.",
    )
)
MEDIA_ENCODE_THREADS = add(
    Setting(
        "media.encode_threads",
        parse_int(0, 256),
        "0",
        "Threads of each encoder in a ladder encode (and of its decoder and filters); "
        "0: media.threads.",
    )
)
MEDIA_PRESET = add(
    Setting(
        "media.preset",
        parse_choice(
            "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"
        ),
        "veryfast",
        "x264 preset of ladder encodes.",
    )
)
MEDIA_AV1_ENABLED = add(
    Setting(
        "media.av1_enabled",
        parse_bool,
        "false",
        "Also encode every rung in AV1 (libsvtav1), next to H.264, for players that decode it.",
    )
)
MEDIA_AV1_PRESET = add(
    Setting("media.av1_preset", parse_int(0, 13), "10", "SVT-AV1 preset (higher: faster).")
)
MEDIA_AV1_BITRATE_RATIO = add(
    Setting(
        "media.av1_bitrate_ratio",
        parse_float(0.1, 2.0),
        "0.7",
        "Bitrate of an AV1 rung as a share of the H.264 rung of the same size.",
    )
)
MEDIA_ENCRYPT = add(
    Setting(
        "media.encrypt",
        parse_bool,
        "false",
        "Encrypt HLS segments with AES-128 unless a job says otherwise (no DASH manifest then).",
    )
)
MEDIA_KEY_URL_TEMPLATE = add(
    Setting(
        "media.key_url_template",
        _parse_key_url,
        "/api/playback/keys/{title_id}",
        "URI of a title's AES-128 key in HLS playlists; the playback service serves it.",
    )
)
MEDIA_KEY_PREFIX = add(
    Setting(
        "media.key_prefix",
        _parse_prefix,
        "private/keys",
        "Blob-store prefix of per-title content keys; never served to viewers directly.",
    )
)
MEDIA_WORK_PREFIX = add(
    Setting(
        "media.work_prefix",
        _parse_prefix,
        "private/media-jobs",
        "Blob-store prefix of a job's intermediate outputs (encoded chunks), deleted when done.",
    )
)
MEDIA_OUTPUT_PREFIX = add(
    Setting(
        "media.output_prefix",
        _parse_prefix,
        "media",
        "Blob-store prefix of published renditions: PREFIX/TITLE/JOB/master.m3u8.",
    )
)
MEDIA_WORK_DIR = add(
    Setting(
        "media.work_dir",
        parse_str,
        under_home("{home}/media-work"),
        "Local folder of media workers' private job folders.",
    )
)
MEDIA_TASK_PARTITIONS = add(
    Setting(
        "media.task_partitions",
        parse_int(1, 1024),
        "8",
        "Partitions of the media.tasks topic: the most workers that can encode at once.",
    )
)
MEDIA_WORKER_SESSION_MS = add(
    Setting(
        "media.worker_session_ms",
        parse_int(100, 600_000),
        "10000",
        "A media worker silent this long loses its tasks to the other workers.",
    )
)
MEDIA_WORKER_CPUS = add(
    Setting(
        "media.worker_cpus",
        _parse_cpus,
        "",
        "CPUs a media worker and its ffmpeg runs are pinned to, e.g. 0 or 0,2-3 (empty: any).",
    )
)
MEDIA_WORKER_HEALTH_PORT = add(
    Setting(
        "media.worker_health_port",
        parse_int(0, 65535),
        "0",
        "Port of a media worker's /health endpoint on 127.0.0.1 (0: none).",
    )
)
