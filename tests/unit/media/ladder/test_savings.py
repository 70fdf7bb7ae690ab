"""Savings of a per-title plan over the fixed ladder, estimated from its trials."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from reelstack.media.ladder.plan import TrialPoint, fixed_plan
from reelstack.media.ladder.savings import estimate_savings
from reelstack.media.ladder.select import select_rungs
from tests.unit.media.defaults import DEFAULT_BOUNDS


def curve(width: int, height: int, *pairs: tuple[float, float]) -> list[TrialPoint]:
    return [TrialPoint(width, height, rate, vmaf) for rate, vmaf in pairs]


def test_estimated_savings_read_fixed_rungs_off_their_own_size() -> None:
    trials = [
        *curve(426, 240, (100, 50), (200, 60)),
        *curve(1280, 720, (500, 70), (1000, 80), (2000, 90), (4000, 96)),
    ]
    plan = select_rungs(
        trials, replace(DEFAULT_BOUNDS, min_bitrate_kbps=50), source_width=1280, source_height=720
    )
    fixed = fixed_plan(1280, 720)
    savings = estimate_savings(plan, fixed)
    # 240p @ 235 kb/s: past the 240p curve's end, within reach (x2), extended.
    first = savings.rungs[0]
    assert first.fixed_kbps == 235
    assert first.vmaf == pytest.approx(60 + 10 * math.log2(235 / 200))
    # 720p @ 2350 and 3000 kb/s sit on the 720p curve; sizes never trialled are skipped.
    compared = {r.fixed_kbps for r in savings.rungs}
    assert {2350, 3000} <= compared
    assert 375 not in compared and 1050 not in compared
    assert len(savings.rungs) + savings.skipped == len(fixed.rungs)
    for rung in savings.rungs:
        assert rung.saving == pytest.approx(1 - rung.pertitle_kbps / rung.fixed_kbps)
