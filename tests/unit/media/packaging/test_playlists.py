"""HLS playlists and the DASH manifest over one set of CMAF segments."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

import m3u8  # type: ignore[import-untyped]
import pytest

from reelstack.media.packaging.mp4info import SegmentInfo
from reelstack.media.packaging.playlists import (
    KeyInfo,
    Presentation,
    SubtitleTrack,
    Track,
    dash_manifest,
    master_playlist,
    media_playlist,
    subtitle_playlist,
)

NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}


def _track(
    name: str, codec: str, sizes: list[int], *, timescale: int = 1000, **extra: object
) -> Track:
    segments = tuple(SegmentInfo(i * 4000, 4000, size) for i, size in enumerate(sizes))
    return Track(
        name=name, kind="video", codec=codec, timescale=timescale, segments=segments, **extra
    )  # type: ignore[arg-type]


def _presentation() -> Presentation:
    low = _track(
        "v0",
        "avc1.42c00d",
        [100_000, 200_000, 50_000],
        width=320,
        height=180,
        fps=Fraction(30000, 1001),
    )
    high = _track(
        "v1",
        "avc1.64001f",
        [400_000, 600_000, 200_000],
        width=640,
        height=360,
        fps=Fraction(30000, 1001),
    )
    audio = Track(
        name="a0",
        kind="audio",
        codec="mp4a.40.2",
        timescale=48000,
        segments=tuple(SegmentInfo(i * 192000, 192000, 64_000) for i in range(3)),
        channels=2,
        language="en",
        label="English",
    )
    subs = (SubtitleTrack("subs/fr", "fr", "Français"),)
    return Presentation((high, low), audio, subs)


def test_master_playlist_states_measured_bandwidth_codecs_size_and_rate() -> None:
    text = master_playlist(_presentation())
    parsed = m3u8.loads(text)
    assert parsed.is_variant
    variants = parsed.playlists
    assert [v.uri for v in variants] == ["v0/index.m3u8", "v1/index.m3u8"]
    low, high = (v.stream_info for v in variants)
    # Peak: the biggest 4 s segment, plus the audio's peak (64 kB per 4 s).
    assert low.bandwidth == 200_000 * 8 // 4 + 128_000
    assert low.average_bandwidth == 350_000 * 8 // 12 + 1 + 128_000
    assert high.resolution == (640, 360)
    assert high.codecs == "avc1.64001f,mp4a.40.2"
    assert high.frame_rate == pytest.approx(29.97)
    assert high.audio == "audio"
    assert high.subtitles == "subs"
    audio = [m for m in parsed.media if m.type == "AUDIO"]
    assert [(m.uri, m.language, m.default) for m in audio] == [("a0/index.m3u8", "en", "YES")]
    subs = [m for m in parsed.media if m.type == "SUBTITLES"]
    assert [(m.uri, m.language, m.name) for m in subs] == [("subs/fr/index.m3u8", "fr", "Français")]


def test_media_playlist_is_vod_fmp4_with_the_key_after_the_map() -> None:
    track = _track("v0", "avc1.42c00d", [1, 2, 3], timescale=30000)
    text = media_playlist(track, key=KeyInfo("/api/playback/keys/t1"))
    lines = text.splitlines()
    assert lines.index('#EXT-X-MAP:URI="init.mp4"') < lines.index(
        '#EXT-X-KEY:METHOD=AES-128,URI="/api/playback/keys/t1"'
    )
    parsed = m3u8.loads(text)
    assert parsed.is_endlist and parsed.playlist_type == "vod"
    assert parsed.target_duration == 1  # 4000 units at 30000/s is 0.13 s
    assert [s.uri for s in parsed.segments] == ["seg_00000.m4s", "seg_00001.m4s", "seg_00002.m4s"]
    assert parsed.segments[0].key.method == "AES-128"
    clear = m3u8.loads(media_playlist(_track("v0", "avc1.42c00d", [1, 2], timescale=1000)))
    assert clear.target_duration == 4
    assert clear.keys == [None]


def test_subtitle_playlist_is_one_segment_of_the_whole_file() -> None:
    parsed = m3u8.loads(subtitle_playlist(SubtitleTrack("subs/en", "en", "English"), 9.5))
    assert [(s.uri, s.duration) for s in parsed.segments] == [("subtitles.vtt", 9.5)]
    assert parsed.target_duration == 10


def test_dash_manifest_points_at_the_same_segments() -> None:
    root = ET.fromstring(dash_manifest(_presentation(), segment_s=4))
    assert root.get("type") == "static"
    assert root.get("mediaPresentationDuration") == "PT12.000S"
    sets = root.findall("d:Period/d:AdaptationSet", NS)
    assert [s.get("contentType") for s in sets] == ["video", "audio", "text"]
    reps = sets[0].findall("d:Representation", NS)
    assert [(r.get("id"), r.get("codecs"), r.get("width")) for r in reps] == [
        ("v0", "avc1.42c00d", "320"),
        ("v1", "avc1.64001f", "640"),
    ]
    template = reps[1].find("d:SegmentTemplate", NS)
    assert template is not None
    assert template.get("media") == "v1/seg_$Number%05d$.m4s"
    assert template.get("initialization") == "v1/init.mp4"
    timeline = template.findall("d:SegmentTimeline/d:S", NS)
    assert [(s.get("t"), s.get("d"), s.get("r")) for s in timeline] == [("0", "4000", "2")]
    assert sets[1].get("lang") == "en"
    text = sets[2].find("d:Representation/d:BaseURL", NS)
    assert text is not None and text.text == "subs/fr/subtitles.vtt"
