"""Builders that cut encoded streams into CMAF segments with the HLS muxer.

Packaging joins each rendition's encoded chunks without re-encoding
(ffmpeg's concat demuxer in safe mode, over a list of the pipeline's own
chunk files) and copies them, and the audio, into fragmented-MP4 segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reelstack.media.ffmpeg.commands import FFMPEG_GLOBAL
from reelstack.media.ffmpeg.options import CmafSegments


def cmaf_output_args(segments: CmafSegments) -> list[str]:
    """Muxer arguments writing one output as CMAF segments and an HLS playlist."""
    args = [
        "-f",
        "hls",
        "-hls_time",
        f"{segments.segment_s:g}",
        "-hls_playlist_type",
        "vod",
        "-hls_segment_type",
        "fmp4",
    ]
    if segments.init_name is not None:
        args += ["-hls_fmp4_init_filename", segments.init_name]
    return [
        *args,
        "-hls_flags",
        "independent_segments",
        "-hls_segment_filename",
        str(segments.folder / segments.segment_pattern),
        str(segments.folder / segments.playlist),
    ]


def join_segments_argv(
    ffmpeg: Path,
    *,
    videos: Sequence[tuple[Path, CmafSegments]],
    audio: tuple[Path, CmafSegments] | None,
) -> list[str]:
    """Join each video's chunk list and copy it, and the audio, into CMAF segments.

    Each video is ``(ffconcat list, its segments)``; the lists name only the
    pipeline's own chunk files (the concat demuxer's safe mode refuses
    anything but plain relative names). The audio is the pipeline's own MP4.
    """
    argv = [str(ffmpeg), *FFMPEG_GLOBAL, "-progress", "pipe:1"]
    for listing, _ in videos:
        argv += [
            "-protocol_whitelist",
            "file",
            "-f",
            "concat",
            "-safe",
            "1",
            "-i",
            f"file:{listing}",
        ]
    if audio is not None:
        argv += ["-protocol_whitelist", "file", "-f", "mov", "-i", f"file:{audio[0]}"]
    for index, (_, segments) in enumerate(videos):
        argv += ["-map", f"{index}:v:0", "-c", "copy", *cmaf_output_args(segments)]
    if audio is not None:
        argv += ["-map", f"{len(videos)}:a:0", "-c", "copy", *cmaf_output_args(audio[1])]
    return argv
