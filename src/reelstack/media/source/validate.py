"""Validate an upload before any work: what it is, what it holds, and that it decodes.

In order, each step cheap before the next: the file is a regular file of a
size within limits; its magic bytes say MP4/QuickTime or Matroska/WebM (the
name is ignored, so a playlist, concat list or picture called ``.mp4`` is
refused and a Matroska called ``.mp4`` is read as Matroska); its container
headers, read with no decoder running, show allowed codecs, a duration, a
picture size and a stream count within limits; a full probe then runs only
the allowed decoders; and the first and last seconds of video must decode (a
file cut short keeps its header but loses its tail). Each refusal is a
:class:`MediaRefused` whose message names the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from reelstack.errors import InvalidRequestError
from reelstack.media.ffmpeg.binaries import Binaries
from reelstack.media.ffmpeg.commands import decode_check_argv
from reelstack.media.ffmpeg.errors import FfmpegError, FfmpegLimitError, FfmpegTimeoutError
from reelstack.media.ffmpeg.options import Container, SafeInput, decoders_for
from reelstack.media.ffmpeg.probe import ProbeResult, StreamInfo, probe
from reelstack.media.ffmpeg.runner import Limits, run
from reelstack.media.ffmpeg.sniff import sniff_file

# Decoders allowed for cover pictures, which MP4 and MKV files may carry as
# still "video" streams; they are never part of the programme.
_COVER_CODECS = ("mjpeg", "png")
# How much of the file's end must decode: enough to span a keyframe interval.
_TAIL_CHECK_S = 5.0
_HEAD_CHECK_S = 1.0
_HEADER_MAX_PIXELS = 16384 * 16384


class MediaRefused(InvalidRequestError):
    """An upload was refused before any encoding; ``code`` is machine-readable."""

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"upload refused ({code}): {reason}")


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """Allow-lists and limits an upload is checked against, and what each ffmpeg run may use.

    Built from the ``media.*`` settings (``LIMITS`` in :mod:`reelstack.media.settings`,
    the one place their defaults live).
    """

    containers: tuple[str, ...]
    video_codecs: tuple[str, ...]
    audio_codecs: tuple[str, ...]
    subtitle_codecs: tuple[str, ...]
    max_bytes: int
    max_duration_s: float
    min_duration_s: float
    max_width: int
    max_height: int
    max_streams: int
    probe_size: int
    analyze_duration_s: float
    threads: int
    max_cpu_s: int
    max_wall_s: float
    max_output_bytes: int
    max_memory_bytes: int

    @property
    def run(self) -> Limits:
        """Resource limits of one ffmpeg run."""
        return Limits(
            cpu_s=self.max_cpu_s,
            output_bytes=self.max_output_bytes,
            address_space_bytes=self.max_memory_bytes,
            wall_s=self.max_wall_s,
        )

    def safe_input(self, path: Path, container: Container, codecs: tuple[str, ...]) -> SafeInput:
        """Open ``path`` as ``container`` with only the decoders of ``codecs``."""
        long_side, short_side = sorted((self.max_width, self.max_height), reverse=True)
        return SafeInput(
            path=path,
            container=container,
            decoders=decoders_for(codecs),
            # ffmpeg's own stream cap sits above ours so the count can be reported.
            max_streams=self.max_streams * 2 + 8,
            # Decoders allocate whole coding blocks (up to 128 pixels): leave room.
            max_pixels=(long_side + 128) * (short_side + 128),
            probe_size=self.probe_size,
            analyze_duration_us=int(self.analyze_duration_s * 1e6),
        )

    @property
    def allowed_codecs(self) -> tuple[str, ...]:
        """Every codec an upload may carry."""
        return (*self.video_codecs, *self.audio_codecs, *self.subtitle_codecs)


@dataclass(frozen=True, slots=True)
class ValidatedMedia:
    """An upload that passed validation, ready for planning and encoding."""

    source: SafeInput
    """How every later ffmpeg run opens the file (forced demuxer, allowed decoders)."""
    probe: ProbeResult
    size_bytes: int

    @property
    def container(self) -> Container:
        return self.source.container

    @property
    def video(self) -> StreamInfo:
        """The programme's video stream."""
        video = self.probe.video
        assert video is not None  # validation refuses files without one
        return video

    @property
    def duration_s(self) -> float:
        return self.probe.duration_s or 0.0

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: sample aspect ratio applied, rotation honoured."""
        video = self.video
        width, height = video.width, video.height
        if video.sample_aspect_ratio and video.sample_aspect_ratio != 1:
            width = round(width * video.sample_aspect_ratio)
        if abs(video.rotation) % 180 == 90:
            width, height = height, width
        return width, height


def stage_upload(upload: Path, job_dir: Path, name: str = "source") -> Path:
    """Place the upload in the job folder under a fixed name (hard link, else copy).

    ffmpeg then only ever sees a name the pipeline chose, never one from the user.
    """
    info = os.lstat(upload)
    if not stat.S_ISREG(info.st_mode):
        raise MediaRefused("not_a_file", f"{upload.name!r} is not a regular file")
    target = job_dir / name
    try:
        os.link(upload, target, follow_symlinks=False)
    except OSError:
        shutil.copyfile(upload, target, follow_symlinks=False)
    return target.resolve()


def _refusal_from(exc: FfmpegError, container: Container) -> MediaRefused:
    text = exc.stderr_tail
    lowered = text.lower()
    if "moov atom not found" in lowered:
        return MediaRefused("truncated", "incomplete MP4: its index (moov box) is missing")
    if (match := re.search(r"Codec \((\w+)\) not on whitelist", text)) is not None:
        return MediaRefused("codec", f"codec {match.group(1)!r} is not allowed")
    if "max_streams" in lowered:
        return MediaRefused("too_many_streams", "more streams than allowed")
    if "exceeds specified max pixel count" in lowered:
        return MediaRefused("resolution", "picture larger than allowed")
    if "file ended prematurely" in lowered or "partial file" in lowered:
        return MediaRefused("truncated", f"the {container.value} file is cut short")
    last = text.strip().splitlines()[-1] if text.strip() else exc.reason
    return MediaRefused("corrupt", f"ffmpeg cannot read it as {container.value}: {last}")


def _check_header(result: ProbeResult, container: Container, limits: MediaLimits) -> None:
    if container.demuxer not in result.format_name.split(","):
        raise MediaRefused("container", f"read as {result.format_name!r}, not {container.value}")
    if len(result.streams) > limits.max_streams:
        raise MediaRefused(
            "too_many_streams", f"{len(result.streams)} streams; at most {limits.max_streams}"
        )
    allowed = {
        "video": limits.video_codecs,
        "audio": limits.audio_codecs,
        "subtitle": limits.subtitle_codecs,
    }
    for stream in result.streams:
        if stream.attached_pic or stream.codec_type in ("data", "attachment"):
            continue  # cover pictures, timecodes, fonts: never decoded nor served
        codecs = allowed.get(stream.codec_type)
        if codecs is None:
            raise MediaRefused("codec", f"stream {stream.index} is of type {stream.codec_type!r}")
        if stream.codec_name not in codecs:
            raise MediaRefused(
                "codec",
                f"{stream.codec_type} codec {stream.codec_name or 'unknown'!r} "
                f"(stream {stream.index}) is not allowed; allowed: {', '.join(codecs)}",
            )
    video = result.video
    if video is None:
        raise MediaRefused("no_video", "the file holds no video stream")
    if video.width <= 0 or video.height <= 0:
        raise MediaRefused("corrupt", "the video stream has no picture size")
    long_side, short_side = sorted((video.width, video.height), reverse=True)
    max_long, max_short = sorted((limits.max_width, limits.max_height), reverse=True)
    if long_side > max_long or short_side > max_short:
        raise MediaRefused(
            "resolution",
            f"{video.width}x{video.height} is larger than {limits.max_width}x{limits.max_height}",
        )
    duration = result.duration_s if result.duration_s is not None else video.duration_s
    if duration is None or duration <= 0:
        raise MediaRefused("corrupt", "the file states no duration")
    if duration > limits.max_duration_s:
        raise MediaRefused(
            "too_long", f"{duration:.0f} s long; at most {limits.max_duration_s:.0f} s"
        )
    if duration < limits.min_duration_s:
        raise MediaRefused(
            "too_short", f"{duration:.2f} s long; at least {limits.min_duration_s:g} s"
        )


def _decoded_frames(
    binaries: Binaries,
    src: SafeInput,
    job_dir: Path,
    limits: MediaLimits,
    start_s: float,
    duration_s: float,
) -> tuple[int, str]:
    """Video frames that decode in the stretch, and ffmpeg's last complaint if any."""
    argv = decode_check_argv(
        binaries.ffmpeg, src, start_s=start_s, duration_s=duration_s, threads=limits.threads
    )
    check_limits = replace(limits.run, wall_s=min(limits.run.wall_s, 300.0))
    try:
        result = run(argv, cwd=job_dir, limits=check_limits, progress=True, threads=limits.threads)
    except (FfmpegTimeoutError, FfmpegLimitError):
        raise
    except FfmpegError as exc:
        # ffmpeg fails outright when nothing at all decodes ("nothing was written").
        lines = exc.stderr_tail.strip().splitlines()
        return 0, lines[-1] if lines else exc.reason
    try:
        return int(result.progress.get("frame", "0")), ""
    except ValueError:
        return 0, ""


