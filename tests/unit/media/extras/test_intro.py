"""Intro detection: aligning episodes' fingerprints and the markers found."""

from __future__ import annotations

import random

import pytest

from reelstack.media.extras import intro


def _noise(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.getrandbits(32) for _ in range(n)]


def _flip(value: int, bits: int, rng: random.Random) -> int:
    for bit in rng.sample(range(32), bits):
        value ^= 1 << bit
    return value


def test_alignment_finds_a_shared_run_at_different_offsets() -> None:
    rng = random.Random(1)
    shared = _noise(60, 99)
    a = _noise(20, 1) + shared + _noise(40, 2)
    b = _noise(55, 3) + [_flip(v, 3, rng) for v in shared] + _noise(10, 4)
    found = intro.common_segment(a, b, min_items=30)
    assert found is not None
    assert (found.a_first, found.a_last) == (20, 79)
    assert (found.b_first, found.b_last) == (55, 114)
    assert intro.common_segment(_noise(100, 5), _noise(100, 6), min_items=30) is None


def test_candidate_shifts_find_the_offset_of_exact_matches() -> None:
    shared = _noise(50, 42)
    a = _noise(30, 7) + shared
    b = _noise(5, 8) + shared + _noise(30, 9)
    assert 25 in intro.candidate_shifts(a, b, 3)


def test_detect_gives_every_episode_its_own_intro_time() -> None:
    shared, credits = _noise(80, 11), _noise(50, 12)

    def episode(before: int, seed: int) -> intro.EpisodePrints:
        head = _noise(before, seed) + shared + _noise(150 - before - 80, seed + 1)
        tail = _noise(40, seed + 2) + credits
        head_end = len(head) * intro.HOP_S
        return intro.EpisodePrints(
            60.0,
            intro.Fingerprint(0.0, head_end, tuple(head)),
            intro.Fingerprint(60.0 - len(tail) * intro.HOP_S, 60.0, tuple(tail)),
        )

    markers = intro.detect({"e1": episode(10, 100), "e2": episode(40, 200)}, min_s=4)
    for name, before in (("e1", 10), ("e2", 40)):
        found = markers[name]
        assert found.intro_start_s == pytest.approx(
            before * intro.HOP_S + intro.ITEM_OFFSET_S, abs=0.2
        )
        assert found.intro_end_s - found.intro_start_s == pytest.approx(79 * intro.HOP_S, abs=0.3)
        assert found.credits_start_s == pytest.approx(
            60 - 50 * intro.HOP_S + intro.ITEM_OFFSET_S, abs=0.3
        )
