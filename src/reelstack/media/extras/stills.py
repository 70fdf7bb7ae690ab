"""What trickplay and artwork share: picture sizes an encoder accepts.

Their ffmpeg runs are built in :mod:`reelstack.media.ffmpeg.stills`.
"""

from __future__ import annotations


def even(value: float) -> int:
    """The nearest even whole number of at least 2 (encoders want even sizes)."""
    return max(2, round(value / 2) * 2)