def _detail(message: str) -> str:
    return f" ({message})" if message else ""


def validate(
    path: Path, *, job_dir: Path, limits: MediaLimits, binaries: Binaries
) -> ValidatedMedia:
    """Validate the staged upload at ``path`` (inside ``job_dir``); raise MediaRefused if bad."""
    path = path.resolve()
    job_dir = job_dir.resolve()
    if path.parent != job_dir:
        raise ValueError(f"{path} is not staged in the job folder {job_dir}")
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise MediaRefused("not_a_file", "not a regular file")
    if info.st_size == 0:
        raise MediaRefused("empty", "the file is empty")
    if info.st_size > limits.max_bytes:
        raise MediaRefused(
            "too_large", f"{info.st_size} bytes; at most {limits.max_bytes} bytes are accepted"
        )
    sniffed = sniff_file(path)
    if sniffed.container is None:
        raise MediaRefused(sniffed.kind if sniffed.kind != "video" else "unknown", sniffed.detail)
    if sniffed.container.value not in limits.containers:
        raise MediaRefused("container", f"{sniffed.detail} is not an allowed container")
    container = sniffed.container
    # ffprobe opens (but does not feed) a decoder per stream even when reading
    # headers only; cover-picture decoders are allowed so their streams can be
    # told apart from a programme in a picture codec, which is refused below.
    # The picture-size cap waits for the check that can name the size: headers
    # decode nothing, but ffprobe's decoder set-up already applies the cap.
    header_src = replace(
        limits.safe_input(path, container, (*limits.allowed_codecs, *_COVER_CODECS)),
        max_pixels=_HEADER_MAX_PIXELS,
    )
    try:
        header = probe(binaries.ffprobe, header_src, cwd=job_dir, limits=limits.run, decode=False)
        _check_header(header, container, limits)
        codecs = {s.codec_name for s in header.streams if s.codec_name in limits.allowed_codecs}
        if any(s.attached_pic for s in header.streams):
            codecs.update(_COVER_CODECS)
        src = limits.safe_input(path, container, tuple(sorted(codecs)))
        full = probe(binaries.ffprobe, src, cwd=job_dir, limits=limits.run, decode=True)
        _check_header(full, container, limits)
        frames, complaint = _decoded_frames(binaries, src, job_dir, limits, 0.0, _HEAD_CHECK_S)
        if frames == 0:
            raise MediaRefused(
                "undecodable",
                f"no video frame decodes at the start of the file{_detail(complaint)}",
            )
        video = full.video
        assert video is not None
        # A file cut short keeps its header (and stated duration) but not its
        # end: the last stretch it claims must decode.
        end = video.duration_s or full.duration_s or 0.0
        window = min(_TAIL_CHECK_S, end / 3)
        if end > _HEAD_CHECK_S:
            frames, complaint = _decoded_frames(
                binaries, src, job_dir, limits, end - window, window
            )
            if frames == 0:
                raise MediaRefused(
                    "truncated",
                    f"the file is cut short: no video decodes in its last {window:.1f} s "
                    f"of the {end:.1f} s it claims{_detail(complaint)}",
                )
    except (FfmpegTimeoutError, FfmpegLimitError) as exc:
        raise MediaRefused("resources", f"reading it took more than allowed: {exc.reason}") from exc
    except FfmpegError as exc:
        raise _refusal_from(exc, container) from exc
    return ValidatedMedia(source=src, probe=full, size_bytes=info.st_size)
