"""Posters and backdrops from a representative frame, when none was uploaded.

Frames are sampled evenly between 5% and 90% of the title (opening titles
and end credits are poor pictures), each read as a small grey image. A frame
is scored by how much it shows: frames nearly black or nearly white are out;
among the rest the score is the entropy of the brightness histogram (how many
tones the picture uses) plus its sharpness (mean gradient between
neighbouring pixels, which blur and flat colour lack). The best frame is cut
to a 16:9 backdrop and a 2:3 poster from its centre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from reelstack.media.extras.stills import even
from reelstack.media.ffmpeg.binaries import Binaries
from reelstack.media.ffmpeg.options import SafeInput
from reelstack.media.ffmpeg.runner import Limits, run
from reelstack.media.ffmpeg.stills import frame_sample_argv, picture_argv

SAMPLE_W, SAMPLE_H = 64, 36
# Mean brightness (0-255) outside which a frame is a fade, not a picture.
DARKEST, BRIGHTEST = 24.0, 235.0
SHARPNESS_WEIGHT = 0.1
POSTER_HEIGHT = 720
BACKDROP_WIDTH = 1280


@dataclass(frozen=True, slots=True)
class FrameScore:
    """How much one sampled frame shows."""

    at_s: float
    mean: float
    entropy: float
    sharpness: float

    @property
    def usable(self) -> bool:
        """Not a black or white fade."""
        return DARKEST <= self.mean <= BRIGHTEST

    @property
    def score(self) -> float:
        """Higher is a better picture: tones (bits) plus weighted sharpness."""
        return self.entropy + SHARPNESS_WEIGHT * self.sharpness


@dataclass(frozen=True, slots=True)
class Artwork:
    """The two pictures and the moment they were taken from."""

    poster: Path
    backdrop: Path
    at_s: float


def candidate_times(duration_s: float, count: int) -> list[float]:
    """``count`` moments spread evenly over 5%-90% of the title."""
    if count <= 1:
        return [duration_s * 0.3]
    first, last = 0.05 * duration_s, 0.9 * duration_s
    step = (last - first) / (count - 1)
    return [round(first + i * step, 3) for i in range(count)]


def score_frame(pixels: bytes, width: int, height: int, at_s: float) -> FrameScore:
    """Score a grey frame (one byte per pixel, rows top to bottom)."""
    if len(pixels) < width * height or width < 2 or height < 2:
        return FrameScore(at_s, 0.0, 0.0, 0.0)
    histogram = [0] * 256
    for value in pixels[: width * height]:
        histogram[value] += 1
    total = width * height
    mean = sum(value * n for value, n in enumerate(histogram)) / total
    entropy = -sum((n / total) * math.log2(n / total) for n in histogram if n)
    gradient = 0
    for y in range(height - 1):
        row = y * width
        for x in range(width - 1):
            here = pixels[row + x]
            gradient += abs(here - pixels[row + x + 1]) + abs(here - pixels[row + width + x])
    sharpness = gradient / ((width - 1) * (height - 1) * 2)
    return FrameScore(at_s, mean, entropy, sharpness)


def choose(scores: list[FrameScore]) -> FrameScore:
    """The best usable frame; the brightest if every one is a fade."""
    if not scores:
        raise ValueError("no frame to choose from")
    usable = [s for s in scores if s.usable]
    if usable:
        return max(usable, key=lambda s: (s.score, -s.at_s))
    return max(scores, key=lambda s: s.mean)


def crop_sizes(display: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Crop sizes (on the displayed picture) of the 2:3 poster and the 16:9 backdrop."""
    w, h = display
    poster = (even(min(w, h * 2 / 3)), even(min(h, w * 3 / 2)))
    backdrop = (even(min(w, h * 16 / 9)), even(min(h, w * 9 / 16)))
    return poster, backdrop


def make_artwork(
    binaries: Binaries,
    src: SafeInput,
    *,
    display: tuple[int, int],
    duration_s: float,
    out_dir: Path,
    candidates: int,
    limits: Limits,
) -> Artwork:
    """Choose a frame and write ``poster.jpg`` and ``backdrop.jpg`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    scores = []
    for index, at_s in enumerate(candidate_times(duration_s, candidates)):
        raw = out_dir / f"sample-{index}.gray"
        argv = frame_sample_argv(
            binaries.ffmpeg, src, at_s=at_s, width=SAMPLE_W, height=SAMPLE_H, out=raw
        )
        run(argv, cwd=out_dir.parent, limits=limits)
        if raw.exists():
            scores.append(score_frame(raw.read_bytes(), SAMPLE_W, SAMPLE_H, at_s))
            raw.unlink()
    best = choose(scores) if scores else FrameScore(0.0, 0.0, 0.0, 0.0)
    poster_crop, backdrop_crop = crop_sizes(display)
    poster_h = min(POSTER_HEIGHT, poster_crop[1])
    poster_size = (even(poster_h * 2 / 3), even(poster_h))
    backdrop_w = min(BACKDROP_WIDTH, backdrop_crop[0])
    backdrop_size = (even(backdrop_w), even(backdrop_w * 9 / 16))
    poster, backdrop = out_dir / "poster.jpg", out_dir / "backdrop.jpg"
    for crop, size, out in (
        (poster_crop, poster_size, poster),
        (backdrop_crop, backdrop_size, backdrop),
    ):
        argv = picture_argv(
            binaries.ffmpeg, src, at_s=best.at_s, display=display, crop=crop, size=size, out=out
        )
        run(argv, cwd=out_dir.parent, limits=limits)
        if not out.exists():
            raise ValueError(f"ffmpeg wrote no {out.name}")
    return Artwork(poster, backdrop, best.at_s)
