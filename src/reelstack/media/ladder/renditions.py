"""The renditions a ladder is encoded as: each rung in H.264, and in AV1 beside it if asked.

A rendition keeps its rung's size and rate control and names its VBV cap
(``maxrate`` and ``bufsize`` derived from the bitrate), so a rung's peak
stays within what a player at that bandwidth can fetch; the pipeline encodes
it (:mod:`reelstack.media.packaging.encode`) and savings are measured with
the same rate control (:mod:`.savings`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from reelstack.media.ladder.plan import LadderPlan

Codec = Literal["h264", "av1"]
CODECS: tuple[Codec, ...] = ("h264", "av1")
"""HEVC is never produced: the browsers the platform targets do not play it."""

# VBV: the peak rate a rung may reach and the buffer it is measured over, as
# multiples of its average bitrate (a 2 s buffer at 1.5x: common for VOD ABR).
MAXRATE_RATIO = 1.5
BUFSIZE_RATIO = 2.0


@dataclass(frozen=True, slots=True)
class Rendition:
    """One video rendition of the ladder: codec, size and bitrates."""

    name: str
    """File-safe id, e.g. ``v0`` (H.264) or ``av1-0`` (AV1); its folder in the output."""
    codec: Codec
    width: int
    height: int
    bitrate_kbps: int
    crf: float | None = None
    """Capped CRF under the VBV cap instead of the average bitrate (H.264 only)."""

    def __post_init__(self) -> None:
        if self.crf is not None and self.codec != "h264":
            raise ValueError("only H.264 renditions encode at a CRF")

    @property
    def maxrate_kbps(self) -> int:
        """VBV peak rate."""
        return math.ceil(self.bitrate_kbps * MAXRATE_RATIO)

    @property
    def bufsize_kbps(self) -> int:
        """VBV buffer size."""
        return math.ceil(self.bitrate_kbps * BUFSIZE_RATIO)

    def to_json(self) -> dict[str, object]:
        """JSON-ready form, kept in the job's plan."""
        return {
            "name": self.name,
            "codec": self.codec,
            "width": self.width,
            "height": self.height,
            "bitrate_kbps": self.bitrate_kbps,
            "crf": self.crf,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Rendition:
        """Rebuild from :meth:`to_json`."""
        codec = str(data["codec"])
        if codec not in CODECS:
            raise ValueError(f"unknown codec {codec!r}")
        return cls(
            name=str(data["name"]),
            codec="h264" if codec == "h264" else "av1",
            width=int(str(data["width"])),
            height=int(str(data["height"])),
            bitrate_kbps=int(str(data["bitrate_kbps"])),
            crf=None if data.get("crf") is None else float(str(data["crf"])),
        )


def renditions_for(plan: LadderPlan, *, av1_ratio: float | None = None) -> tuple[Rendition, ...]:
    """Renditions of a ladder plan: H.264 for every rung, and AV1 beside each if asked.

    With ``av1_ratio`` every rung also gets an AV1 rendition at that share of
    its bitrate. A rung that carries the CRF its trials chose (a per-title
    plan) encodes at that CRF under its bitrate's VBV cap.
    """
    out = [
        Rendition(f"v{i}", "h264", r.width, r.height, r.bitrate_kbps, crf=r.crf)
        for i, r in enumerate(plan.rungs)
    ]
    if av1_ratio is not None:
        out += [
            Rendition(
                f"av1-{i}", "av1", r.width, r.height, max(1, round(r.bitrate_kbps * av1_ratio))
            )
            for i, r in enumerate(plan.rungs)
        ]
    return tuple(out)
