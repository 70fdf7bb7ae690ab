"""Artwork: the frame chosen for posters and backdrops, and their crops."""

from __future__ import annotations

import random

from reelstack.media.extras import artwork


def test_artwork_prefers_a_detailed_frame_over_a_fade() -> None:
    w, h = 16, 9
    black = bytes(w * h)
    flat = bytes([128]) * (w * h)
    rng = random.Random(7)
    busy = bytes(rng.randrange(40, 220) for _ in range(w * h))
    scores = [
        artwork.score_frame(black, w, h, 1.0),
        artwork.score_frame(flat, w, h, 2.0),
        artwork.score_frame(busy, w, h, 3.0),
    ]
    assert not scores[0].usable
    assert scores[2].entropy > scores[1].entropy
    assert artwork.choose(scores).at_s == 3.0
    assert artwork.choose(scores[:1]).at_s == 1.0  # only fades: the brightest


def test_artwork_crops() -> None:
    poster, backdrop = artwork.crop_sizes((640, 360))
    assert poster == (240, 360)
    assert backdrop == (640, 360)
    poster, backdrop = artwork.crop_sizes((360, 640))  # portrait source
    assert poster == (360, 540)
    assert backdrop == (360, 202)
    times = artwork.candidate_times(100, 5)
    assert times[0] == 5.0 and times[-1] == 90.0 and len(times) == 5
