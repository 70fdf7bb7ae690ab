"""The media worker as a cluster service: a chassis app answering /health that runs jobs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi.testclient import TestClient

from reelstack.bootstrap import bootstrap
from reelstack.media.ladder.plan import Rung
from reelstack.media.pipeline import jobs
from reelstack.media.pipeline.jobs import EncodeRequest, JobState
from reelstack.media.pipeline.worker_app import create_app

from .conftest import ClipMaker
from .pipeline_support import pipeline_config


async def _encode(config_home: Path, source: Path) -> tuple[JobState, str | None]:
    adapters = bootstrap(pipeline_config(config_home))
    await adapters.open(["log", "sql", "blob"])
    try:
        await jobs.prepare(adapters=adapters)
        await adapters.blob.put("uploads/w1/source.mp4", await asyncio.to_thread(source.read_bytes))
        job = await jobs.submit(
            adapters=adapters,
            title_id="w1",
            source_key="uploads/w1/source.mp4",
            options=EncodeRequest(rungs=(Rung(320, 180, 300),)),
        )

        async def last() -> tuple[JobState, str | None]:
            async for event in jobs.follow(adapters=adapters, job_id=job.id, poll_s=0.05):
                if event.state.terminal:
                    return event.state, event.reason
            raise AssertionError("follow ended without a final event")

        return await asyncio.wait_for(last(), 240)
    finally:
        await adapters.close()


def test_the_worker_service_is_healthy_and_runs_jobs(tmp_path: Path, clips: ClipMaker) -> None:
    home = tmp_path / "home"
    source = clips.video("worker-app.mp4", size="320x180", seconds=4, rate=25)
    app = create_app(pipeline_config(home))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        status = client.get("/worker").json()
        assert status["state"] == "running" and status["worker"].startswith("media-")
        state, reason = asyncio.run(_encode(home, source))
        assert state is JobState.PUBLISHED, reason
        assert client.get("/worker").json()["tasks_done"] >= 3
    # Shut down with the app: the worker stopped after its task in hand.
