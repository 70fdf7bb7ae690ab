"""Cut a title into chunks that workers encode independently, and join them back.

Every rung shares one timeline of output frames at the title's frame rate.
Segment ``k`` starts at output frame ``ceil(k * segment_s * fps)``, the first
frame at or after ``k * segment_s`` seconds, and every rung gets a keyframe
there, so the renditions' segments align and a player can switch between
them at any boundary.

A chunk is a run of whole segments. It is encoded straight from the source:
an accurate input seek to half a frame before its first frame (ffmpeg decodes
from the source keyframe before that point and drops what comes earlier),
timestamps restarted at zero, a constant frame rate, and exactly the chunk's
frame count. Chunks therefore need nothing from each other, and the encoded
chunks of one rung join end to end without re-encoding.

Chunks share the segments out evenly (a job ends when its longest chunk
does); a chunk end may move to a boundary just after a source keyframe when
that saves more decoding (an accurate seek throws away the stretch from the
keyframe before it to the boundary) than the evenness it costs.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from reelstack.media.ffmpeg.options import FrameWindow

# A chunk end may move this far from its even share (as a share of chunk_s) to
# sit after a source keyframe.
_SLACK = 0.5
# What decoding a second of source costs next to encoding it into a ladder
# (one core, 1080p H.264: 0.08 s to decode, about 1 s for five x264 rungs).
DECODE_SHARE = 0.1
# Output file names of encoded chunks and concat lists are chosen here; the
# concat demuxer's safe mode only accepts plain relative names like these.
_SAFE_NAME = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


@dataclass(frozen=True, slots=True)
class Chunk:
    """A run of whole segments of the output timeline, encoded as one task."""

    index: int
    first_segment: int
    segments: int
    start_frame: int
    frames: int | None
    """Output frames in the chunk; None for the last chunk, which runs to the source's end."""
    fps: Fraction

    @property
    def start_s(self) -> float:
        """Source time of the chunk's first frame."""
        return float(self.start_frame / self.fps)

    @property
    def duration_s(self) -> float | None:
        """Exact length of the chunk's frames, None for the last chunk."""
        return None if self.frames is None else float(self.frames / self.fps)

    @property
    def window(self) -> FrameWindow:
        """The chunk's frames, as the encoder is told them."""
        return FrameWindow(self.start_frame, self.frames, self.fps)

    @property
    def name(self) -> str:
        """The chunk's task and file name, e.g. ``c0003``."""
        return f"c{self.index:04d}"

    def to_json(self) -> dict[str, object]:
        """JSON-ready form, kept in the job's plan."""
        return {
            "index": self.index,
            "first_segment": self.first_segment,
            "segments": self.segments,
            "start_frame": self.start_frame,
            "frames": self.frames,
            "fps": f"{self.fps.numerator}/{self.fps.denominator}",
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Chunk:
        """Rebuild from :meth:`to_json`."""
        frames = data["frames"]
        return cls(
            index=int(str(data["index"])),
            first_segment=int(str(data["first_segment"])),
            segments=int(str(data["segments"])),
            start_frame=int(str(data["start_frame"])),
            frames=None if frames is None else int(str(frames)),
            fps=Fraction(str(data["fps"])),
        )


def segment_frame(k: int, segment_s: float, fps: Fraction) -> int:
    """Output frame where segment ``k`` starts: the first at or after ``k * segment_s``."""
    return math.ceil(Fraction(k) * Fraction(segment_s).limit_denominator(1000) * fps)


def segment_count(duration_s: float, segment_s: float, fps: Fraction) -> int:
    """Segments of a video ``duration_s`` long: those holding at least one of its frames."""
    if duration_s <= 0 or segment_s <= 0:
        raise ValueError("duration and segment length must be positive")
    frames = max(1, round(Fraction(duration_s) * fps))
    count = max(1, math.floor(frames / (Fraction(segment_s).limit_denominator(1000) * fps)))
    while segment_frame(count, segment_s, fps) < frames:
        count += 1
    while count > 1 and segment_frame(count - 1, segment_s, fps) >= frames:
        count -= 1
    return count


def _waste(boundary_s: float, keyframes: Sequence[float]) -> float:
    """Seconds decoded and dropped when a chunk starts at ``boundary_s``."""
    at = bisect.bisect_right(keyframes, boundary_s + 1e-6)
    return boundary_s - keyframes[at - 1] if at else boundary_s


def plan_chunks(
    duration_s: float,
    fps: Fraction,
    *,
    segment_s: float,
    chunk_s: float,
    keyframes: Sequence[float] = (),
) -> tuple[Chunk, ...]:
    """Cut a title into chunks of whole segments, about ``chunk_s`` seconds each.

    ``duration_s`` is the video stream's: a chunk must hold at least one frame.

    The number of chunks is the title's length over ``chunk_s``, rounded, and
    the segments are shared out evenly (sizes differ by one segment at most):
    the job ends when its longest chunk does, so a long last chunk would keep
    every other worker waiting. ``keyframes`` are the source's keyframe times
    (sorted); when given, each chunk end may move by up to half a chunk to a
    boundary with less decoding before it, when the decoding saved outweighs
    the evenness lost (decoding a second of source costs about a tenth of
    encoding it into a ladder, ``DECODE_SHARE``).
    """
    if fps <= 0:
        raise ValueError("frame rate must be positive")
    total = segment_count(duration_s, segment_s, fps)
    per_chunk = max(1, round(chunk_s / segment_s))
    count = max(1, min(total, math.floor(total / per_chunk + 0.5)))
    slack = int(per_chunk * _SLACK)
    ordered = sorted(keyframes)
    bounds = [0]
    for i in range(1, count):
        target = i * total / count
        low = max(bounds[-1] + 1, math.floor(target + 0.5) - slack)
        high = min(total - 1, math.floor(target + 0.5) + slack)
        if low > high:
            continue

        def cost(k: int, target: float = target) -> tuple[float, float]:
            uneven = abs(k - target) * segment_s
            if not ordered:
                return uneven, 0.0
            waste = _waste(float(segment_frame(k, segment_s, fps) / fps), ordered)
            return uneven + DECODE_SHARE * waste, uneven

        bounds.append(min(range(low, high + 1), key=cost))
    chunks = []
    for index, first in enumerate(bounds):
        last = bounds[index + 1] if index + 1 < len(bounds) else total
        start_frame = segment_frame(first, segment_s, fps)
        frames = (
            segment_frame(last, segment_s, fps) - start_frame if index + 1 < len(bounds) else None
        )
        chunks.append(Chunk(index, first, last - first, start_frame, frames, fps))
    return tuple(chunks)


def keyframe_boundaries(chunk: Chunk, segment_s: float) -> tuple[int, ...]:
    """Frame numbers, counted from the chunk's first frame, where its segments start."""
    return tuple(
        segment_frame(chunk.first_segment + i, segment_s, chunk.fps) - chunk.start_frame
        for i in range(chunk.segments)
    )


def concat_list(entries: Sequence[tuple[str, float | None]]) -> str:
    """An ffconcat list joining our own encoded chunk files end to end.

    Each entry is a plain file name in the list's folder and the chunk's exact
    duration (None for the last), so every chunk starts exactly where the one
    before it ends. Only names this module chose are accepted.
    """
    if not entries:
        raise ValueError("nothing to join")
    lines = ["ffconcat version 1.0"]
    for name, duration in entries:
        if not name or name[0] in ".-" or not set(name) <= _SAFE_NAME:
            raise ValueError(f"not a plain chunk file name: {name!r}")
        lines.append(f"file {name}")
        if duration is not None:
            lines.append(f"duration {duration:.6f}")
    return "\n".join(lines) + "\n"
