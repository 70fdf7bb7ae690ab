"""Per-title planning: trial encodes on sampled scenes, VMAF against the source, then a ladder.

For a title, a few short scenes spread over it are cut into one lossless
reference clip (at the source's size, at most ``vmaf_reference_height``).
That clip is encoded with x264 at every trial height and CRF, each encode is
scaled back to the reference size (bicubic) and scored with libvmaf, and the
measured (size, bitrate, VMAF) points go to :func:`.select.select_rungs`.

The cost is (heights x CRFs) encodes and VMAF runs over ``samples x
sample_s`` seconds of video, plus a few where the CRF grid misses the
ladder's bounds (:func:`extra_trials`); the ``media.trial_*`` and
``media.vmaf_*`` settings trade accuracy for time. Savings against the fixed
ladder at equal VMAF are in :mod:`.savings`.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from reelstack.media.ffmpeg.binaries import Binaries
from reelstack.media.ffmpeg.commands import reference_argv, trial_encode_argv, vmaf_argv
from reelstack.media.ffmpeg.options import (
    Container,
    SafeInput,
    SampleSpan,
    VideoEncode,
    VmafOptions,
)
from reelstack.media.ffmpeg.runner import Limits, RunResult, run
from reelstack.media.ffmpeg.vmaf import read_vmaf_log
from reelstack.media.ladder.plan import TrialPoint, fit_size
from reelstack.media.ladder.select import LadderBounds
from reelstack.media.source.validate import ValidatedMedia

log = logging.getLogger(__name__)

Progress = Callable[[float], None]
_MAX_FPS = Fraction(60)
# Rounds of trials added where the grid misses the ladder's bounds, and x264's CRF range.
_EXTEND_ROUNDS = 2
_CRF_RANGE = (0, 51)


@dataclass(frozen=True, slots=True)
class TrialConfig:
    """How much trial work a title gets.

    Built from the ``media.trial_*`` and ``media.vmaf_*`` settings
    (``TRIAL_CONFIG`` in :mod:`reelstack.media.pipeline.settings`).
    """

    heights: tuple[int, ...]
    crfs: tuple[int, ...]
    samples: int
    sample_s: float
    preset: str
    vmaf_subsample: int
    reference_height: int
    threads: int
    top_max_height: int


@dataclass(frozen=True, slots=True)
class TrialTiming:
    """Seconds one trial point took, its encode and its VMAF run: wall clock and CPU."""

    width: int
    height: int
    crf: float
    encode_s: float
    vmaf_s: float
    encode_cpu_s: float = 0.0
    vmaf_cpu_s: float = 0.0


@dataclass(frozen=True, slots=True)
class TrialRun:
    """What the trials of one title measured."""

    points: tuple[TrialPoint, ...]
    reference_size: tuple[int, int]
    spans: tuple[SampleSpan, ...]
    reference_s: float
    """Seconds spent cutting the lossless reference clip."""
    timings: tuple[TrialTiming, ...]


def sample_spans(duration_s: float, samples: int, sample_s: float) -> tuple[SampleSpan, ...]:
    """Spans of ``sample_s`` seconds spread evenly over the title (all of it when short)."""
    if duration_s <= 0:
        raise ValueError("duration must be positive")
    if duration_s <= sample_s * (samples + 1):
        return (SampleSpan(0.0, duration_s),)
    spans = []
    for i in range(samples):
        centre = duration_s * (i + 1) / (samples + 1)
        start = min(max(0.0, centre - sample_s / 2), duration_s - sample_s)
        spans.append(SampleSpan(round(start, 3), sample_s))
    return tuple(spans)


def reference_size(width: int, height: int, reference_height: int) -> tuple[int, int]:
    """Size VMAF is measured at: the source's, scaled down to ``reference_height`` if taller."""
    return fit_size(width, height, reference_height)


def trial_sizes(
    width: int, height: int, heights: tuple[int, ...], top_max_height: int
) -> list[tuple[int, int]]:
    """Distinct trial sizes: each trial height fitted to the source, none above the top bound."""
    sizes: list[tuple[int, int]] = []
    for box in sorted(set(heights)):
        if box > top_max_height:
            continue
        size = fit_size(width, height, box)
        if size not in sizes:
            sizes.append(size)
    # A source between two trial heights (540p, say) is also tried at its own size.
    own = fit_size(width, height, top_max_height)
    if own not in sizes:
        sizes.append(own)
    return sizes


