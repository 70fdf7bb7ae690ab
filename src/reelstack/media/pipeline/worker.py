"""A media worker: ``python -m reelstack.media.pipeline.worker``.

Each worker is one member of the consumer group ``media-workers`` on the topic
``media.tasks``. It takes one task at a time, runs it (:mod:`.steps`), and
commits the task's offset only after the step has published its outputs and
recorded them. While a step runs (a chunk encode can take minutes), the
worker keeps polling so the group sees it alive, and rewinds whatever those
polls fetched so nothing is skipped.

A worker that dies mid-task commits nothing: after ``media.worker_session_ms``
the group gives its partitions to the others, which read them from the last
committed offset and redo only the unfinished task. Redoing is safe because
every step is idempotent and its effect is recorded with a conditional
transition (see :mod:`.jobstore`).

Settings as for every process (``REELSTACK_*``); ``media.worker_cpus`` pins
the worker and its ffmpeg runs to some CPUs, ``media.worker_health_port``
serves ``GET /health`` on 127.0.0.1. As a cluster service, the same worker
runs inside a chassis app instead: :mod:`.worker_app`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from reelstack import settings as S
from reelstack.bootstrap import Adapters, bootstrap
from reelstack.chassis import logs
from reelstack.config import Config
from reelstack.errors import ConfigError, NotAssignedError, ReelstackError
from reelstack.media import settings as media_settings
from reelstack.media.ffmpeg.binaries import find_binaries
from reelstack.media.pipeline import settings as pipeline_settings
from reelstack.media.pipeline.jobs import prepare
from reelstack.media.pipeline.jobtypes import TASKS_TOPIC, WORKER_GROUP
from reelstack.media.pipeline.staging import Pipeline
from reelstack.media.pipeline.steps import Context, fail_job, run_task
from reelstack.media.pipeline.tasks import Task
from reelstack.ports.log import Consumer, Record, TopicPartition

log = logging.getLogger("reelstack.media.pipeline.worker")

PORTS = ["log", "sql", "blob"]
# A step that fails for a reason outside it (the relational store down) is
# tried this many times before its task is skipped.
MAX_STEP_ERRORS = 5
ERROR_PAUSE_S = 2.0


def worker_id() -> str:
    """A member id naming the host and process."""
    return f"media-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Worker:
    """Consumes ``media.tasks`` and runs each task once it holds it."""

    def __init__(self, ctx: Context, *, session_timeout_ms: int) -> None:
        self.ctx = ctx
        self.session_timeout_ms = session_timeout_ms
        self.heartbeat_s = min(1.0, session_timeout_ms / 4000)
        self.current: Task | None = None
        self.done = 0
        self._errors: dict[tuple[str, int, int], int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Take tasks until ``stop`` is set; the task in hand is finished first."""
        consumer = self.ctx.adapters.log.consumer(
            WORKER_GROUP,
            [TASKS_TOPIC],
            member_id=self.ctx.worker_id,
            session_timeout_ms=self.session_timeout_ms,
        )
        await consumer.start()
        log.info("media worker %s taking tasks", self.ctx.worker_id)
        try:
            while not stop.is_set():
                try:
                    records = await consumer.poll(max_records=1, timeout_s=self.heartbeat_s)
                except ReelstackError as exc:
                    log.warning("cannot poll %s: %s", TASKS_TOPIC, exc)
                    await asyncio.sleep(ERROR_PAUSE_S)
                    continue
                for record in records:
                    await self._process(consumer, record)
        finally:
            with contextlib.suppress(ReelstackError):
                await consumer.stop()

    async def _heartbeat(self, consumer: Consumer) -> None:
        """Poll so the group keeps this member, and rewind what the poll fetched."""
        try:
            fetched = await consumer.poll(max_records=1, timeout_s=0)
            for record in fetched:
                await consumer.seek(TopicPartition(record.topic, record.partition), record.offset)
        except ReelstackError as exc:
            log.warning("heartbeat poll failed: %s", exc)

    async def _process(self, consumer: Consumer, record: Record) -> None:
        tp = TopicPartition(record.topic, record.partition)
        try:
            task = Task.decode(record.value)
        except (ValueError, KeyError, TypeError) as exc:
            log.error(
                "skipping a record that is not a task at %s[%d]@%d: %s",
                tp.topic,
                tp.partition,
                record.offset,
                exc,
            )
            await self._commit(consumer, tp, record.offset + 1)
            return
        self.current = task
        step = asyncio.create_task(run_task(self.ctx, task))
        try:
            while not step.done():
                await asyncio.wait({step}, timeout=self.heartbeat_s)
                if not step.done():
                    await self._heartbeat(consumer)
            step.result()
        except ReelstackError as exc:
            # Not the step's own failure (those are handled inside it): a store
            # is unreachable. Read the task again after a pause.
            await self._step_error(consumer, record, tp, task, exc)
            return
        except Exception as exc:
            # A bug. Logged with its traceback, retried a few times, then the job
            # fails, rather than the worker dying on the same task over and over.
            log.exception("%s of job %s raised", task.kind, task.job_id)
            await self._step_error(consumer, record, tp, task, exc)
            return
        finally:
            self.current = None
        self.done += 1
        await self._commit(consumer, tp, record.offset + 1)

    async def _step_error(
        self, consumer: Consumer, record: Record, tp: TopicPartition, task: Task, exc: Exception
    ) -> None:
        where = (tp.topic, tp.partition, record.offset)
        count = self._errors.get(where, 0) + 1
        self._errors[where] = count
        if count < MAX_STEP_ERRORS:
            log.warning("%s of job %s failed (%s); trying again", task.kind, task.job_id, exc)
            await asyncio.sleep(ERROR_PAUSE_S)
            with contextlib.suppress(NotAssignedError):
                await consumer.seek(tp, record.offset)
            return
        log.error(
            "giving up on %s of job %s after %d errors: %s", task.kind, task.job_id, count, exc
        )
        self._errors.pop(where, None)
        try:
            await fail_job(self.ctx, task.job_id, f"{task.kind} step error: {exc}")
        except ReelstackError as again:
            log.error("cannot fail job %s: %s", task.job_id, again)
        await self._commit(consumer, tp, record.offset + 1)

    async def _commit(self, consumer: Consumer, tp: TopicPartition, offset: int) -> None:
        try:
            await consumer.commit({tp: offset})
        except NotAssignedError as exc:
            # The partition moved while the task ran; its new owner reads the
            # task again and finds it done.
            log.warning("task done but its partition moved: %s", exc)


