"""Typed options the command builders turn into ffmpeg/ffprobe arguments.

:class:`SafeInput` is the only way a file reaches ffmpeg: it names the
container the file's own bytes were sniffed as (so the demuxer is forced and
never guessed), the decoders that may run on it, and the probe limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from pathlib import Path


class Container(StrEnum):
    """Containers an upload may be in; the value is what validation reports."""

    MP4 = "mp4"
    """ISO base media / QuickTime (.mp4, .m4v, .mov): ffmpeg's ``mov`` demuxer."""
    MATROSKA = "matroska"
    """Matroska and WebM: ffmpeg's ``matroska`` demuxer."""

    @property
    def demuxer(self) -> str:
        """The ffmpeg demuxer forced for this container."""
        return "mov" if self is Container.MP4 else "matroska"


# ffprobe reports codec names; ffmpeg's codec_whitelist takes decoder names.
# Every decoder the two builds may pick for an allowed codec is listed.
_DECODERS: dict[str, tuple[str, ...]] = {
    "h264": ("h264",),
    "hevc": ("hevc",),
    "vp9": ("vp9", "libvpx-vp9"),
    "av1": ("libdav1d", "av1", "libaom-av1"),
    "aac": ("aac", "aac_fixed"),
    "opus": ("opus", "libopus"),
    "mp3": ("mp3float", "mp3"),
    "ac3": ("ac3", "ac3_fixed"),
    "eac3": ("eac3",),
    "flac": ("flac",),
    "vorbis": ("vorbis", "libvorbis"),
    "subrip": ("srt", "subrip"),
    "ass": ("ass", "ssa"),
    "webvtt": ("webvtt",),
    "mov_text": ("mov_text",),
}


def decoders_for(codecs: tuple[str, ...] | list[str] | frozenset[str]) -> tuple[str, ...]:
    """Decoder names that may decode the given codec names (for ``-codec_whitelist``)."""
    out: list[str] = []
    for codec in sorted(codecs):
        for name in _DECODERS.get(codec, (codec,)):
            if name not in out:
                out.append(name)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class SafeInput:
    """A file ffmpeg may open, with everything that keeps the open safe."""

    path: Path
    """Absolute path inside the job folder; passed as ``file:PATH``."""
    container: Container
    """What the file's magic bytes say it is: the demuxer is forced to match."""
    decoders: tuple[str, ...]
    """The only decoders ffmpeg may open on this file (``-codec_whitelist``)."""
    max_streams: int = 64
    max_pixels: int = 3840 * 2160
    probe_size: int = 10_000_000
    analyze_duration_us: int = 10_000_000

    def __post_init__(self) -> None:
        if not self.path.is_absolute():
            raise ValueError(f"input path must be absolute, got {self.path}")
        if not self.decoders:
            raise ValueError("an input needs at least one allowed decoder")
        for name in self.decoders:
            if not name.replace("_", "").replace("-", "").isalnum():
                raise ValueError(f"bad decoder name {name!r}")


@dataclass(frozen=True, slots=True)
class VideoEncode:
    """One video encode: a rung of the ladder or a per-title trial."""

    width: int
    height: int
    codec: str = "libx264"
    bitrate_kbps: int | None = None
    """Target average bitrate; None with ``crf`` set for constant quality."""
    maxrate_kbps: int | None = None
    bufsize_kbps: int | None = None
    crf: float | None = None
    gop_frames: int | None = None
    """Fixed GOP (keyframe every N frames, no scene-cut keyframes) when set."""
    fps: Fraction | None = None
    preset: str = "veryfast"
    threads: int = 2
    pix_fmt: str = "yuv420p"
    profile: str | None = None
    scaler: str = "bicubic"

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0 or self.width % 2 or self.height % 2:
            raise ValueError(f"frame size must be positive and even, got {self}")
        if (self.bitrate_kbps is None) == (self.crf is None):
            raise ValueError("set exactly one of bitrate_kbps and crf")


@dataclass(frozen=True, slots=True)
class AudioEncode:
    """One audio encode."""

    codec: str = "aac"
    bitrate_kbps: int = 128
    channels: int = 2
    sample_rate: int = 48_000


@dataclass(frozen=True, slots=True)
class VmafOptions:
    """How VMAF is measured by the libvmaf filter."""

    n_threads: int = 2
    n_subsample: int = 1
    """Score every n-th frame only (1: all)."""
    model: str = "version=vmaf_v0.6.1"
    """The model built into libvmaf; meant for 1080p viewing."""
    scaler: str = "bicubic"
    """How the encode is scaled back up to the reference size before comparing."""


@dataclass(frozen=True, slots=True)
class SampleSpan:
    """A stretch of the source: start and length in seconds."""

    start_s: float
    duration_s: float

    def __post_init__(self) -> None:
        if self.start_s < 0 or self.duration_s <= 0:
            raise ValueError(f"bad span {self}")


@dataclass(frozen=True, slots=True)
class FrameWindow:
    """A run of output frames of the source, at a constant rate: what one chunk encodes.

    Frame ``n`` of the output sits at ``n / fps`` seconds of the source.
    """

    start_frame: int
    frames: int | None
    """How many frames; None runs to the source's end."""
    fps: Fraction


@dataclass(frozen=True, slots=True)
class VideoOutput:
    """One video output of a run: how it is encoded and the file it goes to (absolute)."""

    encode: VideoEncode
    path: Path


@dataclass(frozen=True, slots=True)
class CmafSegments:
    """How the HLS muxer cuts one stream into fragmented-MP4 (CMAF) segments in ``folder``.

    ``segment_pattern`` and ``playlist`` are file names inside ``folder``;
    ``init_name`` names the init segment (None: the muxer's own name).
    """

    folder: Path
    segment_s: float
    segment_pattern: str
    playlist: str
    init_name: str | None = None


@dataclass(frozen=True, slots=True)
class SpriteSheets:
    """Seek-preview thumbnails: one every ``interval_s``, ``grid`` by ``grid`` per JPEG sheet."""

    width: int
    height: int
    interval_s: float
    grid: int
    jpeg_quality: int
    """ffmpeg's -q:v for JPEG: 2 (best) to 31."""


@dataclass(frozen=True, slots=True)
class SyntheticClip:
    """A clip rendered from ffmpeg's own sources (lavfi), as H.264 and AAC in MP4.

    ``video`` is a lavfi source graph and ``audio`` a filtergraph ending in
    ``[a]``; both come from the caller's code (a catalog of test patterns),
    never from a user.
    """

    video: str
    audio: str
    seconds: float
    crf: int
    preset: str
    gop_frames: int
    audio_kbps: int
    faststart: bool = True
