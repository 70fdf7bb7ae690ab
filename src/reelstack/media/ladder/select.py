"""Choose a per-title ladder from trial points (pure functions, no I/O).

A per-title ladder follows Netflix's 2015 method: encode a title at several
sizes and qualities, measure each encode's VMAF, keep the points on the upper
convex hull of bitrate against VMAF (at a given bitrate, the size that looks
best; a lower size wins at low bitrates, where a larger picture would be
starved of bits), then pick rungs along that hull: the top rung where VMAF
reaches the target, each rung below at least a bitrate step and a VMAF step
under the one above it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from reelstack.media.ladder.plan import LadderPlan, Rung, TrialPoint


def _short_side(width: int, height: int) -> int:
    return min(width, height)


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
    """The rules a per-title ladder is chosen by.

    Built from the ``media.*`` settings (``LADDER_BOUNDS`` in
    :mod:`reelstack.media.pipeline.settings`, the one place their defaults live).
    """

    vmaf_target: float
    min_step_ratio: float
    min_vmaf_step: float
    max_rungs: int
    min_bitrate_kbps: int
    vmaf_floor: float
    top_max_height: int
    max_bitrate_kbps: int


def _between(low: TrialPoint, high: TrialPoint, rate: float) -> TrialPoint:
    """The point at ``rate`` between two trials of one size.

    VMAF and CRF are both close to linear in log bitrate between neighbouring trials.
    """
    share = math.log(rate / low.bitrate_kbps) / math.log(high.bitrate_kbps / low.bitrate_kbps)
    crf = None if low.crf is None or high.crf is None else low.crf + share * (high.crf - low.crf)
    return TrialPoint(low.width, low.height, rate, low.vmaf + share * (high.vmaf - low.vmaf), crf)


def _size_curves(points: Iterable[TrialPoint]) -> dict[tuple[int, int], list[TrialPoint]]:
    """Each size's trials by bitrate, keeping those that raise VMAF over all cheaper ones."""
    curves: dict[tuple[int, int], list[TrialPoint]] = {}
    for point in sorted(points, key=lambda p: (p.bitrate_kbps, -p.vmaf)):
        curve = curves.setdefault((point.width, point.height), [])
        if point.bitrate_kbps > 0 and (not curve or point.vmaf > curve[-1].vmaf):
            if curve and curve[-1].bitrate_kbps == point.bitrate_kbps:
                curve.pop()
            curve.append(point)
    return curves


def _on_curve(curve: Sequence[TrialPoint], rate: float) -> TrialPoint | None:
    """The point at ``rate`` on one size's curve; None outside the trials' range."""
    for low, high in itertools.pairwise(curve):
        if low.bitrate_kbps <= rate <= high.bitrate_kbps:
            return _between(low, high, rate)
    return curve[0] if len(curve) == 1 and curve[0].bitrate_kbps == rate else None


def _within_cap(points: Sequence[TrialPoint], cap: float) -> list[TrialPoint]:
    """Points at most ``cap`` kb/s; where a size's curve crosses the cap, its point at the cap.

    Grainy or noisy titles can need tens of Mb/s at small CRFs; the ladder
    tops out at the cap instead, at the VMAF that size reaches there.
    """
    kept = [p for p in points if p.bitrate_kbps <= cap]
    for curve in _size_curves(points).values():
        at_cap = _on_curve(curve, cap)
        if at_cap is not None and at_cap not in kept:
            kept.append(at_cap)
    return kept


def _to_target(top: TrialPoint, points: Sequence[TrialPoint], target: float) -> TrialPoint:
    """Slide the top rung down its own size's curve to where VMAF meets the target."""
    curve = _size_curves(points).get((top.width, top.height), [])
    for low, high in itertools.pairwise(curve):
        if low.vmaf < target <= high.vmaf and high.bitrate_kbps <= top.bitrate_kbps:
            share = (target - low.vmaf) / (high.vmaf - low.vmaf)
            rate = low.bitrate_kbps * (high.bitrate_kbps / low.bitrate_kbps) ** share
            return replace(_between(low, high, rate), vmaf=target)
    return top


