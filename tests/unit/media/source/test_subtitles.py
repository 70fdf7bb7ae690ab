"""Subtitle uploads: SubRip and WebVTT become clean WebVTT; languages are checked."""

from __future__ import annotations

import pytest

from reelstack.media.source import subtitles
from reelstack.media.source.validate import MediaRefused


def test_subrip_becomes_clean_webvtt() -> None:
    srt = (
        "\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\n"
        "<i>Hello</i> <font color=red>you</font>\r\n\r\n"
        "2\r\n00:00:03,000 --> 00:00:04,000\r\nTom & Jerry <3 --> ok\r\n\r\n"
        "3\r\n00:00:09,000 --> 00:00:12,000\r\nlate\r\n"
    ).encode()
    vtt = subtitles.convert(srt, duration_s=10.0)
    assert vtt.splitlines() == [
        "WEBVTT",
        "",
        "00:00:01.000 --> 00:00:02.500",
        "<i>Hello</i> you",
        "",
        "00:00:03.000 --> 00:00:04.000",
        "Tom &amp; Jerry &lt;3 --&gt; ok",
        "",
        "00:00:09.000 --> 00:00:10.000",
        "late",
    ]


def test_webvtt_uploads_are_rewritten_and_garbage_refused() -> None:
    vtt = b"WEBVTT\n\nNOTE hi\n\n00:01.000 --> 00:02.000 align:start\nok\n"
    assert subtitles.convert(vtt).splitlines()[2:4] == ["00:00:01.000 --> 00:00:02.000", "ok"]
    for bad in (b"\x00\x01binary", b"just some text", b"1\n00:00:99,000 --> 00:01:00,000\nx\n"):
        with pytest.raises(MediaRefused):
            subtitles.convert(bad)
    assert subtitles.check_language("pt-BR") == "pt-BR"
    with pytest.raises(MediaRefused):
        subtitles.check_language('en"')


# -- issue 11: crafted files that made the old patterns backtrack for minutes ----------


def test_a_long_run_of_spaces_before_the_arrow_is_refused_by_its_length() -> None:
    # `(.*?)\s*-->\s*(\S+)` tried every split of this run: cubic, minutes at 80 kB.
    crafted = b"1\n0" + b" " * 80_000 + b"-->\n"
    with pytest.raises(MediaRefused, match=f"longer than {subtitles.MAX_LINE_CHARS} characters"):
        subtitles.parse(crafted)


def test_crafted_lines_just_under_the_cap_fill_a_whole_file_and_still_parse() -> None:
    # The worst each old pattern saw, at the longest line allowed, up to the size cap.
    spaces = b"00:00:01,000" + b" " * (subtitles.MAX_LINE_CHARS - 40) + b"--> 00:00:02,000"
    unclosed = b"<" + b"a" * (subtitles.MAX_LINE_CHARS - 1)
    block = b"1\n" + spaces + b"\n" + unclosed + b"\n&#" + b"1" * 1990 + b"\n\n"
    crafted = block * (subtitles.MAX_BYTES // len(block))
    cues = subtitles.parse(crafted)
    assert len(cues) == subtitles.MAX_BYTES // len(block)
    assert cues[0].text.startswith("&lt;aaa")


def test_a_cue_without_an_end_time_is_refused_not_a_crash() -> None:
    with pytest.raises(MediaRefused, match="without an end time"):
        subtitles.parse(b"1\n00:00:01,000 -->   \nhello\n")


def test_too_many_cues_and_too_many_bytes_are_refused() -> None:
    cue = b"00:00:01.000 --> 00:00:02.000\nx\n\n"
    with pytest.raises(MediaRefused, match=f"more than {subtitles.MAX_CUES} cues"):
        subtitles.parse(cue * (subtitles.MAX_CUES + 1))
    with pytest.raises(MediaRefused, match=f"over {subtitles.MAX_BYTES} bytes"):
        subtitles.parse(cue * (subtitles.MAX_BYTES // len(cue) + 1))


def test_the_deadline_stops_a_parse_that_runs_past_it() -> None:
    cue = b"00:00:01.000 --> 00:00:02.000\nx\n\n"
    with pytest.raises(MediaRefused, match="took longer than"):
        subtitles.parse(cue * 10, deadline_s=-1.0)


def test_an_overlong_language_tag_is_refused() -> None:
    with pytest.raises(MediaRefused, match="not a language tag"):
        subtitles.check_language("en" + "-abcdefgh" * 100)
