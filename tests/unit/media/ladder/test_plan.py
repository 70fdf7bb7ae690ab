"""The ladder's plan: Netflix's fixed ladder capped at the source, sizes, metadata."""

from __future__ import annotations

import pytest

from reelstack.media.ladder.plan import (
    FIXED_LADDER,
    Rung,
    fit_size,
    fixed_plan,
)


def test_fixed_ladder_is_netflixs_pre_2015_ladder() -> None:
    assert [r.bitrate_kbps for r in FIXED_LADDER] == [
        235, 375, 560, 750, 1050, 1750, 2350, 3000, 4300, 5800
    ]  # fmt: skip
    assert [r.height for r in FIXED_LADDER] == [240, 288, 384, 384, 480, 480, 720, 720, 1080, 1080]


@pytest.mark.parametrize(
    ("source", "box", "expected"),
    [
        ((1920, 1080), 720, (1280, 720)),
        ((1920, 1080), 240, (426, 240)),
        ((1440, 1080), 240, (320, 240)),  # 4:3 fills the nominal 4:3 box
        ((1920, 800), 720, (1280, 534)),  # scope: width-bound, even height
        ((1080, 1920), 720, (720, 1280)),  # portrait: the box turns
        ((640, 360), 1080, (640, 360)),  # never upscaled
        ((853, 480), 480, (852, 480)),  # odd sides rounded to even
    ],
)
def test_fit_size(source: tuple[int, int], box: int, expected: tuple[int, int]) -> None:
    assert fit_size(*source, box) == expected


def test_fit_size_refuses_an_empty_source() -> None:
    with pytest.raises(ValueError):
        fit_size(0, 1080, 720)


def test_fixed_plan_for_1080p_is_the_whole_ladder() -> None:
    plan = fixed_plan(1920, 1080)
    assert plan.mode == "fixed"
    assert [(r.height, r.bitrate_kbps) for r in plan.rungs] == [
        (240, 235), (288, 375), (384, 560), (384, 750), (480, 1050),
        (480, 1750), (720, 2350), (720, 3000), (1080, 4300), (1080, 5800),
    ]  # fmt: skip
    assert all(r.vmaf is None for r in plan.rungs)


def test_fixed_plan_is_capped_at_the_source() -> None:
    assert [(r.height, r.bitrate_kbps) for r in fixed_plan(1280, 720).rungs][-2:] == [
        (720, 2350),
        (720, 3000),
    ]
    # A 360p source sits between the 288 and 384 rungs: the 560 rung is kept at 360p.
    assert [(r.width, r.height, r.bitrate_kbps) for r in fixed_plan(640, 360).rungs] == [
        (426, 240, 235),
        (512, 288, 375),
        (640, 360, 560),
    ]
    # A 480p source ends at the ladder's 480p rungs, at the source's own width
    # (a 16:9 box 480 high is 854 wide: 853.3 rounded down made it 852 and kept
    # the 720p 2350 kb/s rung at 854x480 as one more "upscaled" rung).
    assert [(r.width, r.height, r.bitrate_kbps) for r in fixed_plan(854, 480).rungs][-3:] == [
        (684, 384, 750),
        (854, 480, 1050),
        (854, 480, 1750),
    ]
    # Smaller than the smallest rung: one rung at the source's own size.
    assert fixed_plan(160, 120).rungs == (Rung(160, 120, 235),)


def test_fixed_plan_respects_the_top_bound() -> None:
    plan = fixed_plan(3840, 2160, top_max_height=720)
    assert max(r.height for r in plan.rungs) == 720
    assert plan.rungs[-1].bitrate_kbps == 3000
