"""A media worker: the ``media-worker`` service's work (:mod:`.worker_app` runs it).

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

A worker runs like every other process, through the chassis' one runner
(``REELSTACK_SERVICE_NAME=media-worker python -m reelstack.chassis.run``),
which serves its health, readiness and metrics and stops it on SIGTERM after
the task in hand; ``media.worker_cpus`` pins it and its ffmpeg runs to some CPUs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from pathlib import Path

from reelstack.bootstrap import Adapters, bootstrap
from reelstack.config import Config
from reelstack.errors import NotAssignedError, ReelstackError
from reelstack.media import settings as media_settings
from reelstack.media.ffmpeg.binaries import find_binaries
from reelstack.media.pipeline import settings as pipeline_settings
from reelstack.media.pipeline.jobs import prepare
from reelstack.media.pipeline.jobtypes import TASKS_TOPIC, WORKER_GROUP
from reelstack.media.pipeline.staging import Pipeline
from reelstack.media.pipeline.steps import Context, fail_job, run_task
from reelstack.media.pipeline.tasks import Task
from reelstack.media.source import limits
from reelstack.media.source.refusals import Refusals
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

    def __init__(
        self,
        ctx: Context,
        *,
        session_timeout_ms: int,
        min_free_bytes: int = 0,
        refusals: Refusals | None = None,
    ) -> None:
        self.ctx = ctx
        self.min_free_bytes = min_free_bytes
        self.refusals = refusals if refusals is not None else Refusals()
        self.paused: str | None = None
        """Why the worker takes no task now (the disk below its floor), or None."""
        self.session_timeout_ms = session_timeout_ms
        self.heartbeat_s = min(1.0, session_timeout_ms / 4000)
        self.current: Task | None = None
        self.done = 0
        self.running = False
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
        self.running = True
        try:
            while not stop.is_set():
                if self._below_floor():
                    # Wait, not fail: the task stays on the topic for this
                    # worker (or another) once space is freed.
                    await self._heartbeat(consumer)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.heartbeat_s)
                    continue
                try:
                    records = await consumer.poll(max_records=1, timeout_s=self.heartbeat_s)
                except ReelstackError as exc:
                    log.warning("cannot poll %s: %s", TASKS_TOPIC, exc)
                    await asyncio.sleep(ERROR_PAUSE_S)
                    continue
                for record in records:
                    await self._process(consumer, record)
        finally:
            self.running = False
            with contextlib.suppress(ReelstackError):
                await consumer.stop()
            log.info("media worker %s stopped after %d tasks", self.ctx.worker_id, self.done)

    def _below_floor(self) -> bool:
        """Whether the work folder's disk is below the floor; logs and counts each pause once."""
        reason = limits.below_floor(self.ctx.work_root, self.min_free_bytes)
        if reason is not None and self.paused is None:
            self.refusals.note("disk_floor_pause", f"encoding paused: {reason}")
        elif reason is None and self.paused is not None:
            log.info("encoding resumed: free disk space is above the floor again")
        self.paused = reason
        return reason is not None

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


async def build_context(config: Config, adapters: Adapters) -> Context:
    """Build a worker's context on ``adapters``, already opened (the chassis opens them)."""
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


async def open_context(config: Config, *, adapters: Adapters | None = None) -> Context:
    """Open the adapters a worker needs and build its context (outside the chassis: tests)."""
    adapters = adapters if adapters is not None else bootstrap(config)
    await adapters.open(PORTS)
    return await build_context(config, adapters)