def _raised(top: TrialPoint, points: Sequence[TrialPoint], rate: float) -> TrialPoint:
    """The top rung moved up to ``rate``: a still or flat title needs only a few kb/s.

    The rung's VBV buffer is sized from its bitrate, so a rung of a few kb/s
    cannot hold even one keyframe and the encoder starves every picture (a
    colour-bars title planned at 8 kb/s scored VMAF 37 when encoded). Where
    the size's curve reaches ``rate`` the rung takes its VMAF and CRF there;
    past the curve it keeps the target's, a lower bound on what it gets.
    """
    curve = _size_curves(points).get((top.width, top.height), [])
    on = _on_curve(curve, rate)
    return on if on is not None else replace(top, bitrate_kbps=rate)


def _best_size_at(
    curves: dict[tuple[int, int], list[TrialPoint]],
    rate: float,
    low: TrialPoint,
    high: TrialPoint,
) -> TrialPoint | None:
    """The size whose own trial curve scores best at ``rate``, between two rungs' sizes."""
    best: TrialPoint | None = None
    for (width, height), curve in curves.items():
        if not (low.width <= width <= high.width and low.height <= height <= high.height):
            continue
        point = _on_curve(curve, rate)
        if point is not None and (best is None or point.vmaf > best.vmaf):
            best = point
    return best


def _fill_gaps(
    ladder: list[TrialPoint], points: Sequence[TrialPoint], bounds: LadderBounds
) -> list[TrialPoint]:
    """Add rungs where two neighbours are more than two steps apart.

    Trials are a coarse grid, so the hull can leave a 3-4x bitrate gap. The
    rung added sits at the gap's geometric middle, at the size whose own trial
    curve scores best there (interpolated, not extrapolated), widest gap first.
    """
    curves = _size_curves(points)
    out = list(ladder)
    hopeless: set[tuple[float, float]] = set()
    while len(out) < bounds.max_rungs:
        gaps = [
            i
            for i in range(len(out) - 1)
            if out[i + 1].bitrate_kbps >= out[i].bitrate_kbps * bounds.min_step_ratio**2
            and (out[i].bitrate_kbps, out[i + 1].bitrate_kbps) not in hopeless
        ]
        if not gaps:
            break
        i = max(gaps, key=lambda j: out[j + 1].bitrate_kbps / out[j].bitrate_kbps)
        low, high = out[i], out[i + 1]
        mid = _best_size_at(curves, math.sqrt(low.bitrate_kbps * high.bitrate_kbps), low, high)
        if (
            mid is not None
            and mid.vmaf - low.vmaf >= bounds.min_vmaf_step
            and high.vmaf - mid.vmaf >= bounds.min_vmaf_step
        ):
            out.insert(i + 1, mid)
        else:
            hopeless.add((low.bitrate_kbps, high.bitrate_kbps))
    return out


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
    or at the hull's best point when nothing reaches it, and never under
    ``min_bitrate_kbps`` (:func:`_raised`); each rung below is
    the next hull point at least ``min_step_ratio`` cheaper and
    ``min_vmaf_step`` worse, no larger in size, above the VMAF floor and the
    least bitrate, until ``max_rungs``; gaps of more than two steps left
    between rungs are then filled from the trial curves (:func:`_fill_gaps`).
    """
    sized = [p for p in points if _short_side(p.width, p.height) <= bounds.top_max_height]
    if not sized:
        raise ValueError("no trial point to plan a ladder from")
    eligible = _within_cap(sized, bounds.max_bitrate_kbps)
    if not eligible:
        # Even the cheapest trial is over the cap: one rung there beats no ladder.
        cheapest = min(sized, key=lambda p: p.bitrate_kbps)
        rung = Rung(
            cheapest.width,
            cheapest.height,
            round(cheapest.bitrate_kbps),
            cheapest.vmaf,
            cheapest.crf,
        )
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
    if top.bitrate_kbps < bounds.min_bitrate_kbps:
        top = _raised(top, eligible, bounds.min_bitrate_kbps)
        note += f"; raised to the least bitrate, {bounds.min_bitrate_kbps} kb/s"
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
    ladder = _fill_gaps(chosen[::-1], eligible, bounds)
    if len(ladder) > len(chosen):
        note += f"; {len(ladder) - len(chosen)} rung(s) read off the trial curves between others"
    rungs = tuple(
        Rung(
            p.width,
            p.height,
            max(1, round(p.bitrate_kbps)),
            round(p.vmaf, 2),
            None if p.crf is None else round(p.crf, 1),
        )
        for p in ladder
    )
    return LadderPlan(
        "pertitle", rungs, source_width, source_height, note=note, trials=tuple(points)
    )
