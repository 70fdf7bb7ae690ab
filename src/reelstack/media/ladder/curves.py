"""Bitrate-against-VMAF curves: interpolation, and savings of one ladder over another.

Pure functions. Curves are (kb/s, VMAF) points; between points VMAF is taken
as linear in log bitrate, which is how rate-quality curves look over a
ladder's range. The savings of a per-title ladder over the fixed ladder are
measured at equal VMAF, per fixed rung and Bjontegaard-style over the VMAF
range both curves cover (Netflix reported about 20% for per-title encoding).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Curve = Sequence[tuple[float, float]]
"""(bitrate kb/s, VMAF) points."""


def monotone_curve(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points sorted by bitrate, keeping only those that raise VMAF over all before them."""
    out: list[tuple[float, float]] = []
    for rate, vmaf in sorted(points):
        if rate <= 0:
            continue
        if out and vmaf <= out[-1][1]:
            continue
        if out and rate == out[-1][0]:
            out[-1] = (rate, vmaf)
            continue
        out.append((rate, vmaf))
    return out


def vmaf_at_bitrate(curve: Curve, bitrate: float, *, reach: float = 1.0) -> float | None:
    """VMAF at ``bitrate`` on a monotone curve, linear in log bitrate; None outside it.

    ``reach`` > 1 extends the end segments that far beyond the curve (2.0: up
    to twice the highest bitrate, half the lowest), capped at VMAF 0 and 100.
    Quality curves flatten as bits grow, so extending a straight segment
    overstates VMAF: the estimate errs on the side of the extended curve.
    """
    if not curve:
        return None
    if len(curve) == 1:
        return curve[0][1] if curve[0][0] == bitrate else None
    for (r0, v0), (r1, v1) in itertools.pairwise(curve):
        if r0 <= bitrate <= r1:
            return v0 + math.log(bitrate / r0) / math.log(r1 / r0) * (v1 - v0)
    (r0, v0), (r1, v1) = curve[:2] if bitrate < curve[0][0] else curve[-2:]
    if not curve[0][0] / reach <= bitrate <= curve[-1][0] * reach:
        return None
    slope = (v1 - v0) / math.log(r1 / r0)
    return min(100.0, max(0.0, v0 + slope * math.log(bitrate / r0)))


def bitrate_at_vmaf(curve: Curve, vmaf: float) -> float | None:
    """Bitrate that reaches ``vmaf`` on a monotone curve, linear in log bitrate; None outside."""
    for (r0, v0), (r1, v1) in itertools.pairwise(curve):
        if v0 <= vmaf <= v1:
            share = (vmaf - v0) / (v1 - v0)
            return math.exp(math.log(r0) + share * math.log(r1 / r0))
    if len(curve) == 1 and curve[0][1] == vmaf:
        return curve[0][0]
    return None


@dataclass(frozen=True, slots=True)
class RungSaving:
    """One fixed rung and the bitrate the per-title curve needs for the same VMAF."""

    fixed_kbps: float
    vmaf: float
    pertitle_kbps: float

    @property
    def saving(self) -> float:
        """Share of the fixed rung's bitrate saved (0.25: a quarter fewer bits)."""
        return 1.0 - self.pertitle_kbps / self.fixed_kbps


@dataclass(frozen=True, slots=True)
class Savings:
    """Per-title against fixed, compared at equal VMAF where both curves reach."""

    rungs: tuple[RungSaving, ...]
    skipped: int
    """Fixed rungs whose VMAF the per-title curve does not span (not compared)."""
    bd_saving: float | None
    """Bjontegaard-style: mean bitrate saving over the VMAF range both curves cover."""

    @property
    def mean_saving(self) -> float | None:
        """Average saving over the compared fixed rungs, or None when none compares."""
        if not self.rungs:
            return None
        return sum(r.saving for r in self.rungs) / len(self.rungs)


def bd_saving(fixed: Curve, pertitle: Curve, steps: int = 200) -> float | None:
    """Mean bitrate saving of ``pertitle`` over ``fixed`` across their common VMAF range.

    Both curves are piecewise linear in log bitrate; the log-bitrate gap is
    averaged over the overlap (as the Bjontegaard delta rate does, without its
    cubic fit) and turned into a share: 0.2 means a fifth fewer bits.
    """
    a, b = monotone_curve(fixed), monotone_curve(pertitle)
    if len(a) < 2 or len(b) < 2:
        return None
    low, high = max(a[0][1], b[0][1]), min(a[-1][1], b[-1][1])
    if high <= low:
        return None
    total = 0.0
    for i in range(steps + 1):
        vmaf = min(high, low + (high - low) * i / steps)  # no rounding past the overlap
        rate_a, rate_b = bitrate_at_vmaf(a, vmaf), bitrate_at_vmaf(b, vmaf)
        assert rate_a is not None and rate_b is not None  # inside both ranges
        total += math.log(rate_b / rate_a)
    return 1.0 - math.exp(total / (steps + 1))


def savings_at_equal_vmaf(fixed: Curve, pertitle: Curve) -> Savings:
    """Compare each fixed rung (bitrate, VMAF) with the per-title curve at the same VMAF."""
    curve = monotone_curve(pertitle)
    compared: list[RungSaving] = []
    skipped = 0
    for rate, vmaf in sorted(fixed):
        needed = bitrate_at_vmaf(curve, vmaf)
        if needed is None:
            skipped += 1
            continue
        compared.append(RungSaving(rate, vmaf, needed))
    return Savings(tuple(compared), skipped, bd_saving(fixed, pertitle))