def extra_trials(
    points: Sequence[TrialPoint],
    sizes: Sequence[tuple[int, int]],
    bounds: LadderBounds,
    step: float,
) -> list[tuple[tuple[int, int], float]]:
    """Trials (size, CRF) to add so the trial curves span the ladder's bounds; none if they do.

    A fixed CRF grid misses both ends on some titles. Noisy or detailed
    pictures are hundreds of kb/s even at the coarsest CRF, leaving the ladder
    no rung near ``min_bitrate_kbps``: while the cheapest trial is a step or
    more above it, every size still above it is tried ``step`` coarser.
    Smooth gradients stay short of the VMAF target at the finest CRF for a
    fraction of ``max_bitrate_kbps``: then the largest size is tried ``step``
    finer, unless its best trial is at the cap already.
    """
    extra: list[tuple[tuple[int, int], float]] = []
    low, high = _CRF_RANGE
    by_size = {size: [p for p in points if (p.width, p.height) == size] for size in sizes}
    if not points or not sizes:
        return extra
    cheapest = min(p.bitrate_kbps for p in points)
    if cheapest > bounds.min_bitrate_kbps * bounds.min_step_ratio:
        for size, tried in by_size.items():
            crfs = [p.crf for p in tried if p.crf is not None]
            above = all(p.bitrate_kbps > bounds.min_bitrate_kbps for p in tried)
            if crfs and above and max(crfs) + step <= high:
                extra.append((size, max(crfs) + step))
    reached = any(
        p.vmaf >= bounds.vmaf_target and p.bitrate_kbps <= bounds.max_bitrate_kbps for p in points
    )
    top = max(sizes, key=lambda size: size[0] * size[1])
    tried = by_size[top]
    crfs = [p.crf for p in tried if p.crf is not None]
    if not reached and crfs and min(crfs) - step >= low:
        best = max(tried, key=lambda p: p.vmaf)  # tried is not empty: it has CRFs
        if best.bitrate_kbps < bounds.max_bitrate_kbps:
            extra.append((top, min(crfs) - step))
    return extra


def crf_step(crfs: tuple[int, ...]) -> float:
    """The grid's CRF spacing (its smallest gap; 7 for a single CRF)."""
    gaps = [b - a for a, b in itertools.pairwise(sorted(set(crfs)))]
    return float(min(gaps)) if gaps else 7.0


def _reference_fps(media: ValidatedMedia) -> Fraction:
    fps = media.video.fps or Fraction(30)
    return min(fps, _MAX_FPS).limit_denominator(1001)


