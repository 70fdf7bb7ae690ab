"""Per-title ladders against the fixed ladder: bitrate saved at equal VMAF on the demo catalog.

Netflix reported that per-title encoding saved about 20 % of the bits of its
fixed ladder at the same quality. This measures the same thing here.

Sources: the demo catalog, rendered exactly as ``reelstack demo`` renders it
(:func:`reelstack.cli.demo_catalog.generate`): ``BENCH_PERTITLE_TITLES`` titles
(default ``media.demo_titles``, 12), each ``BENCH_PERTITLE_SECONDS`` long
(default ``media.demo_seconds``, 24; the series' episodes are at least 30) at
``BENCH_PERTITLE_SIZE`` (default ``media.demo_size``, 854x480). The three
episodes of the series look alike (one test pattern in three hues); each is
counted once, as the catalog has them. ``BENCH_PERTITLE_CACHE`` names a
folder to keep the rendered sources in between runs (default: a temporary one).

Each source is staged and validated as the pipeline does
(:func:`reelstack.media.source.validate.validate`), then gets two ladders planned
with the pipeline's own settings (``Pipeline.from_config``; ``REELSTACK_*``
variables apply as they would to a worker): the per-title one
(``plan_ladder(mode="pertitle")``: CRF trials on sampled scenes, VMAF, convex
hull) and the fixed one (``mode="fixed"``: Netflix's pre-2015 ladder fitted to
the source, never upscaled; at 854x480 that is 235 kb/s at 428x240, 375 at
512x288, 560 and 750 at 684x384, and 1050 and 1750 at 854x480).

Measurement (:func:`reelstack.media.ladder.savings.measure_savings`): every rung of
both ladders is encoded as the pipeline ships it (:mod:`reelstack.media.packaging.encode`),
x264 with the trial preset under a VBV cap of 1.5x/2x the rung's bitrate:
fixed rungs one pass at their bitrate, per-title rungs at the CRF their
trials chose (capped CRF), and scored with VMAF against a lossless
reference at the source's size (``estimate_savings``, which reads both
sides off the CRF trials, is not used). Bitrates are the encodes' own, not
the rungs' nominal ones.

The figure is measured over each whole title. One-pass rate control (the
fixed rungs') starts under its target and scores lower while it settles (on
a series episode's 240p rung: VMAF 65 in the first second, 75 in the second,
about 81 after); on the trials' sampled scenes (3 x 2 s) that is a large
share of what is scored, on a 24-30 s title a small one. The sampled-scene
figure, as ``measure_savings`` takes it by default, is printed too
(``BENCH_PERTITLE_SAMPLED=0`` skips it).

For each fixed rung, the per-title ladder's measured curve (linear in log
bitrate between its rungs) gives the bitrate that reaches the same VMAF; the
saving is 1 - that / the fixed rung's. A fixed rung whose VMAF the per-title
curve does not span is not compared (listed as skipped, with its VMAF): no
extrapolation, and a one-rung per-title ladder (a flat or pixel-art title)
compares with nothing. A title's saving is the mean over its compared rungs;
the BD-rate saving (log-bitrate gap averaged over the VMAF range both
measured curves cover, however narrow) is printed beside it.

Result lines, for whole titles and for the sampled scenes: the average
bitrate the per-title curves need at the compared fixed rungs' VMAF, against
those fixed rungs' average measured bitrate, over every compared rung of
every title; figure / anchor is the bitrate ratio (Netflix's 20 % is 0.80).
The name carries the mean of the titles' savings (each title weighs the
same) and their mean BD-rate saving. A ``#`` line adds, as a lower bound, the
fixed rungs a cheaper per-title rung beats on VMAF.

Top rungs: the top rung each ``media.ladder_mode`` ships (from the
whole-title encodes), its total bytes over the catalog and mean VMAF. The two
sit at different VMAF, so this is the cost of the rung most viewers get, not
a saving at equal quality; it has no target.

About 10 minutes on 2 cores for the whole catalog at 854x480 (5 at 640x360);
``BENCH_PERTITLE_TITLES=2 BENCH_PERTITLE_SECONDS=8`` is a quick run.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Run as `python bench/bench_pertitle.py`, the repository root is not on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Result, header, report
from reelstack import settings
from reelstack.cli import demo_catalog as demo
from reelstack.config import Config
from reelstack.media import settings as media_settings
from reelstack.media.ffmpeg import Binaries, find_binaries
from reelstack.media.ladder.curves import Savings, monotone_curve
from reelstack.media.ladder.plan import LadderPlan, Rung
from reelstack.media.ladder.planner import plan_ladder
from reelstack.media.ladder.savings import measure_savings
from reelstack.media.pipeline.staging import Pipeline
from reelstack.media.source.validate import ValidatedMedia, stage_upload, validate

CONFIG = Config.load(settings.registry(), environ=os.environ)
TITLES = int(
    os.environ.get("BENCH_PERTITLE_TITLES", str(CONFIG.get(media_settings.MEDIA_DEMO_TITLES)))
)
SECONDS = float(
    os.environ.get("BENCH_PERTITLE_SECONDS", str(CONFIG.get(media_settings.MEDIA_DEMO_SECONDS)))
)
SIZE = os.environ.get("BENCH_PERTITLE_SIZE", CONFIG.get(media_settings.MEDIA_DEMO_SIZE))
CACHE = os.environ.get("BENCH_PERTITLE_CACHE", "")
SAMPLED = os.environ.get("BENCH_PERTITLE_SAMPLED", "1") != "0"


@dataclass(frozen=True)
class Measured:
    """Both ladders encoded and scored one way, and the savings between them."""

    savings: Savings
    pertitle: LadderPlan
    fixed: LadderPlan


@dataclass(frozen=True)
class Outcome:
    """What one title measured."""

    slug: str
    duration_s: float
    planned: LadderPlan
    """The per-title plan: each rung's bitrate, VMAF and CRF as the trials put them."""
    whole: Measured
    sampled: Measured | None