async def open_context(config: Config, *, adapters: Adapters | None = None) -> Context:
    """Open the adapters a worker needs and build its context."""
    adapters = adapters if adapters is not None else bootstrap(config)
    await adapters.open(PORTS)
    await prepare(adapters=adapters)
    binaries = await asyncio.to_thread(
        find_binaries,
        config.get(media_settings.MEDIA_FFMPEG),
        config.get(media_settings.MEDIA_FFPROBE),
    )
    ident = worker_id()
    root = Path(config.get(pipeline_settings.MEDIA_WORK_DIR)) / ident
    root.mkdir(parents=True, exist_ok=True)
    return Context(adapters, binaries, Pipeline.from_config(config), ident, root)


async def _health_server(port: int, worker: Worker) -> asyncio.Server:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5)
            ok = request.startswith(b"GET /health")
            body = json.dumps(
                {
                    "status": "UP",
                    "worker": worker.ctx.worker_id,
                    "tasks_done": worker.done,
                    "task": None if worker.current is None else worker.current.kind,
                }
                if ok
                else {"error": "not found"}
            ).encode()
            status = b"200 OK" if ok else b"404 Not Found"
            writer.write(
                b"HTTP/1.1 "
                + status
                + b"\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + body
            )
            await writer.drain()
        except (OSError, TimeoutError) as exc:
            log.debug("health request failed: %s", exc)
        finally:
            writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", port)


async def serve(config: Config) -> None:
    """Run a worker until SIGTERM or SIGINT."""
    ctx = await open_context(config)
    logs.CONTEXT.instance = ctx.worker_id
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(ctx, session_timeout_ms=config.get(pipeline_settings.MEDIA_WORKER_SESSION_MS))
    health = None
    if port := config.get(pipeline_settings.MEDIA_WORKER_HEALTH_PORT):
        health = await _health_server(port, worker)
    try:
        await worker.run(stop)
    finally:
        if health is not None:
            health.close()
        await ctx.adapters.close()
        log.info("media worker %s stopped after %d tasks", ctx.worker_id, worker.done)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one media worker; exit 0 when stopped, 2 for a bad setting, 4 if it cannot start."""
    logs.configure(service="media-worker", instance="")
    try:
        config = S.load()
        logs.set_level(config.get(S.LOG_LEVEL))
        cpus = config.get(pipeline_settings.MEDIA_WORKER_CPUS)
    except ConfigError as exc:
        log.error(str(exc))
        return 2
    if cpus:
        # Inherited by every ffmpeg this process starts.
        os.sched_setaffinity(0, cpus)
    try:
        asyncio.run(serve(config))
    except ReelstackError as exc:
        log.error("media worker cannot run: %s", exc)
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
