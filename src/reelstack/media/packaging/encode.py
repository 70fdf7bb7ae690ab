"""Encode one chunk of a title into every rendition of its ladder, and its audio once.

A chunk is decoded once and split to every rendition: each is scaled to its
size and encoded with H.264 (libx264) or AV1 (libsvtav1) into its own MP4.
Rate control keeps a VBV cap (``maxrate`` and ``bufsize`` derived from the
rung's bitrate), so a rung's peak stays within what a player at that
bandwidth can fetch. Under the cap, a per-title rung encodes at the CRF its
trials chose (capped CRF, as per-title encoding does): the quality the plan
measured, whatever the chunk. A one-pass average bitrate restarts its rate
control at every chunk and lands under its target on content unlike its
first frames (a per-title rung planned at VMAF 95 came out at 63 on one demo
title at 720p). Fixed-ladder rungs, defined by their bitrates, and AV1 rungs
use the average bitrate. Keyframes are placed exactly at
the chunk's segment boundaries (see :mod:`.chunks`) with scene-cut keyframes
off and a keyframe interval of one segment, so every rendition's GOPs line up.

HEVC is never produced: the browsers the platform targets do not play it. AV1
renditions are optional and always sit beside H.264 ones, never alone.

Audio is encoded once for the whole title (AAC-LC stereo), not per chunk:
AAC frames do not fall on video frame boundaries, and encoder priming at every
chunk start would leave gaps at the joins.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from reelstack.media.ffmpeg.binaries import Binaries
from reelstack.media.ffmpeg.encode import audio_encode_argv, ladder_encode_argv
from reelstack.media.ffmpeg.errors import FfmpegError
from reelstack.media.ffmpeg.options import AudioEncode, SafeInput, VideoEncode, VideoOutput
from reelstack.media.ffmpeg.runner import Limits, RunResult, run
from reelstack.media.ladder.renditions import Rendition
from reelstack.media.packaging.chunks import Chunk, keyframe_boundaries

Progress = Callable[[float], None]

_ENCODERS: dict[str, str] = {"h264": "libx264", "av1": "libsvtav1"}
# Frame rates above this are halved-ish to it: 120 fps phone clips stream at 60.
MAX_FPS = Fraction(60)


_AUDIO = AudioEncode()


@dataclass(frozen=True, slots=True)
class EncodeSettings:
    """How renditions are encoded.

    Built from the ``media.*`` settings of the pipeline (``ENCODE_SETTINGS`` in
    :mod:`reelstack.media.pipeline.settings`, the one place their defaults live).
    """

    segment_s: float
    preset: str
    av1_preset: int
    encode_threads: int
    """Threads of each encoder (and its decoder and filters); 0: ``media_threads``."""
    media_threads: int
    """Threads every ffmpeg run may use (``media.threads``)."""

    @property
    def threads(self) -> int:
        """Threads of each ladder encode."""
        return self.encode_threads or self.media_threads

    @property
    def audio(self) -> AudioEncode:
        """The title's audio encode: AAC-LC stereo, the same for every title."""
        return _AUDIO


def output_fps(source_fps: Fraction | None) -> Fraction:
    """The constant frame rate renditions are encoded at: the source's, at most 60."""
    if source_fps is None or source_fps <= 0 or source_fps > 1000:
        return Fraction(25)
    fps = source_fps
    while fps > MAX_FPS:
        fps /= 2
    return fps


def gop_frames(fps: Fraction, segment_s: float) -> int:
    """Keyframe interval: one segment's frames, rounded up, so the forced keyframes come first."""
    return math.ceil(Fraction(segment_s).limit_denominator(1000) * fps)


def video_encode(rendition: Rendition, settings: EncodeSettings, fps: Fraction) -> VideoEncode:
    """The encoder options of one rendition."""
    av1 = rendition.codec == "av1"
    return VideoEncode(
        width=rendition.width,
        height=rendition.height,
        codec=_ENCODERS[rendition.codec],
        bitrate_kbps=None if rendition.crf is not None else rendition.bitrate_kbps,
        crf=rendition.crf,
        # SVT-AV1 accepts a peak rate only in capped-CRF mode: VBR with a buffer.
        maxrate_kbps=None if av1 else rendition.maxrate_kbps,
        bufsize_kbps=rendition.bufsize_kbps,
        gop_frames=gop_frames(fps, settings.segment_s),
        preset=str(settings.av1_preset) if av1 else settings.preset,
        threads=settings.threads,
        profile=None if av1 else "high",
    )


def chunk_encode_argv(
    ffmpeg: Path,
    src: SafeInput,
    chunk: Chunk,
    renditions: Sequence[Rendition],
    settings: EncodeSettings,
    out_dir: Path,
) -> list[str]:
    """One ffmpeg run: the chunk decoded once, encoded into every rendition's MP4.

    Outputs are ``out_dir/<rendition>.mp4``, video only, timestamps from zero.
    """
    if not out_dir.is_absolute():
        raise ValueError(f"output folder must be absolute, got {out_dir}")
    outputs = [
        VideoOutput(video_encode(r, settings, chunk.fps), out_dir / f"{r.name}.mp4")
        for r in renditions
    ]
    return ladder_encode_argv(
        ffmpeg,
        src,
        window=chunk.window,
        outputs=outputs,
        keyframes=keyframe_boundaries(chunk, settings.segment_s),
        threads=settings.threads,
    )


def encode_chunk(
    binaries: Binaries,
    src: SafeInput,
    chunk: Chunk,
    renditions: Sequence[Rendition],
    settings: EncodeSettings,
    *,
    out_dir: Path,
    limits: Limits,
    expected_s: float,
    on_progress: Progress | None = None,
) -> dict[str, Path]:
    """Encode ``chunk`` into every rendition; return each rendition's file.

    ``expected_s`` is the chunk's length, for progress (the last chunk's
    length is only known from the title's duration).
    """
    argv = chunk_encode_argv(binaries.ffmpeg, src, chunk, renditions, settings, out_dir)
    result = run(
        argv,
        cwd=out_dir,
        limits=limits,
        progress=True,
        duration_s=expected_s,
        on_progress=on_progress,
        threads=settings.threads,
    )
    frames = result.progress.get("frame", "0")
    if not frames.isdigit() or int(frames) == 0:
        # ffmpeg only warns when nothing was encoded; a chunk without frames
        # would leave a hole in every rendition.
        raise FfmpegError("ffmpeg", 0, result.stderr_tail, f"chunk {chunk.name} encoded no frames")
    return {r.name: out_dir / f"{r.name}.mp4" for r in renditions}


def encode_audio(
    binaries: Binaries,
    src: SafeInput,
    settings: EncodeSettings,
    *,
    out: Path,
    limits: Limits,
    duration_s: float,
    on_progress: Progress | None = None,
) -> RunResult:
    """Encode the title's audio once, whole."""
    argv = audio_encode_argv(binaries.ffmpeg, src, settings.audio, out, threads=settings.threads)
    return run(
        argv,
        cwd=out.parent,
        limits=limits,
        progress=True,
        duration_s=duration_s,
        on_progress=on_progress,
        threads=settings.threads,
    )
