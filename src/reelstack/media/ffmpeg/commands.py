"""Pure builders from typed options to ffmpeg/ffprobe argv lists.

Nothing here runs a process, so every argument can be checked in unit tests.
The safety rules live in :func:`input_args`, which every builder uses for
every input: only the ``file`` protocol, the demuxer forced to the sniffed
container and no other demuxer allowed, the path given as ``file:PATH`` (a
name starting with ``-`` or holding ``scheme:`` or ``%d`` is read as a plain
file name), MP4 data references to other files off, a decoder allow-list, and
limits on streams, pixels and probing. No user text ever reaches a filtergraph:
filter arguments are numbers and file names this module chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from reelstack.media.ffmpeg.options import (
    Container,
    SafeInput,
    SampleSpan,
    VideoEncode,
    VmafOptions,
)

FFMPEG_GLOBAL = ("-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y")
"""Global options first on every ffmpeg run: no stdin, machine-readable progress on
stdout, errors only on stderr, outputs overwritten (each run writes in its own folder)."""


def seconds_arg(value: float) -> str:
    """Seconds as ffmpeg takes them: up to microseconds, no trailing zeros."""
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def rate_arg(value: Fraction) -> str:
    """A frame rate as an exact fraction (``30000/1001``)."""
    return f"{value.numerator}/{value.denominator}"


def output_arg(path: Path) -> str:
    """An output file as ffmpeg takes it: ``file:`` and absolute, never a URL."""
    if not path.is_absolute():
        raise ValueError(f"output path must be absolute, got {path}")
    return f"file:{path}"


def input_args(
    src: SafeInput, *, seek_s: float | None = None, duration_s: float | None = None
) -> list[str]:
    """Arguments that open ``src`` safely (ffmpeg and ffprobe accept the same ones)."""
    demuxer = src.container.demuxer
    args = [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        demuxer,
        "-f",
        demuxer,
    ]
    if src.container is Container.MP4:
        # An MP4 'dref' box can name other files; ffmpeg ignores them by default.
        args += ["-enable_drefs", "0", "-use_absolute_path", "0"]
    args += [
        "-max_streams",
        str(src.max_streams),
        "-probesize",
        str(src.probe_size),
        "-analyzeduration",
        str(src.analyze_duration_us),
        "-codec_whitelist",
        ",".join(src.decoders),
        "-max_pixels",
        str(src.max_pixels),
    ]
    if seek_s is not None and seek_s > 0:
        args += ["-ss", seconds_arg(seek_s)]
    if duration_s is not None:
        args += ["-t", seconds_arg(duration_s)]
    return [*args, "-i", f"file:{src.path}"]


def ffprobe_argv(ffprobe: Path, src: SafeInput, *, decode: bool) -> list[str]:
    """ffprobe as JSON. ``decode=False`` reads container headers only and opens no decoder."""
    argv = [str(ffprobe), "-hide_banner", "-loglevel", "error"]
    if not decode:
        argv.append("-nofind_stream_info")
    argv += input_args(src)
    return [*argv, "-print_format", "json", "-show_format", "-show_streams", "-show_error"]


def keyframe_times_argv(ffprobe: Path, src: SafeInput) -> list[str]:
    """ffprobe listing the first video stream's packets (time and flags), decoding nothing."""
    return [
        str(ffprobe),
        "-hide_banner",
        "-loglevel",
        "error",
        *input_args(src),
        "-select_streams",
        "V:0",
        "-show_entries",
        "packet=pts_time,flags",
        "-of",
        "csv=p=0",
    ]


def decode_check_argv(
    ffmpeg: Path, src: SafeInput, *, start_s: float, duration_s: float, threads: int
) -> list[str]:
    """Decode the first video stream for ``duration_s`` from ``start_s``, writing nothing.

    The frame count arrives in the ``-progress`` block; zero frames means the
    stretch is not there (a truncated file) or not decodable.
    """
    return [
        str(ffmpeg),
        *FFMPEG_GLOBAL,
        "-progress",
        "pipe:1",
        "-threads",
        str(threads),
        *input_args(src, seek_s=start_s, duration_s=duration_s),
        "-map",
        "0:V:0",
        "-threads",
        str(threads),
        "-f",
        "null",
        "-",
    ]


def scale_filter(width: int, height: int, scaler: str) -> str:
    """The scale filter to an exact size with square pixels (numbers only)."""
    if scaler not in ("bicubic", "bilinear", "lanczos", "spline", "neighbor", "area"):
        raise ValueError(f"unknown scaler {scaler!r}")
    return f"scale={int(width)}:{int(height)}:flags={scaler},setsar=1"


