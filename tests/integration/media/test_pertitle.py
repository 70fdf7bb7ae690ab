"""Per-title trials on a real clip: encodes, VMAF, and a ladder chosen from them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reelstack import settings
from reelstack.config import group_defaults
from reelstack.media.ffmpeg import Binaries, FfmpegMissingError, Limits
from reelstack.media.ladder.plan import fixed_plan
from reelstack.media.ladder.planner import plan_ladder
from reelstack.media.ladder.savings import measure_savings
from reelstack.media.ladder.select import LadderBounds, select_rungs
from reelstack.media.ladder.trials import TrialConfig, run_trials
from reelstack.media.pipeline import settings as pipeline_settings
from reelstack.media.source.validate import ValidatedMedia

from .conftest import ClipMaker, check

pytestmark = pytest.mark.slow

DEFAULT_BOUNDS = group_defaults(settings.registry(), LadderBounds, pipeline_settings.LADDER_BOUNDS)

SMALL = dataclasses.replace(
    group_defaults(settings.registry(), TrialConfig, pipeline_settings.TRIAL_CONFIG),
    heights=(180, 360),
    crfs=(24, 38),
    samples=2,
    sample_s=1.0,
    vmaf_subsample=1,
    threads=2,
)


@pytest.fixture
def title(job_dir: Path, binaries: Binaries, clips: ClipMaker) -> ValidatedMedia:
    upload = clips.video("title.mp4", size="640x360", seconds=6, rate=24)
    return check(upload, job_dir, binaries)


def test_trials_measure_bitrate_and_vmaf_that_move_the_right_way(
    title: ValidatedMedia, job_dir: Path, binaries: Binaries
) -> None:
    seen: list[float] = []
    run = run_trials(
        title,
        job_dir=job_dir,
        binaries=binaries,
        config=SMALL,
        limits=Limits(wall_s=300),
        on_progress=seen.append,
    )
    assert run.reference_size == (640, 360)
    assert [(s.start_s, s.duration_s) for s in run.spans] == [(1.5, 1.0), (3.5, 1.0)]
    points = {(p.height, p.crf): p for p in run.points}
    assert sorted(points) == [(180, 24), (180, 38), (360, 24), (360, 38)]
    for height in (180, 360):
        fine, coarse = points[(height, 24)], points[(height, 38)]
        assert fine.bitrate_kbps > coarse.bitrate_kbps > 0
        assert fine.vmaf > coarse.vmaf
    # At the same CRF a bigger picture costs more bits and, scaled to 360p, scores higher.
    assert points[(360, 24)].bitrate_kbps > points[(180, 24)].bitrate_kbps
    assert points[(360, 24)].vmaf > points[(180, 24)].vmaf
    assert all(0 <= p.vmaf <= 100 for p in run.points)
    assert len(run.timings) == 4
    assert all(t.encode_s > 0 and t.vmaf_s > 0 for t in run.timings)
    assert all(t.encode_cpu_s > 0 and t.vmaf_cpu_s > 0 for t in run.timings)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    # The job folder is left as it was found, but for the staged source.
    assert sorted(p.name for p in job_dir.iterdir()) == ["source"]

    plan = select_rungs(
        run.points,
        dataclasses.replace(DEFAULT_BOUNDS, min_bitrate_kbps=16),
        source_width=640,
        source_height=360,
    )
    assert plan.mode == "pertitle"
    rates = [r.bitrate_kbps for r in plan.rungs]
    assert rates == sorted(rates)
    assert all(r.vmaf is not None for r in plan.rungs)
    assert max(r.height for r in plan.rungs) <= 360


def test_lossless_trial_scores_near_perfect(
    title: ValidatedMedia, job_dir: Path, binaries: Binaries
) -> None:
    # Frames compared out of step would score far lower: this pins the alignment.
    config = dataclasses.replace(SMALL, heights=(360,), crfs=(0,), samples=1)
    run = run_trials(title, job_dir=job_dir, binaries=binaries, config=config, limits=Limits())
    [point] = run.points
    assert point.vmaf > 97


def test_plan_ladder_per_title_and_fixed(
    title: ValidatedMedia, job_dir: Path, binaries: Binaries
) -> None:
    common = {"job_dir": job_dir, "binaries": binaries, "limits": Limits()}
    bounds = dataclasses.replace(DEFAULT_BOUNDS, min_bitrate_kbps=16)
    fixed = plan_ladder(title, mode="fixed", trial_config=SMALL, bounds=bounds, **common)
    assert fixed == fixed_plan(640, 360)
    assert [r.bitrate_kbps for r in fixed.rungs] == [235, 375, 560]
    per_title = plan_ladder(title, mode="pertitle", trial_config=SMALL, bounds=bounds, **common)
    assert per_title.mode == "pertitle" and per_title.rungs
    assert len(per_title.trials) == 4
    meta = per_title.to_metadata()
    assert all({"width", "height", "bitrate_kbps", "vmaf"} <= set(r) for r in meta["rungs"])


def test_without_libvmaf_per_title_falls_back_to_fixed(
    title: ValidatedMedia, job_dir: Path, binaries: Binaries
) -> None:
    no_vmaf = dataclasses.replace(binaries, has_vmaf=False)
    with pytest.raises(FfmpegMissingError, match="libvmaf"):
        run_trials(title, job_dir=job_dir, binaries=no_vmaf, config=SMALL, limits=Limits())
    plan = plan_ladder(
        title,
        mode="pertitle",
        job_dir=job_dir,
        binaries=no_vmaf,
        trial_config=SMALL,
        bounds=DEFAULT_BOUNDS,
        limits=Limits(),
    )
    assert plan.mode == "fixed"
    assert "libvmaf" in plan.note


def test_measured_savings_compare_both_ladders_encoded_alike(
    title: ValidatedMedia, job_dir: Path, binaries: Binaries
) -> None:
    bounds = dataclasses.replace(DEFAULT_BOUNDS, min_bitrate_kbps=16)
    run = run_trials(title, job_dir=job_dir, binaries=binaries, config=SMALL, limits=Limits())
    plan = select_rungs(run.points, bounds, source_width=640, source_height=360)
    fixed = fixed_plan(640, 360)
    savings, plan_m, fixed_m = measure_savings(
        title, plan, fixed, job_dir=job_dir, binaries=binaries, config=SMALL, limits=Limits()
    )
    assert len(fixed_m.rungs) == len(fixed.rungs) and len(plan_m.rungs) == len(plan.rungs)
    assert all(r.vmaf is not None and 0 < r.vmaf <= 100 for r in (*plan_m.rungs, *fixed_m.rungs))
    # Each compared rung's saving follows from the two measured curves.
    for rung in savings.rungs:
        assert rung.saving == pytest.approx(1 - rung.pertitle_kbps / rung.fixed_kbps)
    assert len(savings.rungs) + savings.skipped == len(fixed.rungs)


def test_capped_crf_rungs_land_where_the_trials_said(
    title: ValidatedMedia, job_dir: Path, binaries: Binaries
) -> None:
    bounds = dataclasses.replace(DEFAULT_BOUNDS, min_bitrate_kbps=16, vmaf_target=99)
    run = run_trials(title, job_dir=job_dir, binaries=binaries, config=SMALL, limits=Limits())
    plan = select_rungs(run.points, bounds, source_width=640, source_height=360)
    _, plan_m, _ = measure_savings(
        title,
        plan,
        fixed_plan(640, 360),
        job_dir=job_dir,
        binaries=binaries,
        config=SMALL,
        limits=Limits(),
        capped_crf=True,
    )
    compared = 0
    for planned, got in zip(plan.rungs, plan_m.rungs, strict=True):
        assert planned.crf is not None and planned.vmaf is not None and got.vmaf is not None
        if planned.crf in SMALL.crfs:  # a measured trial point, encoded again with a cap
            compared += 1
            assert got.vmaf == pytest.approx(planned.vmaf, abs=1.5)
            assert got.bitrate_kbps == pytest.approx(planned.bitrate_kbps, rel=0.15)
    assert compared >= 1


def test_trials_reach_past_the_grid_toward_an_unmet_target(
    title: ValidatedMedia, job_dir: Path, binaries: Binaries
) -> None:
    # VMAF 99.9 is past both grid CRFs (24, 38): the largest size is tried one step finer.
    seen: list[float] = []
    bounds = dataclasses.replace(DEFAULT_BOUNDS, min_bitrate_kbps=16, vmaf_target=99.9)
    run = run_trials(
        title,
        job_dir=job_dir,
        binaries=binaries,
        config=SMALL,
        limits=Limits(),
        on_progress=seen.append,
        bounds=bounds,
    )
    extra = [p for p in run.points if p.crf not in SMALL.crfs]
    assert [(p.height, p.crf) for p in extra] == [(360, 10)]
    finest = max((p for p in run.points if p.height == 360), key=lambda p: p.bitrate_kbps)
    assert finest.crf == 10 and finest.vmaf > max(p.vmaf for p in run.points if p.crf == 24)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)


@pytest.mark.parametrize("size", ["854x480", "720x576", "426x240"])
def test_trials_open_pictures_whose_width_is_not_a_multiple_of_64(
    size: str, job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    # Decoders allocate lines of aligned width (854 -> 896): a pixel cap of
    # exactly width x height refused the reference clip of these common sizes.
    media = check(clips.video(f"odd-{size}.mp4", size=size, seconds=3), job_dir, binaries)
    run = run_trials(
        media,
        job_dir=job_dir,
        binaries=binaries,
        config=dataclasses.replace(SMALL, heights=(180,), crfs=(30,)),
        limits=Limits(wall_s=300),
    )
    assert 180 in {p.height for p in run.points}
    assert all(p.vmaf > 0 and p.bitrate_kbps > 0 for p in run.points)
