"""Trickplay: thumbnail sizes and the WebVTT track pointing into the sprite sheets."""

from __future__ import annotations

from reelstack import settings
from reelstack.config import read_group
from reelstack.media import settings as media_settings
from reelstack.media.extras import trickplay


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


def test_options_come_from_the_trickplay_settings() -> None:
    config = settings.load(environ={"REELSTACK_MEDIA_TRICKPLAY_GRID": "4"})
    options = read_group(config, trickplay.TrickplayOptions, media_settings.TRICKPLAY)
    assert (options.interval_s, options.width, options.grid) == (5.0, 240, 4)
    assert options.jpeg_quality == trickplay.JPEG_QUALITY
