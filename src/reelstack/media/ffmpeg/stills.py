"""Builders of pictures taken from a source: seek-preview sprite sheets, sampled frames, artwork.

Every run opens the source through :func:`.commands.input_args` and writes
only to absolute paths inside its private job folder. Filter arguments are
numbers this module formats, never text from an upload.
"""

from __future__ import annotations

from pathlib import Path

from reelstack.media.ffmpeg.commands import FFMPEG_GLOBAL, input_args, output_arg
from reelstack.media.ffmpeg.options import SafeInput, SpriteSheets


def sprite_sheets_argv(
    ffmpeg: Path, src: SafeInput, sheets: SpriteSheets, *, out_pattern: Path, threads: int
) -> list[str]:
    """Sample a frame every ``interval_s``, scale it and tile the thumbnails into JPEG sheets.

    ``out_pattern`` is an image2 pattern such as ``sprite-%03d.jpg``. JPEG wants
    full-range pixels; converting explicitly keeps ffmpeg from handing the
    encoder limited-range frames it refuses for some sources.
    """
    graph = (
        f"fps=1/{sheets.interval_s:g},scale={sheets.width}:{sheets.height}:flags=bicubic"
        f":out_range=full,setsar=1,format=yuvj420p,tile={sheets.grid}x{sheets.grid}"
    )
    return [
        str(ffmpeg),
        *FFMPEG_GLOBAL,
        "-threads",
        str(threads),
        *input_args(src),
        "-map",
        "0:V:0",
        "-vf",
        graph,
        "-q:v",
        str(sheets.jpeg_quality),
        "-f",
        "image2",
        output_arg(out_pattern),
    ]


def frame_sample_argv(
    ffmpeg: Path, src: SafeInput, *, at_s: float, width: int, height: int, out: Path
) -> list[str]:
    """Read one frame at ``at_s`` as a small grey raw image (one byte per pixel)."""
    return [
        str(ffmpeg),
        *FFMPEG_GLOBAL,
        "-threads",
        "1",
        *input_args(src, seek_s=at_s),
        "-map",
        "0:V:0",
        "-frames:v",
        "1",
        "-vf",
        f"scale={int(width)}:{int(height)}:flags=area,format=gray",
        "-f",
        "rawvideo",
        output_arg(out),
    ]


def picture_argv(
    ffmpeg: Path,
    src: SafeInput,
    *,
    at_s: float,
    display: tuple[int, int],
    crop: tuple[int, int],
    size: tuple[int, int],
    out: Path,
) -> list[str]:
    """Cut the frame at ``at_s`` (as displayed) to ``crop``, centred, and scale it to ``size``."""
    dw, dh = display
    cw, ch = crop
    graph = (
        f"scale={dw}:{dh}:flags=bicubic,setsar=1,crop={cw}:{ch},"
        f"scale={size[0]}:{size[1]}:flags=lanczos:out_range=full,format=yuvj420p"
    )
    return [
        str(ffmpeg),
        *FFMPEG_GLOBAL,
        "-threads",
        "2",
        *input_args(src, seek_s=at_s),
        "-map",
        "0:V:0",
        "-frames:v",
        "1",
        "-vf",
        graph,
        "-q:v",
        "3",
        "-f",
        "image2",
        "-update",
        "1",
        output_arg(out),
    ]
