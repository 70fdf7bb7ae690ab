"""Resumable uploads (tus 1.0) into the media service, with tuspy as the client."""

from __future__ import annotations

import base64
import hashlib
import socket
import struct
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from tusclient import client as tus_client

from tests.integration.media.conftest import ClipMaker

from .conftest import Server

TUS = {"Tus-Resumable": "1.0.0"}


def meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def create(server: Server, length: int, **values: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/media/uploads",
        headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": meta(**values)},
    )


def offset_of(server: Server, location: str) -> int:
    response = httpx.head(server.url + location, headers=TUS)
    assert response.status_code == 200, response.text
    return int(response.headers["Upload-Offset"])


def cut_off_patch(server: Server, location: str, offset: int, body: bytes, sent: int) -> None:
    """Send a PATCH announcing ``len(body)`` bytes; drop the connection after ``sent`` of them.

    The connection is reset only once the server has written what it got, as
    when a network fails mid-upload.
    """
    head = (
        f"PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n"
        f"Content-Type: application/offset+octet-stream\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", server.port))
    try:
        sock.sendall(head + body[:sent])
        deadline = time.monotonic() + 10
        while offset_of(server, location) < offset + sent:
            assert time.monotonic() < deadline, "the server never wrote the bytes sent"
            time.sleep(0.02)
        # An abortive close (RST), as a dropped network connection.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()


