"""Two worker processes share a job; one is killed -9 in the middle of a chunk.

The job must still be published exactly once, with only the killed chunk
encoded a second time (by the other worker, after the group gave it the dead
worker's partitions), and every segment must decode.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from reelstack.bootstrap import bootstrap
from reelstack.config import Config
from reelstack.media.ffmpeg import Binaries
from reelstack.media.ladder.plan import Rung
from reelstack.media.pipeline import jobs, jobstore
from reelstack.media.pipeline.jobs import PROGRESS_TOPIC, EncodeRequest, JobState, ProgressEvent
from reelstack.ports.log import TopicPartition

from .conftest import ClipMaker
from .pipeline_support import check_hls, fetch_tree, pipeline_config, pipeline_env

pytestmark = pytest.mark.slow

# Slow enough per chunk (a few seconds on two cores) to be caught in the middle.
SETTINGS = {"preset": "slow", "worker_session_ms": "1500", "task_partitions": "4"}
RUNGS = (Rung(320, 180, 300), Rung(480, 270, 500), Rung(640, 360, 800))
DEADLINE_S = 280.0


# A worker runs through the chassis' one runner, as the cluster runs it.
WORKER_ENV = {"REELSTACK_SERVICE_NAME": "media-worker", "REELSTACK_SERVICE_PORT": "0"}


class Workers:
    """Worker processes started by a test, logs in files, stopped at the end."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = self.logs / f"worker-{len(self.procs)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "reelstack.chassis.run"],
                env={
                    **self.env,
                    "REELSTACK_SERVICE_NAME": "media-worker",
                    "REELSTACK_SERVICE_PORT": "0",
                },
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.procs.append(proc)
        return proc

    def wait_ready(self, deadline_s: float = 60.0) -> None:
        """Poll the logs until every worker has joined the group."""
        end = time.monotonic() + deadline_s
        for index, proc in enumerate(self.procs):
            log = self.logs / f"worker-{index}.log"
            while b"taking tasks" not in log.read_bytes():
                assert proc.poll() is None, log.read_text()[-2000:]
                assert time.monotonic() < end, "worker did not start in time"
                time.sleep(0.05)

    def by_pid(self, pid: int) -> subprocess.Popen[bytes]:
        return next(p for p in self.procs if p.pid == pid)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    env = os.environ | pipeline_env(tmp_path / "home", **SETTINGS)
    group = Workers(env, tmp_path)
    yield group
    group.stop()


def kill_with_children(pid: int) -> None:
    """SIGKILL a worker and the ffmpeg it runs, as a machine or container dying would."""
    proc = psutil.Process(pid)
    children = proc.children(recursive=True)
    proc.kill()
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            continue


def pid_of(worker_id: str) -> int:
    # Worker ids are media-<host>-<pid>-<random>.
    return int(worker_id.rsplit("-", 2)[1])


async def test_a_worker_killed_mid_chunk_loses_only_that_chunk(
    workers: Workers, tmp_path: Path, clips: ClipMaker, binaries: Binaries
) -> None:
    config: Config = pipeline_config(tmp_path / "home", **SETTINGS)
    adapters = bootstrap(config)
    await adapters.open(["log", "sql", "blob"])
    try:
        await jobs.prepare(adapters=adapters)
        source = clips.video("workers-16s.mp4", size="640x360", seconds=16, rate=25)
        await adapters.blob.put("uploads/k1/source.mp4", await asyncio.to_thread(source.read_bytes))
        workers.start()
        workers.start()
        await asyncio.to_thread(workers.wait_ready)

        job = await jobs.submit(
            adapters=adapters,
            title_id="k1",
            source_key="uploads/k1/source.mp4",
            options=EncodeRequest(rungs=RUNGS),
        )
        victim: tuple[str, str] | None = None
        events: list[ProgressEvent] = []

        async def watch() -> None:
            nonlocal victim
            async for event in jobs.follow(adapters=adapters, job_id=job.id, poll_s=0.05):
                events.append(event)
                mid_chunk = (
                    event.part is not None
                    and event.part.startswith("c")
                    and event.part_progress is not None
                    and 0 < event.part_progress < 1
                )
                if victim is None and mid_chunk and event.worker:
                    victim = (event.worker, event.part or "")
                    kill_with_children(pid_of(event.worker))

        await asyncio.wait_for(watch(), DEADLINE_S)
        assert victim is not None, "no chunk was seen in progress"
        worker_id, killed_part = victim
        assert workers.by_pid(pid_of(worker_id)).wait(timeout=10) == -signal.SIGKILL
        assert events[-1].state is JobState.PUBLISHED, events[-1].reason

        job = await jobs.get(adapters=adapters, job_id=job.id)
        assert job.state is JobState.PUBLISHED and job.parts_done == job.parts_total == 5
        parts = await jobstore.load_parts(adapters.sql, job.id)
        # Only the chunk in the killed worker's hands was encoded twice, and its
        # output is the other worker's.
        assert {name: p.attempts for name, p in parts.items()} == {
            name: 2 if name == killed_part else 1 for name in parts
        }
        assert parts[killed_part].output is not None
        assert parts[killed_part].output["worker"] != worker_id

        # The survivor drains and stops; the job was published once, whatever ran twice.
        await asyncio.to_thread(workers.stop)
        published = 0
        for partition in range(4):
            tp = TopicPartition(PROGRESS_TOPIC, partition)
            for record in await adapters.log.read(tp, 0, max_records=100_000):
                event = ProgressEvent.decode(record.value)
                published += event.job_id == job.id and event.state is JobState.PUBLISHED
        assert published == 1
        assert await adapters.blob.list(f"private/media-jobs/{job.id}/") == []

        root = await fetch_tree(adapters.blob, job.output_prefix or "", tmp_path / "out")
        work = tmp_path / "decoded"
        work.mkdir()
        _, renditions, audio = await asyncio.to_thread(check_hls, root, binaries.ffprobe, work)
        assert [len(r.segments) for r in renditions] == [4, 4, 4]
        for segments in zip(*(r.segments for r in renditions), strict=True):
            assert all(s.first_is_key and s.keyframes == 1 for s in segments)
            assert (
                max(s.first_pts_s for s in segments) - min(s.first_pts_s for s in segments) < 1e-3
            )
        assert [sum(s.frames for s in r.segments) for r in renditions] == [400, 400, 400]
        assert audio and all(s.frames > 0 for s in audio)
    finally:
        await adapters.close()
