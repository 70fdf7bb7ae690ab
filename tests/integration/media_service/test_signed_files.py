"""Media's file route with signed URLs: what a token opens, and what it does not."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from reelstack.chassis.app import chassis_of
from reelstack.media.context import MediaContext

from .conftest import Server

FILES = {
    "t1/j1/master.m3u8": b"#EXTM3U\n",
    "t1/j1/v0/index.m3u8": b'#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n',
    "t1/j1/v0/seg_00000.m4s": b"segment zero",
    "t1/j1/v1/seg_00000.m4s": b"another rendition",
    "t1/poster.jpg": b"\xff\xd8\xffposter",
    "t1/trickplay/thumbnails.vtt": b"WEBVTT\n",
    "t2/j9/v0/seg_00000.m4s": b"another title",
}


def publish(tmp_path: Path) -> None:
    """Put published files where the embedded blob store keeps them."""
    for name, data in FILES.items():
        path = tmp_path / "home" / "blobs" / "media" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def signed(server: Server, prefix: str, rest: str, *, expires: int | None = None) -> str:
    signer = chassis_of(server.app).context_as(MediaContext).signer
    when = int(time.time()) + 600 if expires is None else expires
    return server.url + signer.url(prefix, rest, expires=when)


def test_a_token_opens_its_rendition_folder_only(start_media, tmp_path: Path) -> None:
    server = start_media(sweep=False)
    publish(tmp_path)
    url = signed(server, "t1/j1/v0", "index.m3u8")
    assert httpx.get(url).status_code == 200
    segment = url.replace("index.m3u8", "seg_00000.m4s")
    assert httpx.get(segment).content == b"segment zero"
    ranged = httpx.get(segment, headers={"Range": "bytes=0-6"})
    assert ranged.status_code == 206 and ranged.content == b"segment"
    # The same token on another rendition, another title, or outside the folder.
    for other in ("t1/j1/v1/seg_00000.m4s", "t2/j9/v0/seg_00000.m4s", "t1/j1/master.m3u8"):
        refused = httpx.get(url.replace("t1/j1/v0/index.m3u8", other))
        assert refused.status_code == 403, other
    token = url.split("/media/s/")[1].split("/")[0]
    later = token.replace(token.split(".")[0], str(int(token.split(".")[0]) + 10_000))
    assert httpx.get(url.replace(token, later)).status_code == 403


def test_an_expired_token_is_gone(start_media, tmp_path: Path) -> None:
    server = start_media(sweep=False)
    publish(tmp_path)
    expired = signed(server, "t1/j1/v0", "index.m3u8", expires=int(time.time()) - 60)
    answer = httpx.get(expired)
    assert answer.status_code == 410 and "expired" in answer.json()["detail"]
    # Within the clock-skew allowance it still plays.
    skewed = signed(server, "t1/j1/v0", "index.m3u8", expires=int(time.time()) - 5)
    assert httpx.get(skewed).status_code == 200


def test_unsigned_playlists_and_segments_are_refused_pictures_stay_open(
    start_media, tmp_path: Path
) -> None:
    server = start_media(sweep=False)
    publish(tmp_path)
    for name in ("t1/j1/master.m3u8", "t1/j1/v0/seg_00000.m4s"):
        refused = httpx.get(f"{server.url}/media/{name}")
        assert refused.status_code == 403 and "signed" in refused.json()["detail"]
    assert httpx.get(f"{server.url}/media/t1/poster.jpg").status_code == 200
    assert httpx.get(f"{server.url}/media/t1/trickplay/thumbnails.vtt").status_code == 200


def test_with_signing_off_unsigned_files_are_served(start_media, tmp_path: Path) -> None:
    server = start_media(sweep=False, **{"media.signed_urls": "false"})
    publish(tmp_path)
    assert httpx.get(f"{server.url}/media/t1/j1/master.m3u8").content == b"#EXTM3U\n"