def test_options_advertise_the_protocol(start_media) -> None:
    server = start_media(**{"media.max_bytes": "5000000"})
    response = httpx.options(f"{server.url}/api/media/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    extensions = response.headers["Tus-Extension"].split(",")
    assert {"creation", "creation-with-upload", "termination", "expiration", "checksum"} <= set(
        extensions
    )
    assert response.headers["Tus-Max-Size"] == "5000000"


def test_protocol_errors(start_media) -> None:
    server = start_media(**{"media.max_bytes": "1000"})
    no_version = httpx.post(f"{server.url}/api/media/uploads", headers={"Upload-Length": "10"})
    assert no_version.status_code == 412
    assert no_version.headers["Tus-Version"] == "1.0.0"
    assert create(server, 5000, title="Too big").status_code == 413
    assert create(server, 10).status_code == 400  # no title

    made = create(server, 10, title="Small")
    assert made.status_code == 201
    location = made.headers["Location"]
    assert made.headers["Upload-Expires"]
    wrong_type = httpx.patch(
        server.url + location, headers={**TUS, "Upload-Offset": "0"}, content=b"abc"
    )
    assert wrong_type.status_code == 415
    patch = {**TUS, "Content-Type": "application/offset+octet-stream"}
    mismatch = httpx.patch(
        server.url + location, headers={**patch, "Upload-Offset": "3"}, content=b"abc"
    )
    assert mismatch.status_code == 409
    over = httpx.patch(
        server.url + location, headers={**patch, "Upload-Offset": "0"}, content=b"x" * 11
    )
    assert over.status_code == 413
    assert offset_of(server, location) == 0

    bad_sum = "sha1 " + base64.b64encode(hashlib.sha1(b"other").digest()).decode()
    refused = httpx.patch(
        server.url + location,
        headers={**patch, "Upload-Offset": "0", "Upload-Checksum": bad_sum},
        content=b"abcde",
    )
    assert refused.status_code == 460
    assert offset_of(server, location) == 0  # nothing of the chunk was kept
    good_sum = "sha1 " + base64.b64encode(hashlib.sha1(b"abcde").digest()).decode()
    kept = httpx.patch(
        server.url + location,
        headers={**patch, "Upload-Offset": "0", "Upload-Checksum": good_sum},
        content=b"abcde",
    )
    assert kept.status_code == 204
    assert kept.headers["Upload-Offset"] == "5"

    title_id = made.headers["Reelstack-Title-Id"]
    assert server.title(title_id)["state"] == "uploading"
    gone = httpx.delete(server.url + location, headers=TUS)
    assert gone.status_code == 204
    assert httpx.head(server.url + location, headers=TUS).status_code == 404
    assert httpx.get(f"{server.url}/api/media/titles/{title_id}").status_code == 404


def test_an_interrupted_upload_resumes_with_tuspy(
    start_media, clips: ClipMaker, tmp_path: Path
) -> None:
    source = clips.video("tus.mp4", seconds=3)
    data = source.read_bytes()
    server = start_media()
    # tuspy creates the upload and sends its first chunk, as an upload that
    # then loses its connection would.
    first = tus_client.TusClient(f"{server.url}/api/media/uploads")
    uploader = first.uploader(
        str(source), chunk_size=len(data) // 4, metadata={"title": "Resumed", "genres": "Drama"}
    )
    uploader.upload_chunk()
    location = urlsplit(uploader.url).path
    assert offset_of(server, location) == len(data) // 4
    # A PATCH cut off mid-body: the bytes that arrived are kept.
    half = len(data) // 2
    cut_off_patch(server, location, len(data) // 4, data[len(data) // 4 :], half - len(data) // 4)
    resumed_at = offset_of(server, location)
    assert resumed_at == half

    # A new client resumes from the server's offset and finishes.
    second = tus_client.TusClient(f"{server.url}/api/media/uploads")
    # Retries cover the moment the server takes to notice the dropped
    # connection and release the upload (423 meanwhile).
    resume = second.uploader(
        str(source), url=server.url + location, chunk_size=64 * 1024, retries=20, retry_delay=0.1
    )
    assert resume.offset == resumed_at
    resume.upload()
    assert offset_of(server, location) == len(data)

    title_id = httpx.head(server.url + location, headers=TUS).headers["Reelstack-Title-Id"]
    title = server.wait_title(title_id, ("ready",))
    assert title["name"] == "Resumed"
    assert title["genres"] == ["Drama"]
    assert title["master_url"] == f"/media/{title_id}/{title['job_id']}/master.m3u8"
    home = tmp_path / "home"
    kept = home / "blobs" / "private" / "sources" / title_id / "source"
    assert hashlib.sha256(kept.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert httpx.get(server.signed(title["master_url"])).text == "#EXTM3U\n"


def test_an_upload_continues_on_another_instance_after_a_restart(
    start_media, clips: ClipMaker
) -> None:
    source = clips.video("restart.mp4", seconds=2)
    data = source.read_bytes()
    first = start_media()
    made = create(first, len(data), title="Two instances", filename="restart.mp4")
    location = made.headers["Location"]
    patch = {**TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    answer = httpx.patch(first.url + location, headers=patch, content=data[: len(data) // 2])
    assert answer.status_code == 204
    first.stop()

    second = start_media()
    client = tus_client.TusClient(f"{second.url}/api/media/uploads")
    uploader = client.uploader(str(source), url=second.url + location, chunk_size=32 * 1024)
    assert uploader.offset == len(data) // 2
    uploader.upload()
    title = second.wait_title(made.headers["Reelstack-Title-Id"], ("ready",))
    assert title["source"]["video"]["codec"] == "h264"


@pytest.mark.parametrize("body", [b"#EXTM3U\n#EXT-X-VERSION:3\nhttp://x/y.ts\n", b"\x00" * 4096])
def test_a_refused_upload_keeps_its_bytes_and_says_why(
    start_media, body: bytes, tmp_path: Path
) -> None:
    server = start_media()
    made = create(server, len(body), title="Not a video")
    patch = {**TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    assert (
        httpx.patch(server.url + made.headers["Location"], headers=patch, content=body).status_code
        == 204
    )
    title_id = made.headers["Reelstack-Title-Id"]
    title = server.wait_title(title_id, ("refused",))
    assert title["reason"]
    assert title["master_url"] is None
    kept = tmp_path / "home" / "blobs" / "private" / "sources" / title_id / "source"
    assert kept.read_bytes() == body
