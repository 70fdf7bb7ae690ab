"""Plan the encoding ladder: Netflix's fixed ladder, or a per-title one from trial points.

Pure functions, no I/O. A per-title ladder follows Netflix's 2015 method:
encode a title at several sizes and qualities, measure each encode's VMAF,
keep the points on the upper convex hull of bitrate against VMAF (at a given
bitrate, the size that looks best; a lower size wins at low bitrates, where a
larger picture would be starved of bits), then pick rungs along that hull:
the top rung where VMAF reaches the target, each rung below at least a
bitrate step and a VMAF step under the one above it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from reelstack import settings as S
from reelstack.config import Config


@dataclass(frozen=True, slots=True)
class Rung:
    """One rung of a ladder: picture size, average video bitrate, and its VMAF if known."""

    width: int
    height: int
    bitrate_kbps: int
    vmaf: float | None = None


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
    long_box = max(round(box_height * 16 / 9), round(box_height * 4 / 3))
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


def _short_side(width: int, height: int) -> int:
    return min(width, height)


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


def upper_hull(points: Iterable[TrialPoint]) -> list[TrialPoint]:
    """Points on the upper convex hull of bitrate (x) against VMAF (y), lowest bitrate first.

    Only the rising part is kept: past the best VMAF, more bits buy nothing.
    """
    by_rate: dict[float, TrialPoint] = {}
    for point in points:
        if point.bitrate_kbps <= 0:
            continue
        best = by_rate.get(point.bitrate_kbps)
        if best is None or point.vmaf > best.vmaf:
            by_rate[point.bitrate_kbps] = point
    hull: list[TrialPoint] = []
    for point in sorted(by_rate.values(), key=lambda p: p.bitrate_kbps):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            cross = (b.bitrate_kbps - a.bitrate_kbps) * (point.vmaf - a.vmaf) - (
                b.vmaf - a.vmaf
            ) * (point.bitrate_kbps - a.bitrate_kbps)
            if cross < 0:  # a right turn keeps the hull concave
                break
            hull.pop()
        hull.append(point)
    if not hull:
        return hull
    top = max(range(len(hull)), key=lambda i: (hull[i].vmaf, -i))
    return hull[: top + 1]


@dataclass(frozen=True, slots=True)
class LadderBounds:
    """The rules a per-title ladder is chosen by (the ``media.*`` settings)."""

    vmaf_target: float = 95.0
    min_step_ratio: float = 1.5
    min_vmaf_step: float = 2.0
    max_rungs: int = 8
    min_bitrate_kbps: int = 150
    vmaf_floor: float = 30.0
    top_max_height: int = 1080
    max_bitrate_kbps: int = 8000

    @classmethod
    def from_config(cls, config: Config) -> LadderBounds:
        """Read the bounds from settings."""
        return cls(
            vmaf_target=config.get(S.MEDIA_VMAF_TARGET),
            min_step_ratio=config.get(S.MEDIA_MIN_RUNG_STEP),
            min_vmaf_step=config.get(S.MEDIA_MIN_VMAF_STEP),
            max_rungs=config.get(S.MEDIA_MAX_RUNGS),
            min_bitrate_kbps=config.get(S.MEDIA_MIN_BITRATE_KBPS),
            vmaf_floor=config.get(S.MEDIA_VMAF_FLOOR),
            top_max_height=config.get(S.MEDIA_TOP_MAX_HEIGHT),
            max_bitrate_kbps=config.get(S.MEDIA_MAX_BITRATE_KBPS),
        )


def _within_cap(points: Sequence[TrialPoint], cap: float) -> list[TrialPoint]:
    """Points at most ``cap`` kb/s; where a size's curve crosses the cap, its point at the cap.

    Grainy or noisy titles can need tens of Mb/s at small CRFs; the ladder
    tops out at the cap instead, at the VMAF that size reaches there.
    """
    kept = [p for p in points if p.bitrate_kbps <= cap]
    sizes = {(p.width, p.height) for p in points}
    for size in sorted(sizes):
        curve = sorted((p for p in points if (p.width, p.height) == size), key=_rate)
        below = [p for p in curve if p.bitrate_kbps < cap]
        above = [p for p in curve if p.bitrate_kbps > cap]
        if below and above and above[0].vmaf > below[-1].vmaf:
            low, high = below[-1], above[0]
            share = math.log(cap / low.bitrate_kbps) / math.log(
                high.bitrate_kbps / low.bitrate_kbps
            )
            vmaf = low.vmaf + share * (high.vmaf - low.vmaf)
            kept.append(TrialPoint(size[0], size[1], float(cap), vmaf, None))
    return kept


def _rate(point: TrialPoint) -> float:
    return point.bitrate_kbps


def _to_target(top: TrialPoint, points: Sequence[TrialPoint], target: float) -> TrialPoint:
    """Slide the top rung down its own size's curve to where VMAF meets the target.

    Between two trials of the same size, VMAF is close to linear in log bitrate.
    """
    below = [
        p
        for p in points
        if (p.width, p.height) == (top.width, top.height)
        and p.bitrate_kbps < top.bitrate_kbps
        and p.vmaf < target
    ]
    if not below or top.vmaf <= target:
        return top
    low = max(below, key=lambda p: p.bitrate_kbps)
    share = (target - low.vmaf) / (top.vmaf - low.vmaf)
    log_rate = math.log(low.bitrate_kbps) + share * (
        math.log(top.bitrate_kbps) - math.log(low.bitrate_kbps)
    )
    return TrialPoint(top.width, top.height, math.exp(log_rate), target, None)


def select_rungs(
    points: Sequence[TrialPoint],
    bounds: LadderBounds,
    *,
    source_width: int,
    source_height: int,
) -> LadderPlan:
    """Choose a per-title ladder from measured trial points.

    Points taller than ``top_max_height`` are left out and bitrates are capped
    at ``max_bitrate_kbps``; the top rung sits where the hull first reaches
    the VMAF target (slid down its own size's curve to the target exactly),
    or at the hull's best point when nothing reaches it; each rung below is
    the next hull point at least ``min_step_ratio`` cheaper and
    ``min_vmaf_step`` worse, no larger in size, above the VMAF floor and the
    least bitrate, until ``max_rungs``.
    """
    sized = [p for p in points if _short_side(p.width, p.height) <= bounds.top_max_height]
    if not sized:
        raise ValueError("no trial point to plan a ladder from")
    eligible = _within_cap(sized, bounds.max_bitrate_kbps)
    if not eligible:
        # Even the cheapest trial is over the cap: one rung there beats no ladder.
        cheapest = min(sized, key=_rate)
        rung = Rung(cheapest.width, cheapest.height, round(cheapest.bitrate_kbps), cheapest.vmaf)
        note = f"every trial is over {bounds.max_bitrate_kbps} kb/s; one rung at the cheapest"
        return LadderPlan("pertitle", (rung,), source_width, source_height, note, tuple(points))
    hull = upper_hull(eligible)
    reaching = [p for p in hull if p.vmaf >= bounds.vmaf_target]
    if reaching:
        top = _to_target(reaching[0], eligible, bounds.vmaf_target)
        note = f"top rung at VMAF target {bounds.vmaf_target:g}"
    else:
        top = hull[-1]
        note = (
            f"no trial reached VMAF {bounds.vmaf_target:g} within "
            f"{bounds.max_bitrate_kbps} kb/s; top rung is the best there"
        )
    chosen = [top]
    for candidate in reversed(hull):
        if len(chosen) >= bounds.max_rungs:
            break
        prev = chosen[-1]
        if (
            candidate.bitrate_kbps * bounds.min_step_ratio <= prev.bitrate_kbps
            and candidate.vmaf <= prev.vmaf - bounds.min_vmaf_step
            and candidate.vmaf >= bounds.vmaf_floor
            and candidate.bitrate_kbps >= bounds.min_bitrate_kbps
            and candidate.height <= prev.height
            and candidate.width <= prev.width
        ):
            chosen.append(candidate)
    rungs = tuple(
        Rung(p.width, p.height, max(1, round(p.bitrate_kbps)), round(p.vmaf, 2))
        for p in reversed(chosen)
    )
    return LadderPlan(
        "pertitle", rungs, source_width, source_height, note=note, trials=tuple(points)
    )


# -- comparing ladders at equal VMAF -------------------------------------------------

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
        vmaf = low + (high - low) * i / steps
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