def _rungs(rungs: tuple[Rung, ...], planned: tuple[Rung, ...] | None = None) -> str:
    parts = []
    for i, rung in enumerate(rungs):
        text = f"{rung.width}x{rung.height} {rung.bitrate_kbps} kb/s VMAF {rung.vmaf:.1f}"
        if planned is not None:
            plan = planned[i]
            text += f" (planned {plan.bitrate_kbps} kb/s VMAF {plan.vmaf:.1f} CRF {plan.crf:g})"
        parts.append(text)
    return "; ".join(parts)


def _outside(rungs: tuple[Rung, ...], other: tuple[Rung, ...]) -> list[str]:
    """Rungs whose VMAF the other ladder's measured curve does not span."""
    curve = monotone_curve((r.bitrate_kbps, r.vmaf or 0.0) for r in other)
    if len(curve) < 2:
        # One point spans only its own VMAF: nothing else compares with it.
        return [
            f"{r.bitrate_kbps} (VMAF {r.vmaf:.1f}, the other ladder has one rung)"
            for r in rungs
            if curve and r.vmaf != curve[0][1]
        ]
    low, high = curve[0][1], curve[-1][1]
    out = []
    for rung in rungs:
        vmaf = rung.vmaf or 0.0
        if vmaf > high:
            out.append(f"{rung.bitrate_kbps} (VMAF {vmaf:.1f} > {high:.1f})")
        elif vmaf < low:
            out.append(f"{rung.bitrate_kbps} (VMAF {vmaf:.1f} < {low:.1f})")
    return out


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _compared(m: Measured) -> str:
    s = m.savings
    rungs = ", ".join(
        f"{r.fixed_kbps:.0f}->{r.pertitle_kbps:.0f} at VMAF {r.vmaf:.1f} ({100 * r.saving:+.1f} %)"
        for r in s.rungs
    )
    skipped = ", ".join(_outside(m.fixed.rungs, m.pertitle.rungs)) or "none"
    return (
        f"equal VMAF (kb/s fixed->per-title): {rungs or 'none'}; mean {_pct(s.mean_saving)}, "
        f"BD-rate {_pct(s.bd_saving)}; fixed rungs skipped: {skipped}"
    )


def print_title(o: Outcome, elapsed: float) -> None:
    w = o.whole
    beyond = ", ".join(_outside(w.pertitle.rungs, w.fixed.rungs)) or "none"
    print(
        f"# {o.slug} ({o.duration_s:g} s, {elapsed:.0f} s to measure): "
        f"per-title [{_rungs(w.pertitle.rungs, o.planned.rungs)}] | "
        f"fixed [{_rungs(w.fixed.rungs)}] | {_compared(w)}; "
        f"per-title rungs outside the fixed range: {beyond}",
        flush=True,
    )
    if o.sampled is not None:
        print(f"#   same, on the sampled scenes: {_compared(o.sampled)}", flush=True)


