"""Builder of an audio fingerprint: Chromaprint's raw sub-fingerprints of a stretch of audio."""

from __future__ import annotations

from pathlib import Path

from reelstack.media.ffmpeg.commands import FFMPEG_GLOBAL, input_args, output_arg
from reelstack.media.ffmpeg.options import SafeInput


def fingerprint_argv(
    ffmpeg: Path, src: SafeInput, *, start_s: float, duration_s: float, out: Path
) -> list[str]:
    """Fingerprint the first audio stream (mono) from ``start_s`` for ``duration_s``.

    The ``chromaprint`` muxer writes raw output: little-endian 32-bit
    sub-fingerprints, one about every 0.124 s.
    """
    return [
        str(ffmpeg),
        *FFMPEG_GLOBAL,
        *input_args(src, seek_s=start_s, duration_s=duration_s),
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        "-ac",
        "1",
        "-f",
        "chromaprint",
        "-fp_format",
        "raw",
        output_arg(out),
    ]
