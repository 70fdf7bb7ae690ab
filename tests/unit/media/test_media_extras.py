"""Pure parts of trickplay, artwork, intro alignment, tus headers and the demo spec."""

from __future__ import annotations

import base64
import random

import pytest

from reelstack.errors import InvalidRequestError
from reelstack.media import artwork, demo, intro, trickplay
from reelstack.media.service import title_meta
from reelstack.media.uploads import encode_metadata, parse_checksum, parse_metadata


def test_vtt_cues_tile_the_sheets_in_reading_order() -> None:
    text = trickplay.build_vtt(count=6, interval_s=2, duration_s=11, size=(96, 54), grid=2)
    lines = text.splitlines()
    assert lines[0] == "WEBVTT"
    cues = [(lines[i], lines[i + 1]) for i, line in enumerate(lines) if "-->" in line]
    assert cues[0] == ("00:00:00.000 --> 00:00:02.000", "sprite-001.jpg#xywh=0,0,96,54")
    assert cues[3] == ("00:00:06.000 --> 00:00:08.000", "sprite-001.jpg#xywh=96,54,96,54")
    assert cues[4][1] == "sprite-002.jpg#xywh=0,0,96,54"
    assert cues[5][0] == "00:00:10.000 --> 00:00:11.000"  # the last cue ends with the title


def test_thumbnail_sizes_keep_the_picture_shape() -> None:
    assert trickplay.thumb_size((1920, 1080), 240) == (240, 136)
    assert trickplay.thumb_size((160, 120), 240) == (160, 120)  # never upscaled
    assert trickplay.thumbnail_count(10.0, 5.0) == 2
    assert trickplay.thumbnail_count(10.01, 5.0) == 3


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


def test_tus_metadata_round_trip_and_refusals() -> None:
    data = {"title": "Été à Paris", "genres": "Drama,Romance", "empty": ""}
    assert parse_metadata(encode_metadata(data)) == data
    assert parse_metadata("flag") == {"flag": ""}
    with pytest.raises(InvalidRequestError):
        parse_metadata("a !!!notbase64")
    with pytest.raises(InvalidRequestError):
        parse_metadata(f"a {base64.b64encode(b'x').decode()},a {base64.b64encode(b'y').decode()}")
    assert (
        parse_checksum("sha1 " + base64.b64encode(b"12345678901234567890").decode()).algorithm
        == "sha1"
    )
    with pytest.raises(InvalidRequestError):
        parse_checksum("crc32 AAAA")


def test_title_metadata_rules() -> None:
    meta = title_meta({"title": " Pilot ", "series": "S", "season": "1", "episode": "2"})
    assert (meta.name, meta.kind.value, meta.season, meta.episode) == ("Pilot", "episode", 1, 2)
    assert title_meta({"filename": "my movie.mp4"}).name == "my movie"
    for bad in (
        {},
        {"title": "x", "season": "1"},
        {"title": "x", "series": "S"},
        {"title": "x", "maturity_rating": "XXX"},
        {"title": "x", "series": "S", "season": "one", "episode": "1"},
    ):
        with pytest.raises(InvalidRequestError):
            title_meta(bad)


def test_demo_spec() -> None:
    titles = demo.catalog(12)
    assert len(titles) == 12
    episodes = [t for t in titles if t.series]
    assert len(episodes) >= 3
    assert len({t.intro_at_s for t in episodes}) == len(episodes)  # different offsets
    assert len({t.video for t in titles}) == len(titles)
    assert demo.spec_hash(titles, seconds=24, size="640x360") != demo.spec_hash(
        titles, seconds=20, size="640x360"
    )
    assert demo.length_of(episodes[0], 10) == demo.EPISODE_MIN_S
    graph = demo.audio_graph(episodes[0], 30)
    assert graph.count("aevalsrc") == 4 and "concat=n=4" in graph
    with pytest.raises(ValueError):
        demo.audio_graph(episodes[0], 10)
