"""What trickplay, artwork and intro detection share: ffmpeg runs on a validated source.

Every run opens the source through :func:`reelstack.media.ffmpeg.commands.input_args`
(file protocol only, forced demuxer, decoder allow-list) and writes only to
absolute paths inside its private job folder.
"""

from __future__ import annotations

from pathlib import Path

from reelstack.media.ffmpeg.binaries import Binaries

GLOBAL_ARGS = ("-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y")


def output(path: Path) -> str:
    """An output file as ffmpeg takes it: ``file:`` and absolute, never a URL."""
    if not path.is_absolute():
        raise ValueError(f"output path must be absolute, got {path}")
    return f"file:{path}"


def ffmpeg(binaries: Binaries, *args: str) -> list[str]:
    """An ffmpeg argv with the global options every run has."""
    return [str(binaries.ffmpeg), *GLOBAL_ARGS, *args]


def even(value: float) -> int:
    """The nearest even whole number of at least 2 (encoders want even sizes)."""
    return max(2, round(value / 2) * 2)
