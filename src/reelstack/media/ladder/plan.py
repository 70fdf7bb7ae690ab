"""A ladder: its rungs, how a plan is kept, and Netflix's fixed ladder (pure, no I/O).

:class:`Rung` is the one rung type of the media code: a size, an average
bitrate, and what planning learnt about it (VMAF, the CRF that reached it).
A :class:`LadderPlan` is what a title is encoded at; the fixed plan is
Netflix's pre-2015 ladder capped at the source, per-title plans are chosen
from measured trial points by :mod:`.select`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Rung:
    """One rung of a ladder: picture size, average video bitrate, and its VMAF if known."""

    width: int
    height: int
    bitrate_kbps: int
    vmaf: float | None = None
    crf: float | None = None
    """Per-title rungs: the x264 CRF (trial preset) that gave this bitrate and VMAF on the
    sampled scenes, read off the trial curve; an encoder may use it as capped CRF
    (``-crf`` with ``-maxrate``/``-bufsize`` from the bitrate) instead of plain ABR."""


@dataclass(frozen=True, slots=True)
class TrialPoint:
    """One measured trial encode of a title."""

    width: int
    height: int
    bitrate_kbps: float
    vmaf: float
    crf: float | None = None


# Netflix's fixed ladder before per-title encoding (2015): kb/s and size.
FIXED_LADDER: tuple[Rung, ...] = (
    Rung(320, 240, 235),
    Rung(384, 288, 375),
    Rung(512, 384, 560),
    Rung(512, 384, 750),
    Rung(640, 480, 1050),
    Rung(720, 480, 1750),
    Rung(1280, 720, 2350),
    Rung(1280, 720, 3000),
    Rung(1920, 1080, 4300),
    Rung(1920, 1080, 5800),
)
FIXED_HEIGHTS: tuple[int, ...] = tuple(sorted({r.height for r in FIXED_LADDER}))


@dataclass(frozen=True, slots=True)
class LadderPlan:
    """The rungs to encode a title at, lowest bitrate first, and how they were chosen."""

    mode: str
    """``fixed`` or ``pertitle``."""
    rungs: tuple[Rung, ...]
    source_width: int
    source_height: int
    note: str = ""
    trials: tuple[TrialPoint, ...] = field(default_factory=tuple)
    """The measured points a per-title plan was chosen from (empty for fixed)."""

    def to_metadata(self, *, with_trials: bool = False) -> dict[str, Any]:
        """The plan as JSON-ready data for the title's metadata."""
        data: dict[str, Any] = {
            "mode": self.mode,
            "source": {"width": self.source_width, "height": self.source_height},
            "rungs": [asdict(r) for r in self.rungs],
        }
        if self.note:
            data["note"] = self.note
        if with_trials:
            data["trials"] = [asdict(t) for t in self.trials]
        return data

    @classmethod
    def from_metadata(cls, data: dict[str, Any]) -> LadderPlan:
        """Rebuild a plan from :meth:`to_metadata` output."""
        return cls(
            mode=str(data["mode"]),
            rungs=tuple(Rung(**r) for r in data["rungs"]),
            source_width=int(data["source"]["width"]),
            source_height=int(data["source"]["height"]),
            note=str(data.get("note", "")),
            trials=tuple(TrialPoint(**t) for t in data.get("trials", [])),
        )


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def _box_scale(source_width: int, source_height: int, box_height: int) -> float:
    if source_width <= 0 or source_height <= 0:
        raise ValueError("source size must be positive")
    long_box = max(math.ceil(box_height * 16 / 9), math.ceil(box_height * 4 / 3))
    portrait = source_height > source_width
    box_w, box_h = (box_height, long_box) if portrait else (long_box, box_height)
    return min(box_w / source_width, box_h / source_height)


def fit_size(source_width: int, source_height: int, box_height: int) -> tuple[int, int]:
    """Size of the source scaled to fit a ``box_height`` box, never larger than the source.

    The box is 16:9 wide (or the nominal 4:3 width, whichever is wider) and
    turned for portrait sources, so a "720" rung of a phone video is 720 wide.
    Both sides are rounded to even numbers, as 4:2:0 video needs.
    """
    scale = min(_box_scale(source_width, source_height, box_height), 1.0)
    return _even(source_width * scale), _even(source_height * scale)


def fixed_plan(source_width: int, source_height: int, *, top_max_height: int = 1080) -> LadderPlan:
    """Netflix's fixed ladder for this source, never upscaling.

    Rungs whose size is larger than the source are left out, except the first
    of them, which is kept at the source's size when no rung has that size yet
    (a 360p source gets 235 and 375 kb/s at 240p and 288p, and 560 kb/s at 360p).
    """
    rungs: list[Rung] = []
    for fixed in FIXED_LADDER:
        if fixed.height > top_max_height:
            break
        width, height = fit_size(source_width, source_height, fixed.height)
        upscale = _box_scale(source_width, source_height, fixed.height) > 1.0
        if upscale and rungs and (rungs[-1].width, rungs[-1].height) == (width, height):
            break
        rungs.append(Rung(width, height, fixed.bitrate_kbps))
        if upscale:
            break
    return LadderPlan("fixed", tuple(rungs), source_width, source_height)
