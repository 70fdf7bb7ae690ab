"""Chunk planning: whole segments, boundaries on the shared frame timeline, keyframe-aware ends."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest

from reelstack.media.ffmpeg.options import FrameWindow
from reelstack.media.packaging.chunks import (
    Chunk,
    concat_list,
    keyframe_boundaries,
    plan_chunks,
    segment_count,
    segment_frame,
)

NTSC = Fraction(30000, 1001)


def test_segment_starts_at_the_first_frame_at_or_after_its_time() -> None:
    assert [segment_frame(k, 4, Fraction(25)) for k in range(4)] == [0, 100, 200, 300]
    # 4 s at 29.97 fps is 119.88 frames: segment 1 starts at frame 120 (4.004 s).
    assert [segment_frame(k, 4, NTSC) for k in range(4)] == [0, 120, 240, 360]
    assert segment_frame(1, 4, Fraction(24000, 1001)) == 96  # 95.9 frames


def test_segments_are_those_holding_a_frame() -> None:
    assert segment_count(10.0, 4, Fraction(25)) == 3
    assert segment_count(8.0, 4, Fraction(25)) == 2  # 200 frames: the third segment is empty
    assert segment_count(8.0005, 4, Fraction(25)) == 2  # rounding, not a frame
    assert segment_count(8.04, 4, Fraction(25)) == 3  # frame 200 starts a third segment
    assert segment_count(1.0, 4, Fraction(25)) == 1
    # 299 frames at 29.97: segment 2 starts at frame 240 and holds 59 of them.
    assert segment_count(299 / float(NTSC), 4, NTSC) == 3
    assert segment_count(240 / float(NTSC), 4, NTSC) == 2


def test_chunks_cover_the_title_in_whole_segments_without_gaps() -> None:
    chunks = plan_chunks(60.0, Fraction(25), segment_s=4, chunk_s=16)
    assert [c.segments for c in chunks] == [4, 3, 4, 4]
    assert [c.first_segment for c in chunks] == [0, 4, 7, 11]
    for before, after in itertools.pairwise(chunks):
        assert before.frames is not None
        assert before.start_frame + before.frames == after.start_frame
    assert chunks[-1].frames is None  # the last runs to the end
    assert chunks[1].start_s == 16.0
    assert chunks[0].duration_s == 16.0


def test_segments_are_shared_out_evenly() -> None:
    # 15 segments in chunks of about 2: 8 chunks, never a long last one that
    # every other worker would wait for.
    sizes = [c.segments for c in plan_chunks(60.0, Fraction(25), segment_s=4, chunk_s=8)]
    assert len(sizes) == 8 and sum(sizes) == 15 and max(sizes) - min(sizes) == 1
    # 5 segments: 2.5 chunks round to 3.
    assert [c.segments for c in plan_chunks(18.0, Fraction(25), segment_s=4, chunk_s=8)] == [
        2,
        1,
        2,
    ]
    for seconds in (7.0, 33.0, 61.0, 119.0, 600.0):
        for chunk_s in (4, 8, 16, 30):
            sizes = [
                c.segments for c in plan_chunks(seconds, Fraction(25), segment_s=4, chunk_s=chunk_s)
            ]
            assert max(sizes) - min(sizes) <= 1, (seconds, chunk_s, sizes)


def test_a_title_shorter_than_a_chunk_is_one_chunk() -> None:
    chunks = plan_chunks(3.0, Fraction(30), segment_s=4, chunk_s=16)
    assert len(chunks) == 1
    assert chunks[0].start_frame == 0 and chunks[0].frames is None


def test_chunk_ends_move_to_boundaries_just_after_source_keyframes() -> None:
    # 15 segments in 8 chunks: the end of the fourth chunk is due at segment
    # 7.5, so 7 (28 s) and 8 (32 s) are as even as each other; the one just
    # after a source keyframe decodes nothing for nothing.
    def fourth_end(keyframes: list[float]) -> float:
        chunks = plan_chunks(60.0, Fraction(25), segment_s=4, chunk_s=8, keyframes=keyframes)
        return chunks[4].start_s

    assert fourth_end([0.0, 28.0]) == 28.0
    assert fourth_end([0.0, 32.0]) == 32.0
    # Moving an end by a whole segment makes a chunk 4 s longer than its share:
    # saving 16 s of decoding (1.6 s of work at a tenth) is not worth that.
    even = plan_chunks(48.0, Fraction(25), segment_s=4, chunk_s=16)
    keyed = plan_chunks(48.0, Fraction(25), segment_s=4, chunk_s=16, keyframes=[0.0, 16.5, 32.5])
    assert [c.start_s for c in even] == [c.start_s for c in keyed] == [0.0, 16.0, 32.0]


def test_keyframes_forced_at_every_segment_start_of_a_chunk() -> None:
    chunks = plan_chunks(24.0, NTSC, segment_s=4, chunk_s=8)
    second = chunks[1]
    # Counted from the chunk's own first frame (global frame 240): 360 - 240.
    assert keyframe_boundaries(second, 4) == (0, 120)


def test_chunk_survives_json() -> None:
    chunk = Chunk(3, 6, 2, 720, None, NTSC)
    assert Chunk.from_json(chunk.to_json()) == chunk
    assert chunk.name == "c0003"
    assert chunk.window == FrameWindow(720, None, NTSC)


def test_concat_list_gives_exact_durations_and_refuses_other_names() -> None:
    text = concat_list([("c0000.mp4", 8.008), ("c0001.mp4", None)])
    assert text.splitlines() == [
        "ffconcat version 1.0",
        "file c0000.mp4",
        "duration 8.008000",
        "file c0001.mp4",
    ]
    for bad in ("../x.mp4", "/etc/passwd", "a b.mp4", "-x.mp4", "http:x", ".hidden", "x\nfile y"):
        with pytest.raises(ValueError):
            concat_list([(bad, None)])
    with pytest.raises(ValueError):
        concat_list([])
