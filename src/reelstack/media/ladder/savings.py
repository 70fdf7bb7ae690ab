"""Per-title against the fixed ladder at equal VMAF: estimated from trials, or measured.

:func:`estimate_savings` reads both ladders off a title's trial encodes (no
extra encoding); :func:`measure_savings` encodes every rung of both ladders
the same way and scores it, the figure to report (``bench/bench_pertitle.py``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from reelstack.media.ffmpeg.binaries import Binaries
from reelstack.media.ffmpeg.options import VideoEncode
from reelstack.media.ffmpeg.runner import Limits
from reelstack.media.ladder.curves import (
    Savings,
    monotone_curve,
    savings_at_equal_vmaf,
    vmaf_at_bitrate,
)
from reelstack.media.ladder.plan import LadderPlan, Rung
from reelstack.media.ladder.renditions import Rendition
from reelstack.media.ladder.select import upper_hull
from reelstack.media.ladder.trials import TrialBench, TrialConfig
from reelstack.media.source.validate import ValidatedMedia

# How far past its measured bitrates a trial curve is read for a fixed rung.
_ESTIMATE_REACH = 2.0


def estimate_savings(plan: LadderPlan, fixed: LadderPlan) -> Savings:
    """Savings of a per-title plan over the fixed ladder, estimated from its trial points.

    Each fixed rung's VMAF is read off the trial curve of its own size (so only
    sizes that were trialled count), extended up to twice past its measured
    bitrates (which overstates the fixed rung's VMAF, so understates savings);
    the per-title side is the upper hull of all trials. Trials are CRF encodes,
    more efficient than the bitrate-targeted encodes the fixed ladder implies:
    :func:`measure_savings` encodes both ladders the same way and is the
    figure to report.
    """
    by_size: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for point in plan.trials:
        by_size.setdefault((point.width, point.height), []).append((point.bitrate_kbps, point.vmaf))
    fixed_points: list[tuple[float, float]] = []
    unknown = 0
    for rung in fixed.rungs:
        curve = monotone_curve(by_size.get((rung.width, rung.height), []))
        vmaf = vmaf_at_bitrate(curve, rung.bitrate_kbps, reach=_ESTIMATE_REACH)
        if vmaf is None:
            unknown += 1
        else:
            fixed_points.append((rung.bitrate_kbps, vmaf))
    hull = [(p.bitrate_kbps, p.vmaf) for p in upper_hull(plan.trials)]
    result = savings_at_equal_vmaf(fixed_points, hull)
    return Savings(result.rungs, result.skipped + unknown, result.bd_saving)


def measure_savings(
    media: ValidatedMedia,
    plan: LadderPlan,
    fixed: LadderPlan,
    *,
    job_dir: Path,
    binaries: Binaries,
    config: TrialConfig,
    limits: Limits,
    capped_crf: bool = False,
) -> tuple[Savings, LadderPlan, LadderPlan]:
    """Encode both ladders' rungs on the sampled scenes and compare them at equal VMAF.

    Every rung is an x264 encode with the trial preset and the VBV cap the
    pipeline gives its rendition (:class:`~reelstack.media.ladder.renditions.Rendition`);
    fixed rungs target their bitrate (single pass). Per-title rungs do too,
    unless ``capped_crf`` is set and the rung has a CRF: then they encode at
    that CRF under the same cap.
    Returns the savings and both plans with each rung's measured bitrate and
    VMAF.

    One-pass rate control starts under its target and scores lower for a
    second or two while it settles, which weighs heavily on the few seconds
    of sampled scenes and most on the leanest rungs: per-title ladders look
    worse than they are. Where titles are short, measure them whole (a
    ``config`` with one sample as long as the title).
    """
    bench = TrialBench(media, job_dir=job_dir, binaries=binaries, config=config, limits=limits)
    measured: list[LadderPlan] = []
    try:
        bench.cut_reference(None)
        for ladder in (fixed, plan):
            rungs = []
            for i, rung in enumerate(ladder.rungs):
                use_crf = capped_crf and ladder is plan
                # The rendition the pipeline would ship for this rung: its rate
                # control and VBV cap, with the trials' preset and threads.
                shipped = Rendition(
                    f"{ladder.mode}-{i}",
                    "h264",
                    rung.width,
                    rung.height,
                    rung.bitrate_kbps,
                    crf=rung.crf if use_crf else None,
                )
                enc = VideoEncode(
                    width=shipped.width,
                    height=shipped.height,
                    bitrate_kbps=None if shipped.crf is not None else shipped.bitrate_kbps,
                    crf=shipped.crf,
                    maxrate_kbps=shipped.maxrate_kbps,
                    bufsize_kbps=shipped.bufsize_kbps,
                    preset=config.preset,
                    threads=config.threads,
                )
                kbps, vmaf, _ = bench.measure(enc, f"{ladder.mode}-{i}")
                rungs.append(Rung(rung.width, rung.height, round(kbps), round(vmaf, 2), rung.crf))
            measured.append(replace(ladder, rungs=tuple(rungs)))
    finally:
        bench.close()
    fixed_m, plan_m = measured
    savings = savings_at_equal_vmaf(
        [(r.bitrate_kbps, r.vmaf or 0.0) for r in fixed_m.rungs],
        [(r.bitrate_kbps, r.vmaf or 0.0) for r in plan_m.rungs],
    )
    return savings, plan_m, fixed_m
