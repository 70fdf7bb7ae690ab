"""The encoding pipeline's settings: ladder planning, per-title trials, chunked encoding, workers.

Read by the pipeline's code (``from reelstack.media.pipeline import settings
as pipeline_settings``); what every ffmpeg run and upload shares (threads,
limits, allow-lists) is in :mod:`reelstack.media.settings`. The groups below
are the only place the defaults of the dataclasses they fill are written
(``read_group(config, LadderBounds, LADDER_BOUNDS)``).
"""

from __future__ import annotations

from collections.abc import Callable

from reelstack.config import (
    Setting,
    SettingsGroup,
    parse_bool,
    parse_choice,
    parse_float,
    parse_int,
    parse_str,
)
from reelstack.media.settings import MEDIA_THREADS
from reelstack.settings.base import add, under_home

# -- ladder planning: fixed, or per title from trial encodes (issue [4]) ----------------


def _parse_ints(minimum: int, maximum: int) -> Callable[[str], tuple[int, ...]]:
    def parse(raw: str) -> tuple[int, ...]:
        values = tuple(sorted({parse_int(minimum, maximum)(part) for part in raw.split(",")}))
        if not values:
            raise ValueError("expected a comma-separated list of integers")
        return values

    return parse


MEDIA_LADDER_MODE = add(
    Setting(
        "media.ladder_mode",
        parse_choice("pertitle", "fixed"),
        "pertitle",
        "pertitle: trial encodes and VMAF choose each title's ladder; fixed: Netflix's "
        "pre-2015 ladder (235 to 5800 kb/s) capped at the source.",
    )
)
MEDIA_TOP_MAX_HEIGHT = add(
    Setting(
        "media.top_max_height",
        parse_int(144, 4320),
        "1080",
        "Tallest rung of a ladder (the short side for portrait video).",
    )
)
MEDIA_VMAF_TARGET = add(
    Setting(
        "media.vmaf_target",
        parse_float(1, 100),
        "95",
        "VMAF the top rung aims at: bits past it are not spent.",
    )
)
MEDIA_MIN_RUNG_STEP = add(
    Setting(
        "media.min_rung_step",
        parse_float(1.05, 10),
        "1.5",
        "Least bitrate ratio between neighbouring rungs.",
    )
)
MEDIA_MIN_VMAF_STEP = add(
    Setting(
        "media.min_vmaf_step",
        parse_float(0, 50),
        "2",
        "Least VMAF difference between neighbouring rungs.",
    )
)
MEDIA_MAX_RUNGS = add(
    Setting("media.max_rungs", parse_int(1, 20), "8", "Most rungs a per-title ladder has.")
)
MEDIA_MIN_BITRATE_KBPS = add(
    Setting(
        "media.min_bitrate_kbps",
        parse_int(16),
        "150",
        "Lowest rung's least bitrate, in kb/s.",
    )
)
MEDIA_MAX_BITRATE_KBPS = add(
    Setting(
        "media.max_bitrate_kbps",
        parse_int(100),
        "8000",
        "Highest bitrate of a per-title ladder's top rung, in kb/s (grainy titles stop here).",
    )
)
MEDIA_VMAF_FLOOR = add(
    Setting(
        "media.vmaf_floor",
        parse_float(0, 100),
        "30",
        "Rungs scoring below this VMAF are left out of a per-title ladder.",
    )
)
MEDIA_TRIAL_HEIGHTS = add(
    Setting(
        "media.trial_heights",
        _parse_ints(144, 4320),
        "240,384,480,720,1080",
        "Frame heights of per-title trial encodes (capped at the source and top_max_height).",
    )
)
MEDIA_TRIAL_CRFS = add(
    Setting(
        "media.trial_crfs",
        _parse_ints(0, 51),
        "20,27,34",
        "x264 CRF values of per-title trial encodes at each height.",
    )
)
MEDIA_TRIAL_SAMPLES = add(
    Setting(
        "media.trial_samples",
        parse_int(1, 20),
        "3",
        "Scenes sampled across a title for per-title trials.",
    )
)
MEDIA_TRIAL_SAMPLE_S = add(
    Setting(
        "media.trial_sample_s",
        parse_float(0.5, 60),
        "2",
        "Seconds of each sampled scene.",
    )
)
MEDIA_TRIAL_PRESET = add(
    Setting(
        "media.trial_preset",
        parse_choice(
            "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"
        ),
        "veryfast",
        "x264 preset of per-title trial encodes.",
    )
)
MEDIA_VMAF_SUBSAMPLE = add(
    Setting(
        "media.vmaf_subsample",
        parse_int(1, 30),
        "2",
        "Score every n-th frame in per-title trials (1: every frame).",
    )
)
MEDIA_VMAF_REFERENCE_HEIGHT = add(
    Setting(
        "media.vmaf_reference_height",
        parse_int(144, 2160),
        "1080",
        "Height trials are scaled back to for VMAF (the source's, if smaller).",
    )
)


# -- chunked ladder encoding, packaging, workers (issue [4]) ----------------------------
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
# -- groups: the dataclasses built from these settings -----------------------------

LADDER_BOUNDS: SettingsGroup = {
    "vmaf_target": MEDIA_VMAF_TARGET,
    "min_step_ratio": MEDIA_MIN_RUNG_STEP,
    "min_vmaf_step": MEDIA_MIN_VMAF_STEP,
    "max_rungs": MEDIA_MAX_RUNGS,
    "min_bitrate_kbps": MEDIA_MIN_BITRATE_KBPS,
    "vmaf_floor": MEDIA_VMAF_FLOOR,
    "top_max_height": MEDIA_TOP_MAX_HEIGHT,
    "max_bitrate_kbps": MEDIA_MAX_BITRATE_KBPS,
}
"""``reelstack.media.ladder.select.LadderBounds``: the rules a per-title ladder is chosen by."""

TRIAL_CONFIG: SettingsGroup = {
    "heights": MEDIA_TRIAL_HEIGHTS,
    "crfs": MEDIA_TRIAL_CRFS,
    "samples": MEDIA_TRIAL_SAMPLES,
    "sample_s": MEDIA_TRIAL_SAMPLE_S,
    "preset": MEDIA_TRIAL_PRESET,
    "vmaf_subsample": MEDIA_VMAF_SUBSAMPLE,
    "reference_height": MEDIA_VMAF_REFERENCE_HEIGHT,
    "threads": MEDIA_THREADS,
    "top_max_height": MEDIA_TOP_MAX_HEIGHT,
}
"""``reelstack.media.ladder.trials.TrialConfig``: how much trial work a title gets."""

ENCODE_SETTINGS: SettingsGroup = {
    "segment_s": MEDIA_SEGMENT_S,
    "preset": MEDIA_PRESET,
    "av1_preset": MEDIA_AV1_PRESET,
    "encode_threads": MEDIA_ENCODE_THREADS,
    "media_threads": MEDIA_THREADS,
}
"""``reelstack.media.packaging.encode.EncodeSettings``: how renditions are encoded."""
