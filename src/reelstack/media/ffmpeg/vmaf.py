"""Read the JSON log the libvmaf filter writes."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelstack.media.ffmpeg.errors import FfmpegError


@dataclass(frozen=True, slots=True)
class VmafScore:
    """VMAF over a clip: pooled figures and the frame count they cover."""

    mean: float
    harmonic_mean: float
    minimum: float
    p5: float
    """5th percentile of per-frame scores: how bad the worst stretches get."""
    frames: int


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def parse_vmaf_log(data: dict[str, Any]) -> VmafScore:
    """Turn libvmaf's JSON log into a VmafScore."""
    frames = [
        float(frame["metrics"]["vmaf"])
        for frame in data.get("frames") or []
        if isinstance(frame, dict) and "vmaf" in (frame.get("metrics") or {})
    ]
    if not frames:
        raise ValueError("the VMAF log has no per-frame scores")
    pooled = (data.get("pooled_metrics") or {}).get("vmaf") or {}
    mean = float(pooled.get("mean", sum(frames) / len(frames)))
    harmonic = pooled.get("harmonic_mean")
    if harmonic is None:
        harmonic = len(frames) / sum(1.0 / (v + 1.0) for v in frames) - 1.0
    return VmafScore(
        mean=mean,
        harmonic_mean=float(harmonic),
        minimum=float(pooled.get("min", min(frames))),
        p5=_percentile(frames, 0.05),
        frames=len(frames),
    )


def read_vmaf_log(path: Path) -> VmafScore:
    """Read and parse the log file libvmaf wrote; FfmpegError if it is missing or damaged."""
    try:
        data = json.loads(path.read_bytes())
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return parse_vmaf_log(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FfmpegError("ffmpeg", 0, "", f"no usable VMAF log at {path}: {exc}") from None
