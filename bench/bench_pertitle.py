"""Per-title ladders against the fixed ladder: bitrate saved at equal VMAF on the demo catalog.

Netflix reported that per-title encoding saved about 20 % of the bits of its
fixed ladder at the same quality. This measures the same thing here.

Sources: the demo catalog, rendered exactly as ``reelstack demo`` renders it
(:func:`reelstack.media.demo.generate`): ``BENCH_PERTITLE_TITLES`` titles
(default ``media.demo_titles``, 12), each ``BENCH_PERTITLE_SECONDS`` long
(default ``media.demo_seconds``, 24; the series' episodes are at least 30) at
``BENCH_PERTITLE_SIZE`` (default ``media.demo_size``, 640x360). The three
episodes of the series look alike (one test pattern in three hues); each is
counted once, as the catalog has them. ``BENCH_PERTITLE_CACHE`` names a
folder to keep the rendered sources in between runs (default: a temporary one).

Each source is staged and validated as the pipeline does
(:func:`reelstack.media.validate.validate`), then gets two ladders planned
with the pipeline's own settings (``Pipeline.from_config``; ``REELSTACK_*``
variables apply as they would to a worker): the per-title one
(``plan_ladder(mode="pertitle")``: CRF trials on sampled scenes, VMAF, convex
hull) and the fixed one (``mode="fixed"``: Netflix's pre-2015 ladder fitted to
the source, never upscaled; at 640x360 that is 235 kb/s at 426x240, 375 at
512x288 and 560 at 640x360).

Measurement (:func:`reelstack.media.pertitle.measure_savings`): every rung of
both ladders is encoded on the same sampled scenes the trials used, the same
way: x264 with the trial preset, one pass at the rung's bitrate, VBV 1.5x/2x.
That is how the pipeline ships both kinds of ladder (it encodes every rung
at its bitrate and ignores the CRF a per-title rung records), so neither side
gets the more efficient CRF encodes the trials used. Each encode's VMAF is
measured against the lossless reference at the source's size. The trial
curve alone (``estimate_savings``) is not used: its per-title side is CRF
encodes and its fixed side is extrapolated.

For each fixed rung, the per-title ladder's measured curve (linear in log
bitrate between its rungs) gives the bitrate that reaches the same VMAF; the
saving is 1 - that / the fixed rung's. A fixed rung whose VMAF the per-title
curve does not span is not compared (listed as skipped, with its VMAF): no
extrapolation. A title's saving is the mean over its compared rungs; the
BD-rate saving (log-bitrate gap averaged over the VMAF range both measured
curves cover) is printed beside it. Titles with no compared rung are listed
and left out of the averages.

The result line: the average bitrate the per-title curves need at the
compared fixed rungs' VMAF, against those fixed rungs' average bitrate, over
every compared rung of every title (so figure / anchor is the bitrate ratio,
Netflix's 20 % being a ratio of 0.80); the name carries the mean of the
titles' savings (each title weighs the same) and the mean BD-rate saving.

Top rungs (``BENCH_PERTITLE_TOP=0`` skips it): the top rung of each ladder,
as ``media.ladder_mode`` ``fixed`` and ``pertitle`` choose it, encoded over
the whole title the same way; its total bytes and VMAF. The two top rungs sit
at different VMAF, so this is the storage and delivery cost of the rung most
viewers get, not a saving at equal quality; it has no target.

Set ``BENCH_PERTITLE_TITLES=2 BENCH_PERTITLE_SECONDS=8`` for a quick run.
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
from reelstack.config import Config
from reelstack.media import demo
from reelstack.media.curves import Savings, monotone_curve
from reelstack.media.ffmpeg import Binaries, find_binaries
from reelstack.media.ladder import LadderPlan, Rung
from reelstack.media.pertitle import measure_savings, plan_ladder
from reelstack.media.staging import Pipeline
from reelstack.media.validate import ValidatedMedia, stage_upload, validate

CONFIG = Config.load(settings.REGISTRY, environ=os.environ)
TITLES = int(os.environ.get("BENCH_PERTITLE_TITLES", str(CONFIG.get(settings.MEDIA_DEMO_TITLES))))
SECONDS = float(
    os.environ.get("BENCH_PERTITLE_SECONDS", str(CONFIG.get(settings.MEDIA_DEMO_SECONDS)))
)
SIZE = os.environ.get("BENCH_PERTITLE_SIZE", CONFIG.get(settings.MEDIA_DEMO_SIZE))
CACHE = os.environ.get("BENCH_PERTITLE_CACHE", "")
TOP = os.environ.get("BENCH_PERTITLE_TOP", "1") != "0"


@dataclass(frozen=True)
class Outcome:
    """What one title measured."""

    slug: str
    duration_s: float
    savings: Savings
    planned: LadderPlan
    """The per-title plan, with the trials' bitrate, VMAF and CRF per rung."""
    pertitle: LadderPlan
    fixed: LadderPlan
    """Both ladders as measured on the sampled scenes."""
    top: tuple[Rung, Rung] | None = None
    """Whole-title top rungs as measured: (per-title, fixed)."""


