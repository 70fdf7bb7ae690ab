"""Per-title rung selection: the convex hull, the bounds, gaps read off the curves."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import pytest

from reelstack import settings
from reelstack.config import read_group
from reelstack.media.ladder.plan import (
    LadderPlan,
    Rung,
    TrialPoint,
)
from reelstack.media.ladder.select import LadderBounds, select_rungs, upper_hull
from reelstack.media.pipeline import settings as pipeline_settings
from tests.unit.media.defaults import DEFAULT_BOUNDS


def pt(height: int, kbps: float, vmaf: float) -> TrialPoint:
    width = {240: 426, 360: 640, 480: 852, 720: 1280, 1080: 1920}[height]
    return TrialPoint(width, height, kbps, vmaf)


SOURCE_360 = {"source_width": 640, "source_height": 360}

# The classic crossover: 240p beats 720p below about 300 kb/s (720p starved of
# bits), 720p beats 1080p below about 1200 kb/s, 1080p wins above.
CROSSOVER = [
    pt(240, 100, 40),
    pt(240, 200, 55),
    pt(240, 400, 65),
    pt(240, 800, 70),
    pt(720, 100, 25),
    pt(720, 200, 45),
    pt(720, 400, 70),
    pt(720, 800, 85),
    pt(720, 1600, 91),
    pt(1080, 400, 62),
    pt(1080, 800, 82),
    pt(1080, 1600, 94),
    pt(1080, 3200, 97),
    pt(1080, 6400, 97.5),
]


# -- sizes and the fixed ladder ---------------------------------------------------


# -- the hull ---------------------------------------------------------------------


def test_upper_hull_follows_the_crossover() -> None:
    hull = upper_hull(CROSSOVER)
    assert [(p.height, p.bitrate_kbps) for p in hull] == [
        (240, 100), (240, 200), (720, 400), (720, 800), (1080, 1600), (1080, 3200), (1080, 6400),
    ]  # fmt: skip
    # Concave: each segment's slope is below the one before it.
    slopes = [
        (b.vmaf - a.vmaf) / (b.bitrate_kbps - a.bitrate_kbps) for a, b in itertools.pairwise(hull)
    ]
    assert slopes == sorted(slopes, reverse=True)


def test_upper_hull_drops_points_under_a_chord_and_past_the_peak() -> None:
    points = [pt(720, 100, 50), pt(720, 200, 55), pt(720, 300, 80), pt(720, 400, 79)]
    # (200, 55) lies under the chord from (100, 50) to (300, 80); (400, 79) is past the peak.
    assert [p.bitrate_kbps for p in upper_hull(points)] == [100, 300]


def test_upper_hull_keeps_the_best_of_equal_bitrates_and_ignores_zero() -> None:
    points = [pt(240, 100, 40), pt(720, 100, 30), pt(720, 0, 99), pt(720, 300, 60)]
    assert [(p.height, p.vmaf) for p in upper_hull(points)] == [(240, 40), (720, 60)]
    assert upper_hull([]) == []


# -- choosing rungs ----------------------------------------------------------------


def test_select_rungs_walks_down_the_hull() -> None:
    bounds = replace(
        DEFAULT_BOUNDS, vmaf_target=95, min_step_ratio=1.5, min_vmaf_step=2, min_bitrate_kbps=50
    )
    plan = select_rungs(CROSSOVER, bounds, source_width=1920, source_height=1080)
    assert plan.mode == "pertitle"
    heights = [r.height for r in plan.rungs]
    rates = [r.bitrate_kbps for r in plan.rungs]
    # Low rungs at 240p, the middle at 720p, the top at 1080p: the crossover.
    assert heights == [240, 240, 720, 720, 1080, 1080]
    assert rates[:4] == [100, 200, 400, 800]
    # The top rung slides down 1080p's own curve (log-linear) to exactly VMAF 95.
    share = (95 - 94) / (97 - 94)
    expected_top = math.exp(math.log(1600) + share * math.log(3200 / 1600))
    assert rates[-1] == round(expected_top)
    # 800 to ~2520 kb/s is over two steps: a rung is read off the curves at the
    # geometric middle, where 1080p's curve (91.9) beats 720p's (90.0).
    middle = math.sqrt(800 * expected_top)
    assert rates[4] == round(middle)
    assert plan.rungs[4].vmaf == pytest.approx(82 + 12 * math.log2(middle / 800), abs=0.01)
    assert "read off the trial curves" in plan.note
    assert plan.rungs[-1].vmaf == 95
    assert "target" in plan.note
    for low, high in zip(plan.rungs, plan.rungs[1:], strict=False):
        assert high.bitrate_kbps >= 1.5 * low.bitrate_kbps - 1
        assert high.vmaf is not None and low.vmaf is not None
        assert high.vmaf - low.vmaf >= 2


def test_select_rungs_never_spends_past_the_target() -> None:
    plan = select_rungs(
        CROSSOVER, replace(DEFAULT_BOUNDS, vmaf_target=80), source_width=1920, source_height=1080
    )
    top = plan.rungs[-1]
    assert top.height == 720 and top.vmaf == 80
    assert 400 < top.bitrate_kbps < 800


def test_select_rungs_without_reaching_the_target_tops_out_at_the_best() -> None:
    plan = select_rungs(
        CROSSOVER, replace(DEFAULT_BOUNDS, vmaf_target=99.5), source_width=1920, source_height=1080
    )
    assert plan.rungs[-1] == Rung(1920, 1080, 6400, 97.5)
    assert "no trial reached" in plan.note


def test_select_rungs_bounds() -> None:
    base = {"source_width": 1920, "source_height": 1080}
    capped = select_rungs(CROSSOVER, replace(DEFAULT_BOUNDS, top_max_height=720), **base)
    assert max(r.height for r in capped.rungs) == 720
    few = select_rungs(CROSSOVER, replace(DEFAULT_BOUNDS, max_rungs=2), **base)
    assert len(few.rungs) == 2
    floor = select_rungs(
        CROSSOVER, replace(DEFAULT_BOUNDS, vmaf_floor=60, min_bitrate_kbps=50), **base
    )
    assert min(r.vmaf or 0 for r in floor.rungs) >= 60
    wide = select_rungs(
        CROSSOVER, replace(DEFAULT_BOUNDS, min_step_ratio=3, min_bitrate_kbps=50), **base
    )
    rates = [r.bitrate_kbps for r in wide.rungs]
    assert all(b >= 3 * a for a, b in itertools.pairwise(rates))
    minimum = select_rungs(CROSSOVER, replace(DEFAULT_BOUNDS, min_bitrate_kbps=300), **base)
    assert min(r.bitrate_kbps for r in minimum.rungs) >= 300


def test_select_rungs_keeps_sizes_rising_with_bitrate() -> None:
    # A noisy 1080p point below a 720p one must not become a lower rung.
    points = [pt(720, 300, 60), pt(1080, 500, 72), pt(720, 900, 85), pt(1080, 2000, 96)]
    plan = select_rungs(
        points, replace(DEFAULT_BOUNDS, min_bitrate_kbps=50), source_width=1920, source_height=1080
    )
    heights = [r.height for r in plan.rungs]
    assert heights == sorted(heights)


def test_select_rungs_needs_points() -> None:
    with pytest.raises(ValueError):
        select_rungs([], DEFAULT_BOUNDS, source_width=640, source_height=360)


def test_bounds_from_settings() -> None:
    config = settings.load(
        environ={"REELSTACK_MEDIA_VMAF_TARGET": "93", "REELSTACK_MEDIA_MAX_RUNGS": "5"}
    )
    bounds = read_group(config, LadderBounds, pipeline_settings.LADDER_BOUNDS)
    assert bounds.vmaf_target == 93 and bounds.max_rungs == 5
    assert bounds.top_max_height == 1080


def test_select_rungs_caps_the_top_bitrate_on_the_curve() -> None:
    # A grainy title: 1080p needs 20 Mb/s for VMAF 94; the cap stops the ladder at 8 Mb/s,
    # at the VMAF 1080p's own curve reaches there.
    grainy = [pt(720, 450, 76), pt(1080, 1900, 88), pt(1080, 20000, 94)]
    plan = select_rungs(
        grainy,
        replace(DEFAULT_BOUNDS, max_bitrate_kbps=8000),
        source_width=1920,
        source_height=1080,
    )
    top = plan.rungs[-1]
    share = math.log(8000 / 1900) / math.log(20000 / 1900)
    assert (top.height, top.bitrate_kbps) == (1080, 8000)
    assert top.vmaf == pytest.approx(88 + share * 6, abs=0.01)
    assert "8000 kb/s" in plan.note
    assert all(r.bitrate_kbps <= 8000 for r in plan.rungs)
    # Every trial over the cap: one rung at the cheapest, and the note says so.
    low = select_rungs(
        grainy, replace(DEFAULT_BOUNDS, max_bitrate_kbps=300), source_width=1920, source_height=1080
    )
    assert low.rungs == (Rung(1280, 720, 450, 76),)
    assert "over 300 kb/s" in low.note


def test_gaps_are_filled_only_where_curves_reach_and_steps_allow() -> None:
    # Two sizes with a wide gap between their trials: the middle is on no curve.
    points = [pt(240, 100, 40), pt(1080, 2000, 90)]
    bounds = replace(DEFAULT_BOUNDS, min_bitrate_kbps=50, vmaf_target=99)
    plan = select_rungs(points, bounds, source_width=1920, source_height=1080)
    assert [r.bitrate_kbps for r in plan.rungs] == [100, 2000]
    # One size spanning the gap fills it, and again while gaps stay over two steps.
    points = [pt(720, 100, 40), pt(720, 3200, 90)]
    plan = select_rungs(points, bounds, source_width=1280, source_height=720)
    rates = [r.bitrate_kbps for r in plan.rungs]
    assert len(rates) > 3 and rates == sorted(rates)
    assert all(b / a >= 1.5 - 0.01 for a, b in itertools.pairwise(rates))
    # No room for a rung when neighbours are within two steps.
    tight = [pt(720, 100, 40), pt(720, 200, 90)]
    plan = select_rungs(tight, bounds, source_width=1280, source_height=720)
    assert [r.bitrate_kbps for r in plan.rungs] == [100, 200]


def test_rungs_carry_the_crf_read_off_their_size_curve() -> None:
    points = [
        TrialPoint(1280, 720, 500, 80, 34),
        TrialPoint(1280, 720, 1000, 90, 27),
        TrialPoint(1280, 720, 4000, 98, 20),
    ]
    plan = select_rungs(
        points,
        replace(DEFAULT_BOUNDS, vmaf_target=95, min_bitrate_kbps=50),
        source_width=1280,
        source_height=720,
    )
    by_rate = {r.bitrate_kbps: r for r in plan.rungs}
    assert by_rate[500].crf == 34 and by_rate[1000].crf == 27
    top = plan.rungs[-1]
    # VMAF 95 is 5/8 of the way from 90 to 98: the same share of log bitrate and of CRF.
    assert top.vmaf == 95
    assert top.bitrate_kbps == round(1000 * 4 ** (5 / 8))
    assert top.crf == pytest.approx(27 - 7 * 5 / 8, abs=0.05)


def test_a_flat_titles_top_rung_is_raised_to_the_least_bitrate() -> None:
    # Colour bars: a few kb/s reach the target, but a rung's VBV buffer that
    # small cannot hold a keyframe. Past the curve, the rung keeps the target's VMAF.
    bars = [TrialPoint(640, 360, 8.0, 94.0, 34), TrialPoint(640, 360, 8.8, 97.0, 20)]
    bounds = replace(DEFAULT_BOUNDS, min_bitrate_kbps=150)
    plan = select_rungs(bars, bounds, source_width=640, source_height=360)
    [rung] = plan.rungs
    assert (rung.bitrate_kbps, rung.vmaf) == (150, 95)
    assert rung.crf is not None and 20 < rung.crf < 34
    assert "least bitrate, 150 kb/s" in plan.note
    # Where the size's curve reaches the least bitrate, the rung is read off it there.
    points = [TrialPoint(640, 360, 50, 90, 34), TrialPoint(640, 360, 400, 99, 20)]
    bounds = replace(DEFAULT_BOUNDS, min_bitrate_kbps=150, vmaf_target=92)
    [rung] = select_rungs(points, bounds, source_width=640, source_height=360).rungs
    share = math.log(150 / 50) / math.log(400 / 50)
    assert rung.bitrate_kbps == 150
    assert rung.vmaf == pytest.approx(90 + 9 * share, abs=0.01)
    assert rung.crf == pytest.approx(34 - 14 * share, abs=0.05)
    # A top rung over the least bitrate is left where the target put it.
    top = select_rungs(
        points, replace(DEFAULT_BOUNDS, min_bitrate_kbps=50, vmaf_target=92), **SOURCE_360
    )
    assert top.rungs[-1].vmaf == 92 and top.rungs[-1].bitrate_kbps < 150


def test_plan_metadata_round_trips() -> None:
    plan = select_rungs(CROSSOVER, DEFAULT_BOUNDS, source_width=1920, source_height=1080)
    data = plan.to_metadata(with_trials=True)
    assert data["rungs"][0] == {
        "width": 426,
        "height": 240,
        "bitrate_kbps": plan.rungs[0].bitrate_kbps,
        "vmaf": plan.rungs[0].vmaf,
        "crf": None,
    }
    assert LadderPlan.from_metadata(data) == plan
    assert "trials" not in plan.to_metadata()
