"""Trickplay: seek-preview thumbnails as JPEG sprite sheets and a WebVTT track.

One ffmpeg run samples a frame every ``interval_s`` (the fps filter), scales
it to a thumbnail and tiles ``grid x grid`` thumbnails into each sheet. The
WebVTT track has one cue per thumbnail whose text is the sheet's name with a
``#xywh=x,y,w,h`` media fragment, which players (Video.js, Shaka, JW, Roku's
BIF converters) read as "show this rectangle while seeking here".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from reelstack.media.extras.stills import even
from reelstack.media.ffmpeg.binaries import Binaries
from reelstack.media.ffmpeg.options import SafeInput, SpriteSheets
from reelstack.media.ffmpeg.runner import Limits, run
from reelstack.media.ffmpeg.stills import sprite_sheets_argv

SPRITE_PATTERN = "sprite-%03d.jpg"
VTT_NAME = "thumbnails.vtt"
JPEG_QUALITY = 5


@dataclass(frozen=True, slots=True)
class TrickplayOptions:
    """How dense and how large the thumbnails are.

    Built from the ``media.trickplay_*`` settings (``TRICKPLAY`` in
    :mod:`reelstack.media.settings`).
    """

    interval_s: float
    width: int
    grid: int

    @property
    def jpeg_quality(self) -> int:
        """ffmpeg's -q:v for JPEG: 2 (best) to 31."""
        return JPEG_QUALITY


@dataclass(frozen=True, slots=True)
class Trickplay:
    """The files one trickplay run made, in its output folder."""

    vtt: Path
    sprites: tuple[Path, ...]
    thumbnails: int
    thumb_width: int
    thumb_height: int


def thumb_size(display: tuple[int, int], width: int) -> tuple[int, int]:
    """Thumbnail size for a picture shown at ``display``: ``width`` wide (at most the source's)."""
    src_w, src_h = display
    w = even(min(width, src_w))
    return w, even(w * src_h / src_w)


def thumbnail_count(duration_s: float, interval_s: float) -> int:
    """Thumbnails at 0, interval, 2*interval, ... before the end."""
    return max(1, math.ceil(duration_s / interval_s - 1e-6))


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def build_vtt(
    *,
    count: int,
    interval_s: float,
    duration_s: float,
    size: tuple[int, int],
    grid: int,
    sprite_pattern: str = SPRITE_PATTERN,
) -> str:
    """The WebVTT thumbnails track: one cue per thumbnail, pointing into its sheet."""
    w, h = size
    per_sheet = grid * grid
    lines = ["WEBVTT", ""]
    for index in range(count):
        start = index * interval_s
        end = min(duration_s, start + interval_s)
        if end <= start:
            break
        sheet, cell = divmod(index, per_sheet)
        row, column = divmod(cell, grid)
        name = sprite_pattern % (sheet + 1)
        lines += [
            f"{_timestamp(start)} --> {_timestamp(end)}",
            f"{name}#xywh={column * w},{row * h},{w},{h}",
            "",
        ]
    return "\n".join(lines)


def make_trickplay(
    binaries: Binaries,
    src: SafeInput,
    *,
    display: tuple[int, int],
    duration_s: float,
    out_dir: Path,
    options: TrickplayOptions,
    limits: Limits,
    threads: int = 2,
) -> Trickplay:
    """Write the sprite sheets and the WebVTT track into ``out_dir`` (inside the job folder)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    size = thumb_size(display, options.width)
    sheets = SpriteSheets(size[0], size[1], options.interval_s, options.grid, options.jpeg_quality)
    argv = sprite_sheets_argv(
        binaries.ffmpeg, src, sheets, out_pattern=out_dir / SPRITE_PATTERN, threads=threads
    )
    run(argv, cwd=out_dir.parent, limits=limits, threads=threads)
    sprites = tuple(sorted(out_dir.glob("sprite-*.jpg")))
    if not sprites:
        raise ValueError("ffmpeg wrote no trickplay sprite sheet")
    per_sheet = options.grid * options.grid
    # The fps filter may stop one frame short of the arithmetic at the very
    # end; never point a cue past the sheets that exist.
    count = min(thumbnail_count(duration_s, options.interval_s), len(sprites) * per_sheet)
    vtt = out_dir / VTT_NAME
    vtt.write_text(
        build_vtt(
            count=count,
            interval_s=options.interval_s,
            duration_s=duration_s,
            size=size,
            grid=options.grid,
        )
    )
    return Trickplay(vtt, sprites, count, size[0], size[1])
