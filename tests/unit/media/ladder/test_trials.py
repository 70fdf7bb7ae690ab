"""Per-title trials without ffmpeg: sampling, trial sizes, settings, extra trials."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reelstack import settings
from reelstack.config import read_group
from reelstack.errors import ConfigError
from reelstack.media.ladder.plan import TrialPoint
from reelstack.media.ladder.trials import (
    TrialConfig,
    crf_step,
    extra_trials,
    reference_size,
    sample_spans,
    trial_sizes,
)
from reelstack.media.pipeline import settings as pipeline_settings
from tests.unit.media.defaults import DEFAULT_BOUNDS


def test_samples_spread_over_the_title() -> None:
    spans = sample_spans(100.0, 3, 2.0)
    assert [(s.start_s, s.duration_s) for s in spans] == [(24.0, 2.0), (49.0, 2.0), (74.0, 2.0)]


def test_a_short_title_is_sampled_whole() -> None:
    assert [(s.start_s, s.duration_s) for s in sample_spans(7.5, 3, 2.0)] == [(0.0, 7.5)]
    with pytest.raises(ValueError):
        sample_spans(0, 3, 2.0)


def test_samples_never_run_past_the_end() -> None:
    for duration in (8.1, 9.0, 13.0, 3600.0):
        for span in sample_spans(duration, 3, 2.0):
            assert span.start_s >= 0 and span.start_s + span.duration_s <= duration


def test_trial_sizes_fit_the_source_and_the_top_bound() -> None:
    heights = (240, 384, 480, 720, 1080)
    assert trial_sizes(1920, 1080, heights, 1080) == [
        (426, 240), (682, 384), (854, 480), (1280, 720), (1920, 1080),
    ]  # fmt: skip
    # A 540p source: sizes above it collapse onto its own size.
    assert trial_sizes(960, 540, heights, 1080) == [(426, 240), (682, 384), (854, 480), (960, 540)]
    # A 4K source is tried up to the top bound only.
    assert trial_sizes(3840, 2160, heights, 720)[-1] == (1280, 720)
    assert trial_sizes(1080, 1920, (720,), 1080) == [(720, 1280), (1080, 1920)]


def test_reference_size_is_capped() -> None:
    assert reference_size(3840, 2160, 1080) == (1920, 1080)
    assert reference_size(640, 360, 1080) == (640, 360)


def test_trial_config_from_settings() -> None:
    config = settings.load(
        environ={"REELSTACK_MEDIA_TRIAL_CRFS": "30, 20,25", "REELSTACK_MEDIA_THREADS": "4"}
    )
    trial = read_group(config, TrialConfig, pipeline_settings.TRIAL_CONFIG)
    assert trial.crfs == (20, 25, 30)
    assert trial.threads == 4
    assert trial.heights == (240, 384, 480, 720, 1080)
    with pytest.raises(ConfigError, match=r"media\.trial_crfs"):
        settings.load(environ={"REELSTACK_MEDIA_TRIAL_CRFS": "20,x"})


SIZES = [(426, 240), (640, 360)]
BOUNDS = replace(DEFAULT_BOUNDS, min_bitrate_kbps=150, min_step_ratio=1.5, vmaf_target=95)


def grid(*rows: tuple[int, int, float, float, float]) -> list[TrialPoint]:
    return [TrialPoint(w, h, rate, vmaf, crf) for w, h, crf, rate, vmaf in rows]


def test_a_grid_spanning_the_bounds_gets_no_extra_trials() -> None:
    points = grid(
        (426, 240, 34, 100, 67), (426, 240, 20, 350, 89),
        (640, 360, 34, 240, 85), (640, 360, 20, 760, 98),
    )  # fmt: skip
    assert extra_trials(points, SIZES, BOUNDS, 7) == []
    assert extra_trials([], SIZES, BOUNDS, 7) == []


def test_a_detailed_title_is_tried_coarser_until_the_least_bitrate() -> None:
    # Every trial is hundreds of kb/s: no rung could sit near 150 kb/s.
    points = grid(
        (426, 240, 34, 770, 53), (426, 240, 20, 3300, 74),
        (640, 360, 34, 1450, 83), (640, 360, 20, 5500, 99.8),
    )  # fmt: skip
    assert extra_trials(points, SIZES, BOUNDS, 7) == [((426, 240), 41), ((640, 360), 41)]
    # Once the cheapest is within a step of the floor, nothing more is tried.
    near = [*points, TrialPoint(426, 240, 200, 37, 41)]
    assert extra_trials(near, SIZES, BOUNDS, 7) == []
    # Only sizes still above the floor, and never past CRF 51.
    points += grid((426, 240, 41, 140, 40), (640, 360, 48, 300, 59))
    assert extra_trials(points, SIZES, replace(DEFAULT_BOUNDS, min_bitrate_kbps=100), 7) == []
    assert extra_trials(points, SIZES, replace(DEFAULT_BOUNDS, min_bitrate_kbps=150), 7) == []
    bounds = replace(DEFAULT_BOUNDS, min_bitrate_kbps=120, min_step_ratio=1.1)
    assert extra_trials(points, SIZES, bounds, 7) == [((426, 240), 48)]


def test_a_smooth_title_is_tried_finer_until_the_target() -> None:
    # Gradients: VMAF 91.5 at the finest CRF, for 172 kb/s of an 8000 kb/s cap.
    points = grid(
        (426, 240, 34, 29, 71.5), (426, 240, 20, 85, 87.3),
        (640, 360, 34, 54, 75.3), (640, 360, 20, 172, 91.5),
    )  # fmt: skip
    assert extra_trials(points, SIZES, BOUNDS, 7) == [((640, 360), 13)]
    # Reached, or the finest trial already at the cap, or CRF 0 passed: nothing.
    reached = [*points, TrialPoint(640, 360, 1245, 96.3, 6)]
    assert extra_trials(reached, SIZES, BOUNDS, 7) == []
    capped = replace(DEFAULT_BOUNDS, min_bitrate_kbps=20, max_bitrate_kbps=150)
    assert extra_trials(points, SIZES, capped, 7) == []
    assert extra_trials(points, SIZES, BOUNDS, 21) == []


def test_crf_step_is_the_grids_spacing() -> None:
    assert crf_step((20, 27, 34)) == 7
    assert crf_step((34, 20, 30)) == 4
    assert crf_step((23,)) == 7
