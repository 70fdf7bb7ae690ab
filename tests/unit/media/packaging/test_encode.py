"""The chunk encode command: one decode, every rendition, aligned keyframes, VBV by bitrate."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from reelstack.media.ffmpeg.commands import video_encode_args
from reelstack.media.ffmpeg.options import Container, SafeInput
from reelstack.media.ladder.plan import LadderPlan, Rung
from reelstack.media.ladder.renditions import Rendition, renditions_for
from reelstack.media.packaging.chunks import Chunk
from reelstack.media.packaging.encode import chunk_encode_argv, gop_frames, output_fps, video_encode
from tests.unit.media.defaults import DEFAULT_ENCODE

FFMPEG = Path("/usr/bin/ffmpeg")
SRC = SafeInput(Path("/jobs/j/source"), Container.MATROSKA, ("h264", "aac"))
NTSC = Fraction(30000, 1001)


def _outputs(argv: list[str]) -> list[list[str]]:
    """The argument groups of each output (from its -map to its file)."""
    groups: list[list[str]] = []
    for arg in argv:
        if arg == "-map":
            groups.append([])
        if groups:
            groups[-1].append(arg)
    return groups


def _value(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_one_run_decodes_the_chunk_once_into_every_rendition(tmp_path: Path) -> None:
    renditions = [
        Rendition("v0", "h264", 320, 180, 300),
        Rendition("v1", "h264", 640, 360, 800),
    ]
    chunk = Chunk(1, 2, 2, 240, 240, NTSC)
    argv = chunk_encode_argv(
        FFMPEG, SRC, chunk, renditions, replace(DEFAULT_ENCODE, encode_threads=1), tmp_path
    )
    assert argv.count("-i") == 1
    graph = _value(argv, "-filter_complex")
    assert "split=2" in graph
    assert "scale=320:180" in graph and "scale=640:360" in graph
    assert "trim=end_frame=240" in graph
    outputs = _outputs(argv)
    assert len(outputs) == 2
    files = [a for a in argv if a.startswith("file:") and a != f"file:{SRC.path}"]
    assert files == [f"file:{tmp_path / 'v0.mp4'}", f"file:{tmp_path / 'v1.mp4'}"]
    for group, rendition in zip(outputs, renditions, strict=True):
        assert _value(group, "-c:v") == "libx264"
        assert _value(group, "-b:v") == f"{rendition.bitrate_kbps}k"
        assert _value(group, "-maxrate") == f"{rendition.maxrate_kbps}k"
        assert _value(group, "-bufsize") == f"{rendition.bufsize_kbps}k"
        # Keyframes exactly at this chunk's two segment starts, none from scene cuts,
        # and x264's own interval never earlier than the next forced one.
        assert _value(group, "-force_key_frames") == "expr:eq(n,0)+eq(n,120)"
        assert _value(group, "-sc_threshold") == "0"
        assert _value(group, "-g") == "120"
        assert "-an" in group


def test_av1_renditions_sit_beside_h264_never_alone(tmp_path: Path) -> None:
    plan = LadderPlan("fixed", (Rung(320, 240, 235), Rung(640, 480, 1050)), 640, 480)
    plain = renditions_for(plan)
    assert [r.codec for r in plain] == ["h264", "h264"]
    both = renditions_for(plan, av1_ratio=0.5)
    assert [r.name for r in both] == ["v0", "v1", "av1-0", "av1-1"]
    assert both[3].bitrate_kbps == 525
    assert all(r.codec in ("h264", "av1") for r in both)  # never HEVC
    chunk = Chunk(0, 0, 1, 0, 100, Fraction(25))
    argv = chunk_encode_argv(
        FFMPEG, SRC, chunk, both, replace(DEFAULT_ENCODE, encode_threads=2), tmp_path
    )
    av1 = _outputs(argv)[2]
    assert _value(av1, "-c:v") == "libsvtav1"
    assert "-maxrate" not in av1  # SVT-AV1 takes a peak rate only with CRF
    assert _value(av1, "-bufsize") == "236k"  # 2x its 118 kb/s
    assert _value(av1, "-svtav1-params") == "lp=2"
    assert _value(av1, "-force_key_frames") == "expr:eq(n,0)"


def test_threads_reach_the_decoder_filters_and_encoders(tmp_path: Path) -> None:
    argv = chunk_encode_argv(
        FFMPEG,
        SRC,
        Chunk(0, 0, 1, 0, 100, Fraction(25)),
        [Rendition("v0", "h264", 320, 180, 300)],
        replace(DEFAULT_ENCODE, encode_threads=1),
        tmp_path,
    )
    before_input = argv[: argv.index("-i")]
    assert _value(before_input, "-threads") == "1"
    assert _value(argv, "-filter_complex_threads") == "1"
    assert _value(_outputs(argv)[0], "-threads") == "1"


def test_output_folder_must_be_absolute() -> None:
    with pytest.raises(ValueError):
        chunk_encode_argv(
            FFMPEG,
            SRC,
            Chunk(0, 0, 1, 0, None, Fraction(25)),
            [Rendition("v0", "h264", 320, 180, 300)],
            DEFAULT_ENCODE,
            Path("relative"),
        )


def test_frame_rate_is_the_sources_at_most_60() -> None:
    assert output_fps(NTSC) == NTSC
    assert output_fps(Fraction(120)) == Fraction(60)
    assert output_fps(Fraction(100)) == Fraction(50)
    assert output_fps(None) == Fraction(25)
    assert gop_frames(NTSC, 4) == 120
    assert gop_frames(Fraction(25), 4) == 100


def test_per_title_rungs_encode_at_their_crf_under_the_bitrates_cap() -> None:
    plan = LadderPlan(
        "pertitle", (Rung(426, 240, 160, 82.0, 27.0), Rung(640, 360, 430, 95.0, 26.4)), 640, 360
    )
    low, high = renditions_for(plan, av1_ratio=0.7)[:2]
    assert (low.crf, high.crf) == (27.0, 26.4)
    enc = video_encode(high, DEFAULT_ENCODE, Fraction(25))
    assert (enc.crf, enc.bitrate_kbps) == (26.4, None)
    assert (enc.maxrate_kbps, enc.bufsize_kbps) == (645, 860)  # the cap of 430 kb/s
    args = video_encode_args(enc)
    assert _value(args, "-crf") == "26.4" and _value(args, "-maxrate") == "645k"
    assert "-b:v" not in args
    # AV1 beside them, and every fixed rung, keep the average bitrate.
    assert all(r.crf is None for r in renditions_for(plan, av1_ratio=0.7) if r.codec == "av1")
    fixed = renditions_for(LadderPlan("fixed", (Rung(640, 360, 560),), 640, 360))
    assert video_encode(fixed[0], DEFAULT_ENCODE, Fraction(25)).bitrate_kbps == 560
    with pytest.raises(ValueError, match=r"only H\.264"):
        Rendition("av1-0", "av1", 640, 360, 300, crf=30.0)
