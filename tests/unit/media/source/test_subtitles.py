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
