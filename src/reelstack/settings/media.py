"""The media pipeline: limits, allow-lists, ladder planning."""

from __future__ import annotations

from collections.abc import Callable

from reelstack.config import (
    Setting,
    parse_choice,
    parse_float,
    parse_int,
    parse_str,
)
from reelstack.settings.base import add

# -- media pipeline (issue [4]) ---------------------------------------------------
# Limits and allow-lists every upload is validated against before any work,
# resource limits of each ffmpeg run, and how the encoding ladder is planned.


def _parse_names(raw: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    for name in names:
        if not name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"{name!r}: expected letters, digits, '-' or '_'")
    return names


def _parse_ints(minimum: int, maximum: int) -> Callable[[str], tuple[int, ...]]:
    def parse(raw: str) -> tuple[int, ...]:
        values = tuple(sorted({parse_int(minimum, maximum)(part) for part in raw.split(",")}))
        if not values:
            raise ValueError("expected a comma-separated list of integers")
        return values

    return parse


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
