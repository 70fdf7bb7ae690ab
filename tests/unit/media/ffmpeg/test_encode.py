"""The ladder's encode builders: a window of the source, forced keyframes, the audio once."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from reelstack.media.ffmpeg.encode import (
    audio_encode_argv,
    force_keyframes_expr,
    window_filter,
    window_input_args,
)
from reelstack.media.ffmpeg.options import AudioEncode, Container, FrameWindow, SafeInput

FFMPEG = Path("/usr/bin/ffmpeg")
SRC = SafeInput(Path("/jobs/j/source"), Container.MATROSKA, ("h264", "aac"))
NTSC = Fraction(30000, 1001)


def _value(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_window_input_seeks_half_a_frame_early_and_stops_just_after() -> None:
    src = SafeInput(Path("/jobs/x/source"), Container.MP4, ("h264",))
    args = window_input_args(src, FrameWindow(200, 200, Fraction(25)))
    assert args[args.index("-ss") + 1] == "7.98"  # frame 200 is at 8 s; half a frame is 20 ms
    assert args[args.index("-t") + 1] == "8.1"  # 202 frames and the half frame
    assert args[-2:] == ["-i", "file:/jobs/x/source"]
    assert args[args.index("-protocol_whitelist") + 1] == "file"
    first = window_input_args(src, FrameWindow(0, 200, Fraction(25)))
    assert "-ss" not in first
    last = window_input_args(src, FrameWindow(400, None, Fraction(25)))
    assert "-t" not in last


def test_window_filter_makes_a_constant_rate_and_cuts_the_frame_count() -> None:
    assert (
        window_filter(FrameWindow(0, 120, NTSC))
        == "setpts=PTS-STARTPTS,fps=30000/1001,trim=end_frame=120"
    )
    assert "trim" not in window_filter(FrameWindow(120, None, NTSC))


def test_keyframes_are_forced_at_exactly_the_frames_given() -> None:
    assert force_keyframes_expr((0, 120)) == "expr:eq(n,0)+eq(n,120)"
    with pytest.raises(ValueError):
        force_keyframes_expr(())


def test_audio_is_aac_stereo_from_the_first_audio_stream(tmp_path: Path) -> None:
    argv = audio_encode_argv(FFMPEG, SRC, AudioEncode(), tmp_path / "a.mp4", threads=1)
    assert _value(argv, "-map") == "0:a:0"
    assert _value(argv, "-c:a") == "aac"
    assert _value(argv, "-ac") == "2"
    assert "-vn" in argv
    assert argv[-1] == f"file:{tmp_path / 'a.mp4'}"