def _rungs(rungs: tuple[Rung, ...], planned: tuple[Rung, ...] | None = None) -> str:
    parts = []
    for i, rung in enumerate(rungs):
        text = f"{rung.width}x{rung.height} {rung.bitrate_kbps} kb/s VMAF {rung.vmaf:.1f}"
        if planned is not None and planned[i].vmaf is not None:
            # The trials' VMAF at this bitrate (a CRF encode): one-pass ABR lands lower.
            text += f" (trials {planned[i].vmaf:.1f}, CRF {planned[i].crf})"
        parts.append(text)
    return "; ".join(parts)


def _outside(rungs: tuple[Rung, ...], other: tuple[Rung, ...]) -> list[str]:
    """Rungs whose VMAF the other ladder's measured curve does not span."""
    curve = monotone_curve((r.bitrate_kbps, r.vmaf or 0.0) for r in other)
    if not curve:
        return [f"{r.bitrate_kbps} kb/s" for r in rungs]
    low, high = curve[0][1], curve[-1][1]
    out = []
    for rung in rungs:
        vmaf = rung.vmaf or 0.0
        if vmaf > high:
            out.append(f"{rung.bitrate_kbps} kb/s (VMAF {vmaf:.1f} > {high:.1f})")
        elif vmaf < low:
            out.append(f"{rung.bitrate_kbps} kb/s (VMAF {vmaf:.1f} < {low:.1f})")
    return out


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def print_title(outcome: Outcome, elapsed: float) -> None:
    s = outcome.savings
    compared = ", ".join(
        f"{r.fixed_kbps:.0f}->{r.pertitle_kbps:.0f} kb/s at VMAF {r.vmaf:.1f} "
        f"({100 * r.saving:+.1f} %)"
        for r in s.rungs
    )
    skipped_fixed = _outside(outcome.fixed.rungs, outcome.pertitle.rungs)
    skipped_pt = _outside(outcome.pertitle.rungs, outcome.fixed.rungs)
    print(
        f"# {outcome.slug}: per-title [{_rungs(outcome.pertitle.rungs, outcome.planned.rungs)}]"
        f" | fixed [{_rungs(outcome.fixed.rungs)}]"
        f" | equal VMAF: {compared or 'none'}; mean {_pct(s.mean_saving)},"
        f" BD-rate {_pct(s.bd_saving)}"
        f" | skipped fixed: {', '.join(skipped_fixed) or 'none'};"
        f" per-title outside fixed: {', '.join(skipped_pt) or 'none'} ({elapsed:.0f} s)",
        flush=True,
    )


def source_folder(root: Path, titles: tuple[demo.DemoTitle, ...]) -> Path:
    """Where the sources go: the cache folder named as ``reelstack demo`` names it."""
    base = Path(CACHE) if CACHE else root / "demo"
    return base / demo.spec_hash(titles, seconds=SECONDS, size=SIZE)