def reference_argv(
    ffmpeg: Path,
    src: SafeInput,
    *,
    spans: Sequence[SampleSpan],
    width: int,
    height: int,
    fps: Fraction,
    out: Path,
    threads: int,
) -> list[str]:
    """Cut ``spans`` out of the source into one lossless clip at the reference size.

    The source is opened once per span (input seeking is fast and frame
    exact), each span scaled and set to a constant frame rate, and the spans
    joined with the concat filter into H.264 at quantizer 0.
    """
    if not spans:
        raise ValueError("at least one span")
    argv = [str(ffmpeg), *FFMPEG_GLOBAL, "-progress", "pipe:1"]
    for span in spans:
        argv += input_args(src, seek_s=span.start_s, duration_s=span.duration_s)
    chains = [
        f"[{i}:V:0]{scale_filter(width, height, 'bicubic')},fps={rate_arg(fps)},"
        f"format=yuv420p,setpts=PTS-STARTPTS[s{i}]"
        for i in range(len(spans))
    ]
    joined = "".join(f"[s{i}]" for i in range(len(spans)))
    graph = ";".join([*chains, f"{joined}concat=n={len(spans)}:v=1:a=0[ref]"])
    return [
        *argv,
        "-filter_complex",
        graph,
        "-map",
        "[ref]",
        "-c:v",
        "libx264",
        "-qp",
        "0",
        "-preset",
        "ultrafast",
        "-threads",
        str(threads),
        "-f",
        "matroska",
        output_arg(out),
    ]


def video_encode_args(enc: VideoEncode) -> list[str]:
    """Encoder arguments for one video output (the scale filter is added by the caller)."""
    args = ["-c:v", enc.codec, "-preset", enc.preset, "-pix_fmt", enc.pix_fmt]
    if enc.crf is not None:
        args += ["-crf", f"{enc.crf:g}"]
    if enc.bitrate_kbps is not None:
        args += ["-b:v", f"{enc.bitrate_kbps}k"]
    if enc.maxrate_kbps is not None:
        args += ["-maxrate", f"{enc.maxrate_kbps}k"]
    if enc.bufsize_kbps is not None:
        args += ["-bufsize", f"{enc.bufsize_kbps}k"]
    if enc.gop_frames is not None:
        args += ["-g", str(enc.gop_frames), "-keyint_min", str(enc.gop_frames)]
        if enc.codec == "libx264":
            args += ["-sc_threshold", "0"]
    if enc.fps is not None:
        args += ["-r", rate_arg(enc.fps)]
    if enc.profile is not None:
        args += ["-profile:v", enc.profile]
    args += ["-threads", str(enc.threads)]
    if enc.codec == "libsvtav1":
        # One SVT-AV1 thread pool level per encoder thread asked for.
        args += ["-svtav1-params", f"lp={max(1, enc.threads)}"]
    return args


def trial_encode_argv(ffmpeg: Path, ref: SafeInput, enc: VideoEncode, out: Path) -> list[str]:
    """Encode the reference clip at one trial point (size and quality), video only."""
    return [
        str(ffmpeg),
        *FFMPEG_GLOBAL,
        "-progress",
        "pipe:1",
        *input_args(ref),
        "-map",
        "0:V:0",
        "-vf",
        scale_filter(enc.width, enc.height, enc.scaler),
        *video_encode_args(enc),
        "-an",
        "-sn",
        "-dn",
        "-f",
        "matroska",
        output_arg(out),
    ]


def vmaf_argv(
    ffmpeg: Path,
    distorted: SafeInput,
    reference: SafeInput,
    *,
    width: int,
    height: int,
    log_name: str,
    options: VmafOptions,
) -> list[str]:
    """VMAF of ``distorted`` against ``reference``, the encode scaled back to ``width``x``height``.

    The JSON log goes to ``log_name`` in the job folder (the run's cwd); the
    name is checked to be a plain file name since it sits inside the filtergraph.
    """
    if not log_name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ValueError(f"log name must be a plain file name, got {log_name!r}")
    vmaf = (
        f"libvmaf=log_path={log_name}:log_fmt=json:n_threads={int(options.n_threads)}"
        f":n_subsample={int(options.n_subsample)}:model={options.model.replace(':', '')}"
    )
    graph = (
        f"[0:V:0]{scale_filter(width, height, options.scaler)},format=yuv420p,"
        "setpts=PTS-STARTPTS[dist];"
        "[1:V:0]format=yuv420p,setpts=PTS-STARTPTS[ref];"
        f"[dist][ref]{vmaf}"
    )
    return [
        str(ffmpeg),
        *FFMPEG_GLOBAL,
        "-progress",
        "pipe:1",
        *input_args(distorted),
        *input_args(reference),
        "-filter_complex",
        graph,
        "-f",
        "null",
        "-",
    ]
