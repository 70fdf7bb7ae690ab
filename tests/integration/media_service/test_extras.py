"""What ingest makes beside the encoding: trickplay, artwork, published files with ranges."""

from __future__ import annotations

import base64
import re

import httpx

from reelstack.chassis.app import chassis_of
from reelstack.media.context import MediaContext
from tests.integration.media.conftest import ClipMaker

from .conftest import Server

TUS = {"Tus-Resumable": "1.0.0"}
CUE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2}):(\d{2}):(\d{2})\.(\d{3})$")


def upload(server: Server, data: bytes, **meta: str) -> str:
    header = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
    made = httpx.post(
        f"{server.url}/api/media/uploads",
        headers={
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": header,
            "Content-Type": "application/offset+octet-stream",
        },
        content=data,  # creation-with-upload: the whole file in the POST
    )
    assert made.status_code == 201, made.text
    assert made.headers["Upload-Offset"] == str(len(data))
    return made.headers["Reelstack-Title-Id"]


def seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_vtt(text: str) -> list[tuple[float, float, str, tuple[int, int, int, int]]]:
    lines = text.strip().splitlines()
    assert lines[0] == "WEBVTT"
    cues = []
    for n, line in enumerate(lines):
        match = CUE.match(line)
        if match:
            g = match.groups()
            target = lines[n + 1]
            name, _, fragment = target.partition("#xywh=")
            x, y, w, h = (int(v) for v in fragment.split(","))
            cues.append((seconds(*g[:4]), seconds(*g[4:]), name, (x, y, w, h)))
    return cues


def test_trickplay_artwork_and_ranges(start_media, clips: ClipMaker) -> None:
    source = clips.video("extras.mp4", size="320x180", seconds=5)
    server = start_media(**{"media.trickplay_grid": "2", "media.trickplay_width": "96"})
    title_id = upload(
        server, source.read_bytes(), title="Extras", maturity_rating="PG", synopsis="A test."
    )
    title = server.wait_title(title_id, ("ready",))
    assert title["maturity_rating"] == "PG"
    assert title["duration_s"] > 4.5
    assert title["rungs"][0]["vmaf"] == 80.0

    vtt = httpx.get(server.url + title["trickplay_url"])
    assert vtt.status_code == 200
    assert vtt.headers["content-type"].startswith("text/vtt")
    cues = parse_vtt(vtt.text)
    # One thumbnail a second over five seconds, four to a 2x2 sheet.
    assert [c[0] for c in cues] == [0, 1, 2, 3, 4]
    assert cues[-1][1] <= title["duration_s"] + 0.01
    assert [c[2] for c in cues] == ["sprite-001.jpg"] * 4 + ["sprite-002.jpg"]
    assert [c[3] for c in cues][:4] == [
        (0, 0, 96, 54),
        (96, 0, 96, 54),
        (0, 54, 96, 54),
        (96, 54, 96, 54),
    ]
    base = title["trickplay_url"].rsplit("/", 1)[0]
    for name in ("sprite-001.jpg", "sprite-002.jpg"):
        sprite = httpx.get(f"{server.url}{base}/{name}")
        assert sprite.status_code == 200
        assert sprite.content.startswith(b"\xff\xd8\xff")

    poster = httpx.get(server.url + title["poster_url"])
    backdrop = httpx.get(server.url + title["backdrop_url"])
    assert poster.content.startswith(b"\xff\xd8\xff")
    assert backdrop.content.startswith(b"\xff\xd8\xff")

    ranged = httpx.get(server.url + title["poster_url"], headers={"Range": "bytes=2-9"})
    assert ranged.status_code == 206
    assert ranged.content == poster.content[2:10]
    assert ranged.headers["content-range"] == f"bytes 2-9/{len(poster.content)}"
    assert httpx.get(f"{server.url}/media/{title_id}/nothing.jpg").status_code == 404
    # The kept source is never served.
    assert httpx.get(f"{server.url}/media/../private/sources/{title_id}/source").status_code == 404

    listed = httpx.get(f"{server.url}/api/media/titles", params={"state": "ready"}).json()
    assert [t["id"] for t in listed["titles"]] == [title_id]


def test_uploaded_artwork_and_subtitles_are_kept(start_media, clips: ClipMaker) -> None:
    encoder_server = start_media()
    data = clips.video("sub.mp4", seconds=2).read_bytes()
    header = f"title {base64.b64encode(b'Subtitled').decode()}"
    made = httpx.post(
        f"{encoder_server.url}/api/media/uploads",
        headers={**TUS, "Upload-Length": str(len(data)), "Upload-Metadata": header},
    )
    title_id = made.headers["Reelstack-Title-Id"]
    srt = b"1\n00:00:00,500 --> 00:00:01,500\nHello\n"
    put = httpx.put(f"{encoder_server.url}/api/media/titles/{title_id}/subtitles/en", content=srt)
    assert put.status_code == 200, put.text
    assert put.json()["subtitles"] == ["en"]
    bad = httpx.put(
        f"{encoder_server.url}/api/media/titles/{title_id}/subtitles/en", content=b"\x00garbage"
    )
    assert bad.status_code == 400
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    art = httpx.put(f"{encoder_server.url}/api/media/titles/{title_id}/artwork/poster", content=png)
    assert art.status_code == 200
    patch = {**TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    httpx.patch(encoder_server.url + made.headers["Location"], headers=patch, content=data)
    title = encoder_server.wait_title(title_id, ("ready",))
    assert title["poster_url"].endswith("/artwork/poster-uploaded.png")
    assert title["backdrop_url"].endswith("/artwork/backdrop.jpg")
    fake = chassis_of(encoder_server.app).context_as(MediaContext).encoder
    assert fake.submitted[0]["subtitles"][0]["language"] == "en"