def whole_title_tops(
    media: ValidatedMedia,
    pertitle: LadderPlan,
    fixed: LadderPlan,
    job_dir: Path,
    binaries: Binaries,
    pipeline: Pipeline,
) -> tuple[Rung, Rung]:
    """Each ladder's top rung encoded over the whole title; measured (per-title, fixed)."""
    # One span covering the title: sample_spans takes all of a title shorter than this.
    whole = dataclasses.replace(pipeline.trials, samples=1, sample_s=media.duration_s)
    _, top_pt, top_fixed = measure_savings(
        media,
        dataclasses.replace(pertitle, rungs=pertitle.rungs[-1:]),
        dataclasses.replace(fixed, rungs=fixed.rungs[-1:]),
        job_dir=job_dir,
        binaries=binaries,
        config=whole,
        limits=pipeline.limits.run,
    )
    return top_pt.rungs[0], top_fixed.rungs[0]


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
    savings, pertitle_m, fixed_m = measure_savings(
        media,
        pertitle,
        fixed,
        job_dir=job_dir,
        binaries=binaries,
        config=pipeline.trials,
        limits=pipeline.limits.run,
    )
    top = whole_title_tops(media, pertitle, fixed, job_dir, binaries, pipeline) if TOP else None
    return Outcome(title.slug, media.duration_s, savings, pertitle, pertitle_m, fixed_m, top)


def main() -> None:
    header()
    started = time.perf_counter()
    binaries = find_binaries(CONFIG.get(settings.MEDIA_FFMPEG), CONFIG.get(settings.MEDIA_FFPROBE))
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
    summarise(outcomes, time.perf_counter() - started)


def summarise(outcomes: list[Outcome], wall: float) -> None:
    rungs = [r for o in outcomes for r in o.savings.rungs]
    counted = [o for o in outcomes if o.savings.mean_saving is not None]
    left_out = [o.slug for o in outcomes if o.savings.mean_saving is None]
    bds = [o.savings.bd_saving for o in outcomes if o.savings.bd_saving is not None]
    skipped = sum(o.savings.skipped for o in outcomes)
    tops = [(o.top, o.duration_s) for o in outcomes if o.top is not None]
    for o in outcomes:
        if o.top is not None:
            pt, fx = o.top
            print(
                f"# top rung, whole title, {o.slug}: per-title {pt.width}x{pt.height} "
                f"{pt.bitrate_kbps} kb/s VMAF {pt.vmaf:.1f}, fixed {fx.width}x{fx.height} "
                f"{fx.bitrate_kbps} kb/s VMAF {fx.vmaf:.1f}",
                flush=True,
            )
    print(
        f"# {len(rungs)} fixed rungs compared at equal VMAF, {skipped} skipped; titles counted "
        f"{len(counted)}/{len(outcomes)}"
        + (f" (none compared: {', '.join(left_out)})" if left_out else ""),
        flush=True,
    )
    mean = statistics.fmean(o.savings.mean_saving or 0.0 for o in counted) if counted else None
    bd = statistics.fmean(bds) if bds else None
    print(
        f"# mean per-title saving at equal VMAF {_pct(mean)} (each title once), "
        f"mean BD-rate saving {_pct(bd)} over {len(bds)} titles; wall time {wall:.0f} s",
        flush=True,
    )
    if rungs:
        report(
            Result(
                f"per-title ladder, {len(counted)} demo titles: kb/s at the fixed rungs' VMAF "
                f"(mean saving {_pct(mean)}, BD-rate {_pct(bd)})",
                statistics.fmean(r.pertitle_kbps for r in rungs),
                "kb/s",
                f"fixed ladder, same {len(rungs)} rungs",
                statistics.fmean(r.fixed_kbps for r in rungs),
                "<= 0.80",
            )
        )
    if tops:
        report(
            Result(
                f"top rung bytes over {len(tops)} whole titles, ladder_mode=pertitle "
                f"(VMAF {statistics.fmean(t[0].vmaf or 0.0 for t, _ in tops):.1f}) vs fixed "
                f"(VMAF {statistics.fmean(t[1].vmaf or 0.0 for t, _ in tops):.1f}), not equal VMAF",
                sum(t[0].bitrate_kbps * d for t, d in tops) / 8 / 1000,
                "MB",
                "ladder_mode=fixed top rung",
                sum(t[1].bitrate_kbps * d for t, d in tops) / 8 / 1000,
                "",
            )
        )


if __name__ == "__main__":
    main()
