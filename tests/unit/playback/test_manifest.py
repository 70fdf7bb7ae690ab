"""A play's master playlist: only the variants the plan and device allow, every URI signed."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from reelstack.playback.manifest import (
    NoRenditionError,
    filtered_master,
    first_variant,
    key_on_any_host,
    key_uri,
)
from reelstack.playback.models import Device, PlanLimits
from reelstack.signed_urls import UrlSigner

SIGNER = UrlSigner(b"k" * 32)
NOW = 1_800_000_000
FOLDER = "t1/j1"
BASIC = PlanLimits("basic", 1, 720)
STANDARD = PlanLimits("standard", 2, 1080)
PREMIUM = PlanLimits("premium", 4, None)
ANY = Device("d1", "TV")

# As media's packaging writes it (reelstack.media.packaging.playlists.master_playlist).
MASTER = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="a0/index.m3u8"
#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subs/en/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=500000,AVERAGE-BANDWIDTH=400000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="audio",SUBTITLES="subs",CLOSED-CAPTIONS=NONE
v0/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=3000000,AVERAGE-BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="audio",SUBTITLES="subs",CLOSED-CAPTIONS=NONE
v1/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=6000000,AVERAGE-BANDWIDTH=5000000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2",AUDIO="audio",SUBTITLES="subs",CLOSED-CAPTIONS=NONE
v2/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=12000000,AVERAGE-BANDWIDTH=10000000,RESOLUTION=3840x2160,CODECS="avc1.640033,mp4a.40.2",AUDIO="audio",SUBTITLES="subs",CLOSED-CAPTIONS=NONE
v3/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2000000,AVERAGE-BANDWIDTH=1500000,RESOLUTION=1280x720,CODECS="av01.0.05M.08,mp4a.40.2",AUDIO="audio",SUBTITLES="subs",CLOSED-CAPTIONS=NONE
v4/index.m3u8
"""


def _filtered(plan: PlanLimits, device: Device = ANY, text: str = MASTER) -> str:
    return filtered_master(
        text, folder=FOLDER, plan=plan, device=device, signer=SIGNER, expires=NOW + 600
    )


def _variants(text: str) -> list[str]:
    lines = text.splitlines()
    return [lines[i + 1].rsplit("/", 2)[-2] for i, line in enumerate(lines) if "STREAM-INF" in line]


@pytest.mark.parametrize(
    ("plan", "expected"),
    [(BASIC, ["v0", "v1", "v4"]), (STANDARD, ["v0", "v1", "v2", "v4"]), (PREMIUM, None)],
)
def test_the_plan_caps_the_resolution(plan: PlanLimits, expected: list[str] | None) -> None:
    assert _variants(_filtered(plan)) == (expected or ["v0", "v1", "v2", "v3", "v4"])


def test_codecs_the_device_cannot_decode_are_dropped() -> None:
    avc_only = Device("d1", "Old TV", codecs=frozenset({"avc1"}))
    assert _variants(_filtered(PREMIUM, avc_only)) == ["v0", "v1", "v2", "v3"]
    av1_only = Device("d1", "New TV", codecs=frozenset({"av01"}), max_height=720)
    assert _variants(_filtered(PREMIUM, av1_only)) == ["v4"]


def test_the_device_height_caps_below_the_plan() -> None:
    phone = Device("d1", "Phone", max_height=360)
    assert _variants(_filtered(PREMIUM, phone)) == ["v0"]


def test_nothing_playable_is_an_error_not_an_empty_playlist() -> None:
    with pytest.raises(NoRenditionError):
        _filtered(PREMIUM, Device("d1", "x", codecs=frozenset({"vp09"})))


def test_every_uri_is_signed_for_its_own_folder_and_segments_resolve_under_it() -> None:
    out = _filtered(BASIC)
    uris = [line for line in out.splitlines() if line and not line.startswith("#")]
    uris += [line.split('URI="')[1].rstrip('"') for line in out.splitlines() if 'URI="' in line]
    assert len(uris) == 5  # three variants, the audio and the subtitles
    for uri in uris:
        assert uri.startswith("/media/s/")
        token, _, path = uri.removeprefix("/media/s/").partition("/")
        SIGNER.verify(token, path, now=NOW)
        # A segment named relative to the media playlist keeps the token.
        segment = urljoin("https://gw.example" + uri, "seg_00001.m4s")
        SIGNER.verify(token, segment.split(token + "/", 1)[1], now=NOW)
    audio = next(u for u in uris if "/a0/" in u)
    token, _, _ = audio.removeprefix("/media/s/").partition("/")
    with pytest.raises(Exception, match="does not cover"):
        SIGNER.verify(token, f"{FOLDER}/v3/seg_00001.m4s", now=NOW)


def test_uris_that_leave_the_title_folder_are_dropped_not_signed() -> None:
    hostile = MASTER.replace("v0/index.m3u8", "../../t2/j9/v0/index.m3u8").replace(
        'URI="a0/index.m3u8"', 'URI="https://elsewhere.example/a.m3u8"'
    )
    out = _filtered(BASIC, text=hostile)
    assert "t2" not in out and "elsewhere" not in out
    assert _variants(out) == ["v1", "v4"]


def test_the_key_uri_of_a_media_playlist_and_where_it_resolves() -> None:
    assert first_variant(MASTER) == "v0/index.m3u8"
    assert first_variant("#EXTM3U\n") is None
    encrypted = '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="/api/playback/keys/t1",IV=0x01\n'
    assert key_uri(encrypted) == "/api/playback/keys/t1"
    assert key_uri("#EXTM3U\n#EXT-X-KEY:METHOD=NONE\n#EXTINF:4,\ns.m4s\n") is None
    assert key_uri("#EXTM3U\n#EXTINF:4,\ns.m4s\n") is None
    assert key_on_any_host(None) and key_on_any_host("https://watch.example/api/playback/keys/t1")
    for relative in ("/api/playback/keys/t1", "keys/t1", "", "//evil/k"):
        assert not key_on_any_host(relative), relative
