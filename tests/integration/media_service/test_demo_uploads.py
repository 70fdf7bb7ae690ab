"""An interrupted demo upload picks up where it stopped: no duplicate, no lost upload."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelstack.cli import demo_catalog as demo
from reelstack.cli import demo_uploads
from reelstack.cli.local_media import local_media
from reelstack.cli.media_client import MediaClient
from reelstack.errors import NotFoundError
from reelstack.media.ffmpeg import Binaries

pytestmark = pytest.mark.slow

CHUNK = 16 * 1024


@pytest.fixture
def film(binaries: Binaries, tmp_path: Path) -> tuple[demo.DemoTitle, Path]:
    title = next(t for t in demo.CATALOG if not t.series)
    return title, demo.generate(
        binaries, title, folder=tmp_path / "sources", seconds=4, size="160x90"
    )


@pytest.fixture
def media(tmp_path: Path) -> Iterator[MediaClient]:
    environ = {**os.environ, "REELSTACK_HOME": str(tmp_path / "home")}
    # Only the upload path matters here: no worker, so nothing is encoded.
    with local_media(environ, worker=False) as url, MediaClient(url) as client:
        yield client


def _cut_off(client: MediaClient, home: Path, title: demo.DemoTitle, source: Path) -> str:
    """Start an upload, write it down as demo does, and send only its first half."""
    half = source.with_name("half.mp4")
    half.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    location, title_id = client.create_upload(source.stat().st_size, title.metadata())
    demo_uploads.UploadRecord(demo_uploads.folder(home) / "uploads.json").put(
        title.name, location=location, title_id=title_id
    )
    client.send(location, half, chunk_bytes=CHUNK)
    assert client.title(title_id)["state"] == "uploading"
    return title_id


def _named(client: MediaClient, name: str) -> list[dict[str, object]]:
    return [t for t in client.titles() if t["name"] == name]


def test_a_cut_off_upload_is_finished_not_duplicated(
    media: MediaClient, film: tuple[demo.DemoTitle, Path], tmp_path: Path
) -> None:
    title, source = film
    home = tmp_path / "home"
    cut = _cut_off(media, home, title, source)

    again = demo_uploads.upload_once(media, home, title, source, chunk=CHUNK)

    assert again == cut
    assert media.title(cut)["state"] != "uploading"
    assert [t["id"] for t in _named(media, title.name)] == [cut]
    # A third run finds it there and uploads nothing.
    assert demo_uploads.upload_once(media, home, title, source, chunk=CHUNK) == cut
    assert len(_named(media, title.name)) == 1


def test_a_cut_off_upload_nobody_wrote_down_is_replaced(
    media: MediaClient, film: tuple[demo.DemoTitle, Path], tmp_path: Path
) -> None:
    title, source = film
    home = tmp_path / "home"
    cut = _cut_off(media, home, title, source)
    shutil.rmtree(demo_uploads.folder(home))  # the record is lost with the home's demo folder

    again = demo_uploads.upload_once(media, home, title, source, chunk=CHUNK)

    assert again != cut
    with pytest.raises(NotFoundError):
        media.title(cut)
    assert [t["id"] for t in _named(media, title.name)] == [again]
    assert media.title(again)["state"] != "uploading"


def test_a_second_filler_leaves_while_the_first_runs(tmp_path: Path) -> None:
    with demo_uploads.filling(tmp_path) as first:
        assert first
        with demo_uploads.filling(tmp_path) as second:
            assert not second
    with demo_uploads.filling(tmp_path) as later:
        assert later


def test_down_stops_a_running_filler_but_never_a_stranger(tmp_path: Path) -> None:
    pid_file = demo_uploads.folder(tmp_path) / "fill.pid"
    pid_file.parent.mkdir(parents=True)
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
    filler = subprocess.Popen([*sleeper, "demo-fill"], start_new_session=True)
    stranger = subprocess.Popen(sleeper, start_new_session=True)
    try:
        pid_file.write_text(str(stranger.pid))
        assert demo_uploads.stop_filler(tmp_path) is None
        assert stranger.poll() is None

        pid_file.write_text(str(filler.pid))
        assert demo_uploads.stop_filler(tmp_path) == filler.pid
        assert filler.wait(timeout=60) == -signal.SIGTERM
    finally:
        for child in (filler, stranger):
            child.kill()
            child.wait()