def source_folder(root: Path, titles: tuple[demo.DemoTitle, ...]) -> Path:
    """Where the sources go: a folder named by the catalog's spec, as ``reelstack demo`` does."""
    base = Path(CACHE) if CACHE else root / "demo"
    return base / demo.spec_hash(titles, seconds=SECONDS, size=SIZE)


def measure(
    media: ValidatedMedia,
    plans: tuple[LadderPlan, LadderPlan],
    job_dir: Path,
    binaries: Binaries,
    pipeline: Pipeline,
    *,
    whole: bool,
) -> Measured:
    """Encode and score both ladders, on the whole title or on the trials' sampled scenes."""
    config = pipeline.trials
    if whole:
        # One span covering the title: sample_spans takes all of a title this short.
        config = dataclasses.replace(config, samples=1, sample_s=media.duration_s)
    savings, pertitle, fixed = measure_savings(
        media,
        *plans,
        job_dir=job_dir,
        binaries=binaries,
        config=config,
        limits=pipeline.limits.run,
        capped_crf=True,  # as encode.renditions_for ships per-title rungs
    )
    return Measured(savings, pertitle, fixed)


def measure_title(
    title: demo.DemoTitle, source: Path, folder: Path, binaries: Binaries, pipeline: Pipeline
) -> Outcome:
    job_dir = folder / title.slug
    job_dir.mkdir(mode=0o700)
    staged = stage_upload(source, job_dir)
    media = validate(staged, job_dir=job_dir, limits=pipeline.limits, binaries=binaries)
    pertitle, fixed = (
        plan_ladder(
            media,
            mode=mode,
            job_dir=job_dir,
            binaries=binaries,
            trial_config=pipeline.trials,
            bounds=pipeline.bounds,
            limits=pipeline.limits.run,
        )
        for mode in ("pertitle", "fixed")
    )
    plans = (pertitle, fixed)
    whole = measure(media, plans, job_dir, binaries, pipeline, whole=True)
    sampled = measure(media, plans, job_dir, binaries, pipeline, whole=False) if SAMPLED else None
    return Outcome(title.slug, media.duration_s, pertitle, whole, sampled)


def main() -> None:
    header()
    started = time.perf_counter()
    binaries = find_binaries(
        CONFIG.get(media_settings.MEDIA_FFMPEG), CONFIG.get(media_settings.MEDIA_FFPROBE)
    )
    binaries.require_vmaf()
    pipeline = Pipeline.from_config(CONFIG)
    trials, bounds = pipeline.trials, pipeline.bounds
    titles = demo.catalog(TITLES)
    print(
        f"# {len(titles)} demo titles, {SECONDS:g} s (episodes >= {demo.EPISODE_MIN_S:g} s), "
        f"{SIZE}; trials: heights {trials.heights}, CRFs {trials.crfs}, {trials.samples} x "
        f"{trials.sample_s:g} s scenes, x264 {trials.preset}, VMAF every "
        f"{trials.vmaf_subsample} frame(s); bounds: top VMAF {bounds.vmaf_target:g}, step "
        f"x{bounds.min_step_ratio:g} and {bounds.min_vmaf_step:g} VMAF, floor "
        f"{bounds.vmaf_floor:g}, {bounds.min_bitrate_kbps}-{bounds.max_bitrate_kbps} kb/s; "
        f"{len(os.sched_getaffinity(0))} CPUs, load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(
        prefix="bench-pertitle-", dir=os.environ.get("BENCH_DIR")
    ) as tmp:
        root = Path(tmp)
        sources = source_folder(root, titles)
        for title in titles:
            t0 = time.perf_counter()
            source = demo.generate(binaries, title, folder=sources, seconds=SECONDS, size=SIZE)
            outcome = measure_title(title, source, root, binaries, pipeline)
            print_title(outcome, time.perf_counter() - t0)
            outcomes.append(outcome)
    for o in outcomes:
        pt, fx = o.whole.pertitle.rungs[-1], o.whole.fixed.rungs[-1]
        print(
            f"# top rung, whole title, {o.slug}: per-title {pt.width}x{pt.height} "
            f"{pt.bitrate_kbps} kb/s VMAF {pt.vmaf:.1f}, fixed {fx.width}x{fx.height} "
            f"{fx.bitrate_kbps} kb/s VMAF {fx.vmaf:.1f}",
            flush=True,
        )
    if SAMPLED:
        summarise(outcomes, "sampled scenes", [o.sampled for o in outcomes if o.sampled])
    summarise(outcomes, "whole titles", [o.whole for o in outcomes])
    top_rungs(outcomes)
    print(f"# wall time {time.perf_counter() - started:.0f} s", flush=True)


