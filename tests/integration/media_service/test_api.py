"""Job progress as server-sent events, upload expiry, and deleting a title."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

import httpx

from tests.integration.media.conftest import ClipMaker

from .conftest import FakeEncoder

TUS = {"Tus-Resumable": "1.0.0"}


def upload_whole(url: str, data: bytes, name: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/media/uploads",
        headers={
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": f"title {base64.b64encode(name.encode()).decode()}",
            "Content-Type": "application/offset+octet-stream",
        },
        content=data,
    )


def test_job_events_stream_until_the_title_is_ready(start_media, clips: ClipMaker) -> None:
    server = start_media()
    made = upload_whole(server.url, clips.video("sse.mp4", seconds=2).read_bytes(), "Events")
    title_id = made.headers["Reelstack-Title-Id"]
    deadline = time.monotonic() + 60
    while (job_id := server.title(title_id)["job_id"]) is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    events = []
    with httpx.stream("GET", f"{server.url}/api/media/jobs/{job_id}/events", timeout=60) as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in reply.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))
    assert events[-1] == ("end", {"title_state": "ready"})
    jobs = [data for kind, data in events if kind == "job"]
    assert jobs[-1]["state"] == "done" and jobs[-1]["progress"] == 1.0
    assert jobs[-1]["master_url"] == f"/media/{title_id}/{job_id}/master.m3u8"
    assert httpx.get(f"{server.url}/api/media/jobs/{job_id}").json()["state"] == "done"
    assert httpx.get(f"{server.url}/api/media/jobs/nope").status_code == 404


def test_a_failed_job_fails_the_title_with_its_reason(start_media, clips: ClipMaker) -> None:
    server = start_media(encoder=FakeEncoder(fail=True))
    made = upload_whole(server.url, clips.video("fail.mp4", seconds=2).read_bytes(), "Doomed")
    title = server.wait_title(made.headers["Reelstack-Title-Id"], ("failed",))
    assert title["reason"] == "encoder exploded"


def test_an_unfinished_upload_expires(start_media, tmp_path: Path) -> None:
    server = start_media(**{"media.upload_expiry_s": "60"})
    made = httpx.post(
        f"{server.url}/api/media/uploads",
        headers={
            **TUS,
            "Upload-Length": "100",
            "Upload-Metadata": "title " + base64.b64encode(b"Old").decode(),
        },
    )
    location = made.headers["Location"]
    upload_id = location.rsplit("/", 1)[1]
    data = tmp_path / "home" / "uploads" / f"{upload_id}.bin"
    old = time.time() - 120
    os.utime(data, (old, old))  # last written two minutes ago
    # 410 while the expired upload is still known; 404 once the instance's
    # sweep (which runs on its own clock) has already removed it. Either way
    # the client learns it must start over, and nothing of it is kept.
    assert httpx.head(server.url + location, headers=TUS).status_code in (410, 404)
    title = server.wait_title(made.headers["Reelstack-Title-Id"], ("failed",))
    assert "expired" in title["reason"]
    assert not data.exists()


def test_deleting_a_title_removes_its_files(start_media, clips: ClipMaker, tmp_path: Path) -> None:
    server = start_media()
    made = upload_whole(server.url, clips.video("del.mp4", seconds=2).read_bytes(), "Gone soon")
    title = server.wait_title(made.headers["Reelstack-Title-Id"], ("ready",))
    blobs = tmp_path / "home" / "blobs"
    assert (blobs / "private" / "sources" / title["id"] / "source").exists()
    assert httpx.delete(f"{server.url}/api/media/titles/{title['id']}").status_code == 204
    assert httpx.get(f"{server.url}/api/media/titles/{title['id']}").status_code == 404
    assert not (blobs / "private" / "sources" / title["id"] / "source").exists()
    assert httpx.get(server.url + title["poster_url"]).status_code == 404


def test_a_title_being_encoded_is_not_deleted_under_its_job(
    start_media, clips: ClipMaker, tmp_path: Path
) -> None:
    encoder = FakeEncoder(hold=True)
    server = start_media(encoder=encoder)
    made = upload_whole(server.url, clips.video("busy.mp4", seconds=2).read_bytes(), "Busy")
    title = server.wait_title(made.headers["Reelstack-Title-Id"], ("encoding",))
    refused = httpx.delete(f"{server.url}/api/media/titles/{title['id']}")
    assert refused.status_code == 409
    assert "encoding" in refused.json()["detail"] and title["job_id"] in refused.json()["detail"]
    source = tmp_path / "home" / "blobs" / "private" / "sources" / title["id"] / "source"
    assert source.exists()
    encoder.hold = False
    server.wait_title(title["id"], ("ready",))
    assert httpx.delete(f"{server.url}/api/media/titles/{title['id']}").status_code == 204
    assert not source.exists()
