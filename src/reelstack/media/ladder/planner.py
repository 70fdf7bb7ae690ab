"""Plan a title's ladder: Netflix's fixed ladder, or a per-title one from trial encodes."""

from __future__ import annotations

import logging
from pathlib import Path

from reelstack.media.ffmpeg.binaries import Binaries
from reelstack.media.ffmpeg.runner import Limits
from reelstack.media.ladder.plan import LadderPlan, fixed_plan
from reelstack.media.ladder.select import LadderBounds, select_rungs
from reelstack.media.ladder.trials import Progress, TrialConfig, run_trials
from reelstack.media.source.validate import ValidatedMedia

log = logging.getLogger(__name__)


def plan_ladder(
    media: ValidatedMedia,
    *,
    mode: str,
    job_dir: Path,
    binaries: Binaries,
    trial_config: TrialConfig,
    bounds: LadderBounds,
    limits: Limits,
    on_progress: Progress | None = None,
) -> LadderPlan:
    """Plan the ladder of a validated title: ``fixed``, or ``pertitle`` from trial encodes.

    Without libvmaf (the system ffmpeg) a per-title request falls back to the
    fixed ladder, and the plan's note says why.
    """
    width, height = media.display_size
    if mode == "fixed":
        return fixed_plan(width, height, top_max_height=bounds.top_max_height)
    if mode != "pertitle":
        raise ValueError(f"unknown ladder mode {mode!r}")
    if not binaries.has_vmaf:
        log.warning("ffmpeg %s has no libvmaf: using the fixed ladder", binaries.ffmpeg)
        plan = fixed_plan(width, height, top_max_height=bounds.top_max_height)
        return LadderPlan(
            plan.mode, plan.rungs, width, height, note="per-title asked, but ffmpeg lacks libvmaf"
        )
    trials = run_trials(
        media,
        job_dir=job_dir,
        binaries=binaries,
        config=trial_config,
        limits=limits,
        on_progress=on_progress,
        bounds=bounds,
    )
    return select_rungs(trials.points, bounds, source_width=width, source_height=height)