def with_bounds(m: Measured) -> list[float]:
    """Each fixed rung's saving: at equal VMAF, else a lower bound where one exists.

    A fixed rung the per-title curve does not span gets a bound when a
    per-title rung at least as good costs fewer bits: per-title needs at most
    that rung's bitrate for the fixed rung's VMAF.
    """
    out = [r.saving for r in m.savings.rungs]
    compared = {(r.fixed_kbps, r.vmaf) for r in m.savings.rungs}
    for rung in m.fixed.rungs:
        vmaf = rung.vmaf or 0.0
        if (rung.bitrate_kbps, vmaf) in compared:
            continue
        better = [p.bitrate_kbps for p in m.pertitle.rungs if (p.vmaf or 0.0) >= vmaf]
        if better and min(better) < rung.bitrate_kbps:
            out.append(1 - min(better) / rung.bitrate_kbps)
    return out


def summarise(outcomes: list[Outcome], how: str, measured: list[Measured]) -> None:
    """The catalog's savings at equal VMAF, one way of measuring: # lines and a result."""
    rungs = [r for m in measured for r in m.savings.rungs]
    means = [m.savings.mean_saving for m in measured if m.savings.mean_saving is not None]
    bds = [m.savings.bd_saving for m in measured if m.savings.bd_saving is not None]
    left_out = [o.slug for o, m in zip(outcomes, measured, strict=True) if not m.savings.rungs]
    mean = statistics.fmean(means) if means else None
    bd = statistics.fmean(bds) if bds else None
    print(
        f"# {how}: {len(rungs)} fixed rungs compared at equal VMAF, "
        f"{sum(m.savings.skipped for m in measured)} skipped; mean saving {_pct(mean)} over "
        f"{len(means)} titles (each once), BD-rate {_pct(bd)} over {len(bds)}; no rung "
        f"compared: {', '.join(left_out) or 'none'}",
        flush=True,
    )
    bounded = [saves for saves in map(with_bounds, measured) if saves]
    print(
        f"# {how}, also counting fixed rungs that a cheaper per-title rung beats on VMAF "
        f"(a lower bound on their saving): mean saving "
        f"{_pct(statistics.fmean(map(statistics.fmean, bounded)) if bounded else None)} "
        f"over {len(bounded)} titles, {sum(map(len, bounded))} fixed rungs",
        flush=True,
    )
    if rungs:
        report(
            Result(
                f"per-title ladder, {how}, {len(means)}/{len(outcomes)} demo titles: kb/s at the "
                f"fixed rungs' VMAF (mean saving {_pct(mean)}, BD-rate {_pct(bd)})",
                statistics.fmean(r.pertitle_kbps for r in rungs),
                "kb/s",
                f"fixed ladder, same {len(rungs)} rungs",
                statistics.fmean(r.fixed_kbps for r in rungs),
                "<= 0.80",
            )
        )


def top_rungs(outcomes: list[Outcome]) -> None:
    """Bytes of the top rung each ladder mode ships, over whole titles (not at equal VMAF)."""
    tops = [(o.whole.pertitle.rungs[-1], o.whole.fixed.rungs[-1], o.duration_s) for o in outcomes]
    pt_vmaf = statistics.fmean(t[0].vmaf or 0.0 for t in tops)
    fx_vmaf = statistics.fmean(t[1].vmaf or 0.0 for t in tops)
    report(
        Result(
            f"top rung bytes, {len(tops)} whole titles, ladder_mode=pertitle (mean VMAF "
            f"{pt_vmaf:.1f}), not at equal VMAF",
            sum(pt.bitrate_kbps * d for pt, _, d in tops) / 8 / 1000,
            "MB",
            f"ladder_mode=fixed top rung (mean VMAF {fx_vmaf:.1f})",
            sum(fx.bitrate_kbps * d for _, fx, d in tops) / 8 / 1000,
            "",
        )
    )


if __name__ == "__main__":
    main()
