"""A media service on a real port with a fake encoder, and small generated clips.

The service runs in-process under uvicorn on 127.0.0.1 (a free port), with
embedded stores under the test's home folder, so tus clients (tuspy, the
CLI) talk to it over HTTP. The fake encoder publishes a one-line master
playlist at once, so titles reach ``ready`` without running the ladder.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from reelstack import settings
from reelstack.chassis.app import chassis_of
from reelstack.config import Config
from reelstack.errors import NotFoundError
from reelstack.media.app import create_app
from reelstack.media.context import MediaContext
from reelstack.media.ffmpeg import Binaries, FfmpegMissingError, find_binaries
from reelstack.media.pipeline.encoder import JobView
from tests.integration.media.conftest import ClipMaker

START_TIMEOUT_S = 20.0
URL_SECRET = "media-tests-url-secret-0123456789"
"""The URL signing key of the test's media server, which the CLI in a test signs with too."""


@pytest.fixture(scope="session")
def binaries() -> Binaries:
    try:
        return find_binaries()
    except FfmpegMissingError as exc:
        pytest.skip(f"media tests need ffmpeg and ffprobe: {exc}")


@pytest.fixture(scope="session")
def clips(binaries: Binaries, tmp_path_factory: pytest.TempPathFactory) -> ClipMaker:
    return ClipMaker(binaries.ffmpeg, tmp_path_factory.mktemp("clips"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class FakeEncoder:
    """Jobs that publish a tiny master playlist the first time they are read."""

    app: FastAPI | None = None
    submitted: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[str, JobView] = field(default_factory=dict)
    fail: bool = False
    fail_reason: str = "encoder exploded"
    hold: bool = False  # jobs stay queued while set

    async def submit(
        self,
        *,
        title_id: str,
        source_key: str,
        options: Mapping[str, Any],
        job_id: str | None = None,
    ) -> JobView:
        self.submitted.append(
            {"title_id": title_id, "source_key": source_key, "job_id": job_id, **options}
        )
        if job_id is not None and job_id in self.jobs:
            return self.jobs[job_id]  # as the pipeline does: the same job again
        job = JobView(id=job_id or uuid.uuid4().hex, title_id=title_id, state="queued")
        self.jobs[job.id] = job
        return job

    async def get(self, job_id: str) -> JobView:
        job = self.jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no job {job_id}")
        if job.final or self.hold:
            return job
        if self.fail:
            job = JobView(job.id, job.title_id, "failed", 1.0, reason=self.fail_reason)
        else:
            assert self.app is not None
            ctx = chassis_of(self.app).context_as(MediaContext)
            key = ctx.public_key(job.title_id, f"{job.id}/master.m3u8")
            await ctx.blob.put(key, b"#EXTM3U\n", content_type="application/vnd.apple.mpegurl")
            rungs = [{"bitrate_kbps": 375, "width": 384, "height": 216, "vmaf": 80.0}]
            job = JobView(job.id, job.title_id, "done", 1.0, master_key=key, rungs=rungs)
        self.jobs[job_id] = job
        return job


class Server:
    """One media app under uvicorn in a thread."""

    def __init__(self, app: FastAPI, port: int) -> None:
        self.app = app
        self.port = port
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the media app did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def signed(self, path: str) -> str:
        """``path`` (``/media/TITLE/...``) as a URL on this server signed for the title's folder."""
        ctx = chassis_of(self.app).context_as(MediaContext)
        title, _, rest = path.removeprefix("/media/").partition("/")
        return self.url + ctx.signer.url(title, rest, expires=int(time.time()) + 600)

    def title(self, title_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/api/media/titles/{title_id}", timeout=10)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def wait_title(
        self, title_id: str, states: tuple[str, ...], timeout_s: float = 60
    ) -> dict[str, Any]:
        """Poll the title until it is in one of ``states`` (with its extras done)."""
        deadline = time.monotonic() + timeout_s
        while True:
            title = self.title(title_id)
            if title["state"] in states:
                return title
            if time.monotonic() > deadline:
                pytest.fail(f"title {title_id} stayed {title['state']}: {title}")
            time.sleep(0.1)


@pytest.fixture
def media_config(tmp_path: Path) -> Callable[..., Config]:
    def make(**values: str) -> Config:
        environ = {
            "REELSTACK_HOME": str(tmp_path / "home"),
            "REELSTACK_SERVICE_NAME": "media",
            "REELSTACK_MEDIA_RECONCILE_S": "0.2",
            "REELSTACK_MEDIA_TRICKPLAY_INTERVAL_S": "1",
            "REELSTACK_MEDIA_ARTWORK_CANDIDATES": "3",
            "REELSTACK_PLAYBACK_URL_SECRET": URL_SECRET,
            **{settings.REGISTRY[k].env: v for k, v in values.items()},
        }
        return Config.load(settings.REGISTRY, environ=environ)

    return make


@pytest.fixture
def start_media(media_config: Callable[..., Config]) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(*, encoder: FakeEncoder | None = None, sweep: bool = True, **values: str) -> Server:
        fake = encoder if encoder is not None else FakeEncoder()
        port = free_port()
        config = media_config(
            **{"service.port": str(port), "instance.id": f"media-a-{port}", **values}
        )
        app = create_app(config, encoder=fake, sweep=sweep)
        fake.app = app
        server = Server(app, port).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()
