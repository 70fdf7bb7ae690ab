"""Intro and credits detection on generated episodes, through the media service."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from reelstack.cli import demo_catalog as demo
from reelstack.media.ffmpeg import Binaries

TUS = {"Tus-Resumable": "1.0.0"}


def test_episodes_get_their_intro_and_credits(
    start_media, binaries: Binaries, tmp_path: Path
) -> None:
    episodes = [t for t in demo.CATALOG if t.series][:3]
    assert len({t.intro_at_s for t in episodes}) == 3
    seconds = 30.0
    server = start_media()
    ids = {}
    for title in episodes:
        source = demo.generate(
            binaries, title, folder=tmp_path / "src", seconds=seconds, size="160x90"
        )
        data = source.read_bytes()
        header = ",".join(
            f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in title.metadata().items()
        )
        made = httpx.post(
            f"{server.url}/api/media/uploads",
            headers={
                **TUS,
                "Upload-Length": str(len(data)),
                "Upload-Metadata": header,
                "Content-Type": "application/offset+octet-stream",
            },
            content=data,
        )
        assert made.status_code == 201
        ids[title.slug] = made.headers["Reelstack-Title-Id"]
    for title in episodes:
        server.wait_title(ids[title.slug], ("ready",))
    # Detection reruns as each episode arrives; the last one sees the season.
    for title in episodes:
        found = server.title(ids[title.slug])
        assert title.intro_at_s is not None
        assert found["intro_start_s"] == pytest.approx(title.intro_at_s, abs=1.0), found
        assert found["intro_end_s"] == pytest.approx(title.intro_at_s + demo.INTRO_S, abs=1.0)
        assert found["credits_start_s"] == pytest.approx(seconds - demo.CREDITS_S, abs=1.0)
    listed = httpx.get(f"{server.url}/api/media/titles", params={"series": demo.SERIES}).json()
    assert [t["episode"] for t in listed["titles"]] == [1, 2, 3]


def test_a_film_gets_no_intro(start_media, binaries: Binaries, tmp_path: Path) -> None:
    film = next(t for t in demo.CATALOG if not t.series)
    source = demo.generate(binaries, film, folder=tmp_path / "src", seconds=4, size="160x90")
    data = source.read_bytes()
    server = start_media()
    header = f"title {base64.b64encode(film.name.encode()).decode()}"
    made = httpx.post(
        f"{server.url}/api/media/uploads",
        headers={
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": header,
            "Content-Type": "application/offset+octet-stream",
        },
        content=data,
    )
    title = server.wait_title(made.headers["Reelstack-Title-Id"], ("ready",))
    assert title["kind"] == "film"
    assert title["intro_start_s"] is None and title["credits_start_s"] is None