class TrialBench:
    """The lossless reference clip of one title, and encodes measured against it."""

    def __init__(
        self,
        media: ValidatedMedia,
        *,
        job_dir: Path,
        binaries: Binaries,
        config: TrialConfig,
        limits: Limits,
    ) -> None:
        binaries.require_vmaf()
        self.binaries, self.config, self.limits, self.job_dir = binaries, config, limits, job_dir
        width, height = media.display_size
        self.size = reference_size(width, height, config.reference_height)
        self.spans = sample_spans(media.duration_s, config.samples, config.sample_s)
        self.clip_s = sum(span.duration_s for span in self.spans)
        self.fps = _reference_fps(media)
        self.media = media
        self.path = job_dir / "trial-reference.mkv"
        self.reference = SafeInput(
            self.path,
            Container.MATROSKA,
            ("h264",),
            # Decoders allocate whole lines of aligned width (a 854 pixel wide
            # picture takes 896): leave the room validation leaves.
            max_pixels=(self.size[0] + 128) * (self.size[1] + 128),
        )
        self.vmaf_options = VmafOptions(n_threads=config.threads, n_subsample=config.vmaf_subsample)

    def cut_reference(self, on_progress: Progress | None) -> float:
        """Write the reference clip; return the seconds it took."""
        started = time.monotonic()
        argv = reference_argv(
            self.binaries.ffmpeg,
            self.media.source,
            spans=self.spans,
            width=self.size[0],
            height=self.size[1],
            fps=self.fps,
            out=self.path,
            threads=self.config.threads,
        )
        self._run(argv, on_progress)
        return time.monotonic() - started

    def _run(self, argv: list[str], on_progress: Progress | None) -> RunResult:
        return run(
            argv,
            cwd=self.job_dir,
            limits=self.limits,
            progress=True,
            duration_s=self.clip_s,
            on_progress=on_progress,
            threads=self.config.threads,
        )

    def measure(
        self, enc: VideoEncode, name: str, on_progress: Progress | None = None
    ) -> tuple[float, float, TrialTiming]:
        """Encode the reference with ``enc``; return kb/s, VMAF and the time both took."""
        encoded = self.job_dir / f"{name}.mkv"
        log_name = f"{name}.vmaf.json"
        t0 = time.monotonic()
        encode = self._run(
            trial_encode_argv(self.binaries.ffmpeg, self.reference, enc, encoded), None
        )
        t1 = time.monotonic()
        distorted = SafeInput(
            encoded, Container.MATROSKA, ("h264",), max_pixels=self.reference.max_pixels
        )
        argv = vmaf_argv(
            self.binaries.ffmpeg,
            distorted,
            self.reference,
            width=self.size[0],
            height=self.size[1],
            log_name=log_name,
            options=self.vmaf_options,
        )
        scoring = self._run(argv, on_progress)
        t2 = time.monotonic()
        # Container overhead is counted too: about 1 % at the lowest trial bitrates.
        kbps = encoded.stat().st_size * 8 / self.clip_s / 1000
        score = read_vmaf_log(self.job_dir / log_name)
        encoded.unlink()
        (self.job_dir / log_name).unlink()
        timing = TrialTiming(
            enc.width,
            enc.height,
            enc.crf if enc.crf is not None else -1.0,
            t1 - t0,
            t2 - t1,
            encode.cpu_s,
            scoring.cpu_s,
        )
        return kbps, score.mean, timing

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def run_trials(
    media: ValidatedMedia,
    *,
    job_dir: Path,
    binaries: Binaries,
    config: TrialConfig,
    limits: Limits,
    on_progress: Progress | None = None,
    bounds: LadderBounds | None = None,
) -> TrialRun:
    """Run every trial encode of one title and measure its VMAF.

    With ``bounds``, trials are added past the grid where it misses them
    (:func:`extra_trials`), for at most two rounds.
    """
    bench = TrialBench(media, job_dir=job_dir, binaries=binaries, config=config, limits=limits)
    width, height = media.display_size
    sizes = trial_sizes(width, height, config.heights, config.top_max_height)
    grid = [(size, float(crf)) for size in sizes for crf in config.crfs]
    # Progress counts the most trials there can be, and ends at 1 whatever ran.
    extra_most = 0 if bounds is None else _EXTEND_ROUNDS * (len(sizes) + 1)
    steps = 1 + len(grid) + extra_most
    done = 0

    def step(fraction: float) -> None:
        if on_progress is not None:
            on_progress(min(1.0, (done + fraction) / steps))

    points: list[TrialPoint] = []
    timings: list[TrialTiming] = []
    try:
        reference_s = bench.cut_reference(step)
        done += 1
        todo = grid
        for _ in range(1 + (0 if bounds is None else _EXTEND_ROUNDS)):
            for (trial_w, trial_h), crf in todo:
                enc = VideoEncode(
                    width=trial_w,
                    height=trial_h,
                    crf=crf,
                    preset=config.preset,
                    threads=config.threads,
                )
                kbps, vmaf, timing = bench.measure(
                    enc, f"trial-{trial_w}x{trial_h}-crf{crf:g}", step
                )
                done += 1
                points.append(TrialPoint(trial_w, trial_h, round(kbps, 1), round(vmaf, 3), crf))
                timings.append(timing)
            if bounds is None:
                break
            todo = extra_trials(points, sizes, bounds, crf_step(config.crfs))
            if not todo:
                break
    finally:
        bench.close()
    if on_progress is not None:
        on_progress(1.0)
    return TrialRun(tuple(points), bench.size, bench.spans, reference_s, tuple(timings))
