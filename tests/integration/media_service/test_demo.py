"""The demo catalog end to end: generated, ingested, encoded by a real worker, published."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from reelstack.cli import demo_catalog as demo
from reelstack.cli.demo_content import ingest_catalog, wait_all
from reelstack.cli.local_media import local_media
from reelstack.cli.media_client import MediaClient
from reelstack.media.ffmpeg import Binaries
from reelstack.signed_urls import UrlSigner, home_key

pytestmark = pytest.mark.slow


def test_two_demo_titles_are_published_and_not_ingested_twice(
    binaries: Binaries, tmp_path: Path
) -> None:
    titles = tuple(t for t in demo.CATALOG if not t.series)[:2]
    folder = tmp_path / "demo" / demo.spec_hash(titles, seconds=4, size="160x90")
    files = {
        t.slug: demo.generate(binaries, t, folder=folder, seconds=4, size="160x90") for t in titles
    }
    # Cached: a second generation reuses the file.
    again = demo.generate(binaries, titles[0], folder=folder, seconds=4, size="160x90")
    assert again.stat().st_mtime == files[titles[0].slug].stat().st_mtime
    environ = {
        **os.environ,
        "REELSTACK_HOME": str(tmp_path / "home"),
        "REELSTACK_MEDIA_LADDER_MODE": "fixed",
        "REELSTACK_MEDIA_TOP_MAX_HEIGHT": "240",
    }
    # The local service signs with the home's key, as a play's URLs are signed.
    signer = UrlSigner(home_key(tmp_path / "home"))

    def signed(path: str) -> str:
        title_id, _, rest = path.removeprefix("/media/").partition("/")
        return url + signer.url(title_id, rest, expires=int(time.time()) + 600)

    with local_media(environ) as url, MediaClient(url) as client:
        ids = ingest_catalog(client, tmp_path, titles, files, 64 * 1024)
        published = wait_all(client, ids, timeout_s=240)
        assert [t["state"] for t in published] == ["ready", "ready"], published
        for title, spec in zip(published, titles, strict=True):
            assert title["name"] == spec.name
            assert title["genres"] == list(spec.genres)
            assert title["maturity_rating"] == spec.rating
            assert title["rungs"] and all(r["height"] <= 240 for r in title["rungs"])
            master = httpx.get(signed(title["master_url"]))
            assert master.text.startswith("#EXTM3U")
            assert "#EXT-X-STREAM-INF" in master.text
            assert httpx.get(url + title["poster_url"]).content.startswith(b"\xff\xd8\xff")
            assert httpx.get(url + title["trickplay_url"]).text.startswith("WEBVTT")
            assert title["dash_url"] and httpx.get(signed(title["dash_url"])).status_code == 200
        # The job's progress, replayed from media.progress as server-sent events.
        events = []
        job_id = published[0]["job_id"]
        with httpx.stream("GET", f"{url}/api/media/jobs/{job_id}/events", timeout=60) as reply:
            for line in reply.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
        states = [e.get("state") for e in events[:-1]]
        assert states[0] == "queued" and states[-1] == "done"
        assert "encoding" in states
        assert (
            events[-2]["progress"] == 1.0 and events[-2]["master_url"] == published[0]["master_url"]
        )
        assert events[-1] == {"title_state": "ready"}
        assert ingest_catalog(client, tmp_path, titles, files, 64 * 1024) == ids
        assert client.titles() and len(client.titles()) == 2


def test_every_demo_title_renders_the_same_frames_every_time(binaries: Binaries) -> None:
    # The cache is keyed by the catalog's spec: a generator with a random seed
    # would make a different title under the same key on every machine.
    def frames(title: demo.DemoTitle) -> str:
        video = title.video.format(size="160x90", rate=demo.RATE)
        argv = [str(binaries.ffmpeg), "-nostdin", "-loglevel", "error", "-f", "lavfi"]
        out = subprocess.run(
            [*argv, "-i", video, "-frames:v", "12", "-f", "md5", "-"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return out.stdout.strip()

    for title in demo.catalog(64):
        assert frames(title) == frames(title), title.slug
