"""Builders of the ladder's encodes: a window of the source into every rendition, the audio once.

A window is opened with an accurate input seek to half a frame before its
first frame (ffmpeg decodes from the keyframe before that point and drops
what comes earlier), its clock restarted at zero at a constant frame rate,
and cut to its exact frame count, so windows encoded apart join end to end.
The picture is decoded once and split to every output; each output gets
keyframes exactly at the frames asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reelstack.media.ffmpeg.commands import (
    FFMPEG_GLOBAL,
    input_args,
    output_arg,
    rate_arg,
    scale_filter,
    video_encode_args,
)
from reelstack.media.ffmpeg.options import (
    AudioEncode,
    CmafSegments,
    FrameWindow,
    SafeInput,
    VideoEncode,
    VideoOutput,
)
from reelstack.media.ffmpeg.segment import cmaf_output_args


def window_input_args(src: SafeInput, window: FrameWindow) -> list[str]:
    """Open the source at the window: an accurate seek to half a frame before its first frame.

    Decoding stops a couple of frames after the window's end; the exact frame
    count is cut by :func:`window_filter` after the frame rate is made constant.
    """
    half = 1 / (2 * window.fps)
    seek = float(window.start_frame / window.fps - half) if window.start_frame else None
    duration = None if window.frames is None else float((window.frames + 2) / window.fps + half)
    return input_args(src, seek_s=seek, duration_s=duration)


def window_filter(window: FrameWindow) -> str:
    """Filter chain restarting the window's clock at zero, at a constant rate, cut to size."""
    chain = f"setpts=PTS-STARTPTS,fps={rate_arg(window.fps)}"
    if window.frames is not None:
        chain += f",trim=end_frame={int(window.frames)}"
    return chain


def force_keyframes_expr(frames: Sequence[int]) -> str:
    """ffmpeg's ``-force_key_frames`` value that makes exactly these frames keyframes."""
    if not frames:
        raise ValueError("at least one boundary")
    return "expr:" + "+".join(f"eq(n,{int(n)})" for n in frames)


def audio_encode_args(audio: AudioEncode) -> list[str]:
    """Encoder arguments for one audio output."""
    return [
        "-c:a",
        audio.codec,
        "-b:a",
        f"{audio.bitrate_kbps}k",
        "-ac",
        str(audio.channels),
        "-ar",
        str(audio.sample_rate),
    ]


def ladder_encode_argv(
    ffmpeg: Path,
    src: SafeInput,
    *,
    window: FrameWindow,
    outputs: Sequence[VideoOutput],
    keyframes: Sequence[int],
    threads: int,
) -> list[str]:
    """One ffmpeg run: ``window`` decoded once, encoded into every output's MP4.

    ``keyframes`` are frame numbers counted from the window's first frame.
    Outputs are video only, timestamps from zero, no metadata of the source.
    """
    if not outputs:
        raise ValueError("at least one rendition")
    count = len(outputs)
    labels = [f"[o{i}]" for i in range(count)]
    split = f"split={count}" + "".join(f"[s{i}]" for i in range(count))
    scales = [
        f"[s{i}]{scale_filter(out.encode.width, out.encode.height, out.encode.scaler)},"
        f"format={out.encode.pix_fmt}{labels[i]}"
        for i, out in enumerate(outputs)
    ]
    graph = ";".join([f"[0:V:0]{window_filter(window)},{split}", *scales])
    argv = [
        str(ffmpeg),
        *FFMPEG_GLOBAL,
        "-progress",
        "pipe:1",
        "-threads",
        str(threads),
        *window_input_args(src, window),
        "-filter_complex_threads",
        str(threads),
        "-filter_complex",
        graph,
    ]
    expr = force_keyframes_expr(keyframes)
    for label, out in zip(labels, outputs, strict=True):
        argv += [
            "-map",
            label,
            *video_encode_args(out.encode),
            "-force_key_frames",
            expr,
            "-an",
            "-sn",
            "-dn",
            "-map_metadata",
            "-1",
            "-f",
            "mp4",
            output_arg(out.path),
        ]
    return argv


def audio_encode_argv(
    ffmpeg: Path, src: SafeInput, audio: AudioEncode, out: Path, *, threads: int
) -> list[str]:
    """The source's first audio stream encoded whole into an MP4, from the start to the end."""
    if not out.is_absolute():
        raise ValueError(f"output path must be absolute, got {out}")
    return [
        str(ffmpeg),
        *FFMPEG_GLOBAL,
        "-progress",
        "pipe:1",
        "-threads",
        str(threads),
        *input_args(src),
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        *audio_encode_args(audio),
        "-map_metadata",
        "-1",
        "-f",
        "mp4",
        output_arg(out),
    ]


def ladder_hls_argv(
    ffmpeg: Path,
    src: SafeInput,
    *,
    videos: Sequence[tuple[VideoEncode, CmafSegments]],
    audio: tuple[AudioEncode, CmafSegments] | None,
    keyframe_s: float,
    threads: int,
) -> list[str]:
    """The whole source in one run, decoded once, every rendition straight into CMAF segments.

    What a single machine does without chunking (the benchmark's anchor):
    keyframes every ``keyframe_s`` seconds of output time.
    """
    if not videos:
        raise ValueError("at least one rendition")
    graph = f"[0:V:0]split={len(videos)}" + "".join(f"[s{i}]" for i in range(len(videos)))
    graph += "".join(
        f";[s{i}]{scale_filter(enc.width, enc.height, enc.scaler)},format={enc.pix_fmt}[o{i}]"
        for i, (enc, _) in enumerate(videos)
    )
    argv = [
        str(ffmpeg),
        *FFMPEG_GLOBAL,
        "-threads",
        str(threads),
        *input_args(src),
        "-filter_complex_threads",
        str(threads),
        "-filter_complex",
        graph,
    ]
    for i, (enc, segments) in enumerate(videos):
        argv += [
            "-map",
            f"[o{i}]",
            *video_encode_args(enc),
            "-force_key_frames",
            f"expr:gte(t,n_forced*{keyframe_s:g})",
            "-an",
            *cmaf_output_args(segments),
        ]
    if audio is not None:
        encode, segments = audio
        argv += ["-map", "0:a:0", *audio_encode_args(encode), *cmaf_output_args(segments)]
    return argv
