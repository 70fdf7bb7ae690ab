"""Curve interpolation and savings at equal VMAF: the arithmetic behind the savings figure."""

from __future__ import annotations

import pytest

from reelstack.media.ladder.curves import (
    bd_saving,
    bitrate_at_vmaf,
    monotone_curve,
    savings_at_equal_vmaf,
    vmaf_at_bitrate,
)


def test_monotone_curve_sorts_and_drops_points_that_do_not_improve() -> None:
    assert monotone_curve([(800, 80), (200, 50), (400, 49), (100, 40), (0, 10)]) == [
        (100, 40),
        (200, 50),
        (800, 80),
    ]


def test_curve_interpolation_is_linear_in_log_bitrate() -> None:
    curve = [(100.0, 40.0), (400.0, 60.0)]
    assert vmaf_at_bitrate(curve, 200) == pytest.approx(50.0)
    assert bitrate_at_vmaf(curve, 50) == pytest.approx(200.0)
    assert vmaf_at_bitrate(curve, 800) is None
    assert bitrate_at_vmaf(curve, 70) is None
    # Reach extends the end segments, capped at 100.
    assert vmaf_at_bitrate(curve, 800, reach=2) == pytest.approx(70.0)
    assert vmaf_at_bitrate(curve, 50, reach=2) == pytest.approx(30.0)
    assert vmaf_at_bitrate(curve, 801, reach=2) is None
    assert vmaf_at_bitrate([(100.0, 90.0), (200.0, 99.0)], 400, reach=4) == 100.0


def test_savings_at_equal_vmaf_per_rung() -> None:
    # Per-title needs 20 % fewer bits than fixed everywhere.
    fixed = [(1000.0, 70.0), (2000.0, 80.0), (4000.0, 90.0)]
    pertitle = [(800.0, 70.0), (1600.0, 80.0), (3200.0, 90.0)]
    result = savings_at_equal_vmaf(fixed, pertitle)
    assert [r.saving for r in result.rungs] == pytest.approx([0.2, 0.2, 0.2])
    assert result.mean_saving == pytest.approx(0.2)
    assert result.bd_saving == pytest.approx(0.2)
    assert result.skipped == 0


def test_savings_skip_rungs_outside_the_per_title_curve() -> None:
    # The fixed top rung reaches VMAF 97; the per-title ladder stops at 95.
    fixed = [(1000.0, 70.0), (4000.0, 90.0), (6000.0, 97.0)]
    pertitle = [(500.0, 70.0), (2000.0, 95.0)]
    result = savings_at_equal_vmaf(fixed, pertitle)
    assert result.skipped == 1
    at_90 = bitrate_at_vmaf(pertitle, 90)
    assert at_90 is not None
    assert [r.pertitle_kbps for r in result.rungs] == pytest.approx([500.0, at_90])
    assert result.mean_saving == pytest.approx((0.5 + (1 - at_90 / 4000)) / 2)


def test_savings_can_be_negative_and_need_overlap() -> None:
    worse = savings_at_equal_vmaf(
        [(1000.0, 70.0), (2000.0, 80.0)], [(1500.0, 70.0), (3000.0, 80.0)]
    )
    assert worse.mean_saving == pytest.approx(-0.5)
    assert worse.bd_saving == pytest.approx(-0.5)
    apart = savings_at_equal_vmaf([(1000.0, 30.0), (2000.0, 40.0)], [(500.0, 70.0), (900.0, 80.0)])
    assert apart.rungs == () and apart.mean_saving is None and apart.bd_saving is None
    assert bd_saving([(1.0, 1.0)], [(1.0, 1.0), (2.0, 2.0)]) is None


def test_bd_saving_survives_awkward_float_ranges() -> None:
    # Ranges whose ends do not divide evenly must not step past the overlap.
    fixed = [(1755.0, 20.41), (3845.0, 21.86), (4872.0, 67.24)]
    pertitle = [(677.0, 28.91), (2555.0, 36.88), (5977.0, 57.76)]
    result = bd_saving(fixed, pertitle)
    assert result is not None and -1 < result < 1
