"""A player whose edge dies moves to the next edge the manifest lists, missing no segment.

Playback's steered master playlist, played by the test HLS client (which
follows redundant variant streams as hls.js does) from stand-in edges that
check the signed URLs as edges do.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from reelstack.playback.manifest import filtered_master
from reelstack.signed_urls import UrlSigner
from tests.support.edge_standin import EdgeState, StandInEdge, running
from tests.support.hls_client import HlsClient, PlaybackFailed, parse_master, parse_media
from tests.unit.playback.test_manifest import ANY, BASIC, MASTER

SIGNER = UrlSigner(b"s" * 32)
FOLDER = "film1/job1"
SEGMENTS = 6
MEDIA = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n"
MEDIA += '#EXT-X-MAP:URI="init.mp4"\n'
MEDIA += "".join(f"#EXTINF:4.0,\nseg_{n:05d}.m4s\n" for n in range(1, SEGMENTS + 1))
MEDIA += "#EXT-X-ENDLIST\n"
ORIGIN = {
    f"media/{FOLDER}/v0/index.m3u8": MEDIA.encode(),
    f"media/{FOLDER}/v0/init.mp4": b"init",
    **{f"media/{FOLDER}/v0/seg_{n:05d}.m4s": f"segment {n}".encode() for n in range(1, 7)},
}
EXPECTED = [f"segment {n}".encode() for n in range(1, SEGMENTS + 1)]


def _state(name: str, die_after: int | None = None) -> EdgeState:
    return EdgeState(name, "US", SIGNER, dict(ORIGIN), die_after=die_after)


def _master(*edges: StandInEdge, expires: int | None = None) -> str:
    return filtered_master(
        MASTER,
        folder=FOLDER,
        plan=BASIC,
        device=ANY,
        signer=SIGNER,
        expires=expires or int(time.time()) + 600,
        bases=tuple(edge.url for edge in edges),
    )


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def test_the_edge_dies_mid_play_and_the_next_edge_serves_the_rest(http: httpx.Client) -> None:
    # The first edge answers the playlist, the init section and two segments, then dies.
    with running(_state("e1", die_after=4)) as e1, running(_state("e2")) as e2:
        played = HlsClient(http).play_master(_master(e1, e2), "http://playback.example/m.m3u8")
        assert played.segments == EXPECTED
        assert played.sources == [e1.url] * 2 + [e2.url] * 4
        assert len(played.failovers) == 1
        # The second edge picked up at segment 3, not from the start.
        assert e2.state.served[2:] == [f"media/{FOLDER}/v0/seg_{n:05d}.m4s" for n in range(3, 7)]


def test_a_healthy_first_edge_serves_everything(http: httpx.Client) -> None:
    with running(_state("e1")) as e1, running(_state("e2")) as e2:
        played = HlsClient(http).play_master(_master(e1, e2), "http://x.example/")
        assert played.segments == EXPECTED and set(played.sources) == {e1.url}
        assert e2.state.served == [] and played.failovers == []


def test_when_every_edge_is_dead_playback_fails(http: httpx.Client) -> None:
    with (
        running(_state("e1", die_after=0)) as e1,
        running(_state("e2", die_after=3)) as e2,
        pytest.raises(PlaybackFailed),
    ):
        HlsClient(http).play_master(_master(e1, e2), "http://x.example/")


def test_an_expired_url_is_refused_by_every_edge(http: httpx.Client) -> None:
    with running(_state("e1")) as e1, running(_state("e2")) as e2:
        with pytest.raises(PlaybackFailed, match="410"):
            HlsClient(http).play_master(_master(e1, e2, expires=1000), "http://x.example/")
        assert e1.state.served == e2.state.served == []  # refused before any file


def test_redundant_copies_are_the_variants_with_the_same_stream() -> None:
    variants = parse_master(_master_for("http://a:1", "http://b:2"), "http://p/")
    first = variants[0]
    copies = [v.uri.split("/media/")[0] for v in variants if first.same_stream(v)]
    assert copies == ["http://a:1", "http://b:2"]
    media = parse_media(MEDIA, "http://a:1/media/s/T/film1/job1/v0/index.m3u8")
    assert media.init == "http://a:1/media/s/T/film1/job1/v0/init.mp4"
    assert media.segments[0] == "http://a:1/media/s/T/film1/job1/v0/seg_00001.m4s"


def _master_for(*bases: str) -> str:
    return filtered_master(
        MASTER, folder=FOLDER, plan=BASIC, device=ANY, signer=SIGNER, expires=2**40, bases=bases
    )
