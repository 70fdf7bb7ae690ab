"""What media published about a title is reused for a few seconds, never a refusal."""

from __future__ import annotations

from typing import Any

import pytest

from reelstack.chassis.resilience.response import Response
from reelstack.errors import NotFoundError, UnavailableError
from reelstack.playback.upstream import ServiceUpstreams
from reelstack.signed_urls import UrlSigner


class Media:
    """Media's title route, answering what the test sets, counting the calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.title: dict[str, Any] = {
            "state": "ready",
            "master_url": "/media/film/j1/master.m3u8",
            "duration_s": 60.0,
        }

    async def request(self, service: str, method: str, path: str, **_: Any) -> Response:
        assert (service, method, path) == ("media", "GET", "/api/media/titles/film")
        self.calls += 1
        return Response.from_json(self.title)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def upstreams(media: Media, clock: Clock, ttl_s: float = 5.0) -> ServiceUpstreams:
    return ServiceUpstreams(
        client=lambda: media,  # type: ignore[arg-type,return-value]
        signer=UrlSigner(b"k" * 32),
        playable_ttl_s=ttl_s,
        clock=clock,
    )


async def test_a_title_is_asked_once_within_the_reuse_time_and_again_after() -> None:
    media, clock = Media(), Clock()
    up = upstreams(media, clock)
    first = await up.playable("film")
    clock.now += 4.9
    assert await up.playable("film") == first
    assert media.calls == 1
    media.title["master_url"] = "/media/film/j2/master.m3u8"
    clock.now += 0.2
    assert (await up.playable("film")).folder == "film/j2"
    assert media.calls == 2


async def test_a_title_not_playable_is_asked_again_every_time() -> None:
    media, clock = Media(), Clock()
    media.title = {"state": "encoding", "master_url": None}
    up = upstreams(media, clock)
    for _ in range(2):
        with pytest.raises(NotFoundError):
            await up.playable("film")
    assert media.calls == 2
    # Published a moment later: the next play start sees it at once.
    media.title = {"state": "ready", "master_url": "/media/film/j1/master.m3u8"}
    assert (await up.playable("film")).folder == "film/j1"


async def test_no_reuse_when_the_time_is_zero() -> None:
    media, clock = Media(), Clock()
    up = upstreams(media, clock, ttl_s=0)
    await up.playable("film")
    await up.playable("film")
    assert media.calls == 2


async def test_the_mpd_is_named_only_beside_the_master_playlist() -> None:
    media, clock = Media(), Clock()
    media.title["dash_url"] = "/media/film/j1/manifest.mpd"
    assert (await upstreams(media, clock, ttl_s=0).playable("film")).dash_name == "manifest.mpd"
    for elsewhere in ("/media/other/j9/manifest.mpd", "http://evil/manifest.mpd", None, 3):
        media.title["dash_url"] = elsewhere
        assert (await upstreams(media, clock, ttl_s=0).playable("film")).dash_name is None


class Files:
    """Media's signed file route: the paths asked, each answered with a playlist."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def request(self, service: str, method: str, path: str, **_: Any) -> Response:
        self.paths.append(path)
        return Response(200, {}, b"#EXTM3U\n")


async def test_a_media_playlist_is_read_inside_the_titles_folder_and_kept() -> None:
    files = Files()
    up = ServiceUpstreams(client=lambda: files, signer=UrlSigner(b"k" * 32))  # type: ignore[arg-type,return-value]
    playable = await upstreams(Media(), Clock()).playable("film")
    assert await up.media_playlist(playable, "v0/index.m3u8") == "#EXTM3U\n"
    await up.media_playlist(playable, "v0/index.m3u8")
    assert len(files.paths) == 1 and files.paths[0].endswith("/film/j1/v0/index.m3u8")
    for outside in ("../../other/v0/index.m3u8", "/etc/passwd", "http://evil/x.m3u8"):
        with pytest.raises(UnavailableError):
            await up.media_playlist(playable, outside)
    assert len(files.paths) == 1
