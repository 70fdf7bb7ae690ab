"""A dependency-free wrapper around ffmpeg and ffprobe: every argv the media code runs.

Typed options (:mod:`.options`) become argv lists in pure builders, one module
per kind of run: :mod:`.commands` (opening inputs safely, probes, decode
checks, trial encodes and VMAF), :mod:`.encode` (the ladder's chunk and audio
encodes), :mod:`.segment` (CMAF segments for HLS and DASH), :mod:`.stills`
(sprite sheets, sampled frames, artwork), :mod:`.fingerprint` (Chromaprint)
and :mod:`.synthetic` (clips from ffmpeg's own sources). :mod:`.runner`
executes them without a shell, in a private job folder, under resource
limits. Every input is opened through :func:`.commands.input_args`: file
protocol only, the demuxer forced to the container the file's bytes were
sniffed as, a decoder allow-list. Nothing here imports the rest of reelstack's
media code.
"""

from __future__ import annotations

from reelstack.media.ffmpeg.binaries import Binaries, find_binaries
from reelstack.media.ffmpeg.errors import (
    FfmpegError,
    FfmpegLimitError,
    FfmpegMissingError,
    FfmpegTimeoutError,
)
from reelstack.media.ffmpeg.options import (
    AudioEncode,
    Container,
    SafeInput,
    SampleSpan,
    VideoEncode,
    VmafOptions,
    decoders_for,
)
from reelstack.media.ffmpeg.probe import ProbeResult, StreamInfo, probe
from reelstack.media.ffmpeg.runner import Limits, RunResult, make_job_folder, run
from reelstack.media.ffmpeg.vmaf import VmafScore, read_vmaf_log

__all__ = [
    "AudioEncode",
    "Binaries",
    "Container",
    "FfmpegError",
    "FfmpegLimitError",
    "FfmpegMissingError",
    "FfmpegTimeoutError",
    "Limits",
    "ProbeResult",
    "RunResult",
    "SafeInput",
    "SampleSpan",
    "StreamInfo",
    "VideoEncode",
    "VmafOptions",
    "VmafScore",
    "decoders_for",
    "find_binaries",
    "make_job_folder",
    "probe",
    "read_vmaf_log",
    "run",
]
