"""Renditions of a ladder: VBV cap from the bitrate, kept in the job's plan."""

from __future__ import annotations

import pytest

from reelstack.media.ladder.renditions import Rendition


def test_vbv_follows_the_rung_bitrate() -> None:
    rung = Rendition("v0", "h264", 1920, 1080, 4300)
    assert rung.maxrate_kbps == 6450
    assert rung.bufsize_kbps == 8600


def test_rendition_survives_json() -> None:
    rendition = Rendition("av1-2", "av1", 1280, 720, 1645)
    assert Rendition.from_json(rendition.to_json()) == rendition
    capped = Rendition("v1", "h264", 640, 360, 430, crf=26.4)
    assert Rendition.from_json(capped.to_json()) == capped
    with pytest.raises(ValueError):
        Rendition.from_json(rendition.to_json() | {"codec": "hevc"})
