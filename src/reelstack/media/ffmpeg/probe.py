"""ffprobe a file into a typed :class:`ProbeResult`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from reelstack.media.ffmpeg.commands import ffprobe_argv, keyframe_times_argv
from reelstack.media.ffmpeg.errors import FfmpegError
from reelstack.media.ffmpeg.options import SafeInput
from reelstack.media.ffmpeg.runner import Limits, run


def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out and out not in (float("inf"), float("-inf")) else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _fraction(value: Any) -> Fraction | None:
    try:
        out = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None
    return out if out > 0 else None


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """One stream as ffprobe reports it."""

    index: int
    codec_type: str
    """video, audio, subtitle, data or attachment."""
    codec_name: str
    profile: str = ""
    width: int = 0
    height: int = 0
    pix_fmt: str = ""
    avg_frame_rate: Fraction | None = None
    r_frame_rate: Fraction | None = None
    sample_aspect_ratio: Fraction | None = None
    channels: int = 0
    channel_layout: str = ""
    sample_rate: int = 0
    duration_s: float | None = None
    bit_rate: int | None = None
    nb_frames: int | None = None
    attached_pic: bool = False
    """A cover image stored as a video stream, not part of the programme."""
    language: str = ""
    rotation: int = 0

    @property
    def fps(self) -> Fraction | None:
        """The frame rate to encode at: the average, else the container's base rate."""
        return self.avg_frame_rate or self.r_frame_rate

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StreamInfo:
        """Build from one entry of ffprobe's ``streams`` array."""
        tags = data.get("tags") or {}
        disposition = data.get("disposition") or {}
        rotation = 0
        for side in data.get("side_data_list") or []:
            if "rotation" in side:
                rotation = _int(side["rotation"]) or 0
        if not rotation and "rotate" in tags:
            rotation = _int(tags["rotate"]) or 0
        sar = data.get("sample_aspect_ratio", "")
        duration = _float(data.get("duration"))
        if duration is None:
            duration = _duration_tag(tags.get("DURATION") or tags.get("duration"))
        return cls(
            index=_int(data.get("index")) or 0,
            codec_type=str(data.get("codec_type", "")),
            codec_name=str(data.get("codec_name", "")),
            profile=str(data.get("profile", "")),
            width=_int(data.get("width")) or 0,
            height=_int(data.get("height")) or 0,
            pix_fmt=str(data.get("pix_fmt", "")),
            avg_frame_rate=_fraction(data.get("avg_frame_rate")),
            r_frame_rate=_fraction(data.get("r_frame_rate")),
            sample_aspect_ratio=_fraction(str(sar).replace(":", "/")) if sar else None,
            channels=_int(data.get("channels")) or 0,
            channel_layout=str(data.get("channel_layout", "")),
            sample_rate=_int(data.get("sample_rate")) or 0,
            duration_s=duration,
            bit_rate=_int(data.get("bit_rate")),
            nb_frames=_int(data.get("nb_frames")),
            attached_pic=bool(disposition.get("attached_pic")),
            language=str(tags.get("language", "")),
            rotation=rotation,
        )


def _duration_tag(value: Any) -> float | None:
    # Matroska muxers store per-track durations as a tag, "HH:MM:SS.fffffffff".
    if not isinstance(value, str) or value.count(":") != 2:
        return None
    hours, minutes, seconds = value.split(":")
    try:
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """A file's container and streams."""

    format_name: str
    """ffprobe's demuxer name, e.g. ``mov,mp4,m4a,3gp,3g2,mj2`` or ``matroska,webm``."""
    duration_s: float | None
    size_bytes: int | None
    bit_rate: int | None
    streams: tuple[StreamInfo, ...]
    tags: dict[str, str]

    @property
    def video_streams(self) -> tuple[StreamInfo, ...]:
        """Video streams that are programme, not cover pictures."""
        return tuple(s for s in self.streams if s.codec_type == "video" and not s.attached_pic)

    @property
    def audio_streams(self) -> tuple[StreamInfo, ...]:
        """Audio streams."""
        return tuple(s for s in self.streams if s.codec_type == "audio")

    @property
    def video(self) -> StreamInfo | None:
        """The first programme video stream, the one the pipeline encodes."""
        videos = self.video_streams
        return videos[0] if videos else None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProbeResult:
        """Build from ffprobe's ``-show_format -show_streams`` JSON."""
        fmt = data.get("format") or {}
        streams = tuple(StreamInfo.from_json(s) for s in data.get("streams") or [])
        return cls(
            format_name=str(fmt.get("format_name", "")),
            duration_s=_float(fmt.get("duration")),
            size_bytes=_int(fmt.get("size")),
            bit_rate=_int(fmt.get("bit_rate")),
            streams=streams,
            tags={str(k): str(v) for k, v in (fmt.get("tags") or {}).items()},
        )


def probe(
    ffprobe: Path, src: SafeInput, *, cwd: Path, limits: Limits, decode: bool = True
) -> ProbeResult:
    """Probe ``src``; ``decode=False`` reads headers only and runs no decoder.

    Raises FfmpegError when ffprobe cannot read the file (its message, such as
    ``moov atom not found``, is in the error's stderr tail).
    """
    result = run(ffprobe_argv(ffprobe, src, decode=decode), cwd=cwd, limits=limits)
    try:
        data = json.loads(result.stdout or b"{}")
    except json.JSONDecodeError as exc:
        raise FfmpegError("ffprobe", 0, result.stderr_tail, f"unreadable JSON: {exc}") from None
    if not isinstance(data, dict):
        raise FfmpegError("ffprobe", 0, result.stderr_tail, "unexpected JSON")
    error = data.get("error")
    if isinstance(error, dict):
        raise FfmpegError("ffprobe", 1, str(error.get("string", "")) or result.stderr_tail)
    return ProbeResult.from_json(data)


def parse_keyframe_times(output: str) -> list[float]:
    """Keyframe times from :func:`.commands.keyframe_times_argv`'s output, sorted."""
    times = []
    for line in output.splitlines():
        pts, _, flags = line.strip().partition(",")
        if "K" not in flags:
            continue
        try:
            times.append(float(pts))
        except ValueError:  # "N/A" for packets without a timestamp
            continue
    return sorted(times)


def keyframe_times(ffprobe: Path, src: SafeInput, *, cwd: Path, limits: Limits) -> list[float]:
    """The source's video keyframe times, from its packet index (no decoding)."""
    result = run(keyframe_times_argv(ffprobe, src), cwd=cwd, limits=limits)
    return parse_keyframe_times(result.stdout.decode("ascii", "replace"))
