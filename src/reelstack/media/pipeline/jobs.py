"""Encoding jobs: what the media service submits, and how it follows them.

A job takes one title's uploaded source (a blob key) to a published ladder::

    queued -> probing -> planning -> encoding -> packaging -> published
                  \\          \\           \\            \\
                   +----------+-----------+------------+--> failed(reason)

Media workers (the ``media-worker`` service) do the work, from tasks
on the event log topic ``media.tasks``; see :mod:`.steps` for each step and
:mod:`.jobstore` for the conditional state transitions that make a redelivered
task a no-op. Every transition, and the progress of each chunk, is also an
event on ``media.progress`` keyed by job id, which :func:`follow` replays.

The API for the media service::

    await prepare(adapters=adapters)          # at start-up: tables and topics
    job = await submit(adapters=adapters, title_id="t1", source_key="uploads/t1",
                       options=EncodeRequest())
    job = await get(adapters=adapters, job_id=job.id)
    async for event in follow(adapters=adapters, job_id=job.id):
        ...                                   # ends after published or failed
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

from reelstack.bootstrap import Adapters
from reelstack.config import Config
from reelstack.errors import ConflictError, InvalidRequestError, NotFoundError
from reelstack.media.pipeline import jobstore
from reelstack.media.pipeline import settings as pipeline_settings
from reelstack.media.pipeline.jobtypes import (
    PROGRESS_TOPIC,
    TASKS_TOPIC,
    WORKER_GROUP,
    EncodeRequest,
    Job,
    JobState,
    ProgressEvent,
    SubtitleSource,
)
from reelstack.media.pipeline.staging import KEY_NAME
from reelstack.media.pipeline.tasks import Task, enqueue, ensure_topics, publish_event
from reelstack.ports.log import TopicPartition
from reelstack.ports.partitioning import partition_for_key

__all__ = [
    "PROGRESS_TOPIC",
    "TASKS_TOPIC",
    "WORKER_GROUP",
    "EncodeRequest",
    "Job",
    "JobState",
    "ProgressEvent",
    "SubtitleSource",
    "content_key_blob",
    "follow",
    "for_title",
    "get",
    "parts_of",
    "prepare",
    "submit",
]


def content_key_blob(config: Config, title_id: str) -> str:
    """Blob key of a title's AES-128 key (16 raw bytes), for the service that serves keys."""
    return f"{config.get(pipeline_settings.MEDIA_KEY_PREFIX)}/{title_id}/{KEY_NAME}"


async def prepare(*, adapters: Adapters) -> None:
    """Create the jobs tables and the pipeline's topics; safe to repeat.

    The jobs tables are the media branch's (media and its workers are one
    bounded context); a worker that starts first makes them, no other branch.
    """
    await adapters.sql.migrate("media")
    await ensure_topics(
        adapters.log, task_partitions=adapters.config.get(pipeline_settings.MEDIA_TASK_PARTITIONS)
    )


async def submit(
    *,
    adapters: Adapters,
    title_id: str,
    source_key: str,
    options: EncodeRequest,
    job_id: str | None = None,
) -> Job:
    """Queue a job encoding ``source_key`` (a blob key) for ``title_id``.

    With ``job_id`` (32 hex digits) the submission is idempotent: a caller
    that crashed after submitting and submits again with the same id gets the
    job it made, queued once more unless it has ended (a job's tasks may be
    delivered twice), never a second job.
    """
    if (
        not title_id
        or len(title_id) > 64
        or not title_id.replace("-", "").replace("_", "").isalnum()
    ):
        raise InvalidRequestError(f"title id {title_id!r}: letters, digits, '-', '_', at most 64")
    if job_id is not None and not (len(job_id) == 32 and _is_hex(job_id)):
        raise InvalidRequestError(f"job id {job_id!r}: 32 hex digits")
    await adapters.blob.stat(source_key)  # NotFoundError now rather than in a worker
    for sub in options.subtitles:
        await adapters.blob.stat(sub.key)
    await ensure_topics(
        adapters.log, task_partitions=adapters.config.get(pipeline_settings.MEDIA_TASK_PARTITIONS)
    )
    try:
        job = await jobstore.add(
            adapters.sql,
            job_id=job_id or uuid.uuid4().hex,
            title_id=title_id,
            source_key=source_key,
            request=options,
        )
    except ConflictError:
        if job_id is None:
            raise
        job = await jobstore.load(adapters.sql, job_id)
        if (job.title_id, job.source_key) != (title_id, source_key):
            raise ConflictError(
                f"job {job_id} exists for {job.title_id} ({job.source_key})"
            ) from None
        if not job.state.terminal:
            await enqueue(adapters.log, Task("job", job.id))
        return job
    await enqueue(adapters.log, Task("job", job.id))
    await publish_event(adapters.log, ProgressEvent(job.id, title_id, JobState.QUEUED, 0.0))
    return job


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


async def get(*, adapters: Adapters, job_id: str) -> Job:
    """Return a job; NotFoundError if there is none with this id."""
    return await jobstore.load(adapters.sql, job_id)


async def parts_of(*, adapters: Adapters, job_id: str) -> list[jobstore.Part]:
    """Return a job's parts (chunks, then audio) in name order; empty before encoding."""
    found = await jobstore.load_parts(adapters.sql, job_id)
    return [found[name] for name in sorted(found)]


async def for_title(*, adapters: Adapters, title_id: str) -> list[Job]:
    """Return a title's jobs, newest first."""
    return await jobstore.for_title(adapters.sql, title_id)


async def follow(
    *, adapters: Adapters, job_id: str, poll_s: float = 0.25, check_s: float = 5.0
) -> AsyncIterator[ProgressEvent]:
    """Yield a job's progress events from its first, ending after it is published or failed.

    Events come from ``media.progress``; every ``check_s`` the stored job is
    read too, so a job whose last events were lost (retention) still ends the
    iteration, with a synthesized final event.
    """
    job = await get(adapters=adapters, job_id=job_id)
    log = adapters.log
    partitions = next(
        (t.partitions for t in await log.list_topics() if t.name == PROGRESS_TOPIC), 0
    )
    if not partitions:
        raise NotFoundError(f"topic {PROGRESS_TOPIC} does not exist")
    # The port pins Kafka's partitioner, so the key's partition is known.
    tp = TopicPartition(PROGRESS_TOPIC, partition_for_key(job_id.encode(), partitions))
    offset, _ = await log.offsets(tp)
    checked = time.monotonic()
    while True:
        records = await log.read(tp, offset)
        for record in records:
            offset = record.offset + 1
            if record.key != job_id.encode():
                continue
            event = ProgressEvent.decode(record.value)
            yield event
            if event.state.terminal:
                return
        if records:
            continue
        if time.monotonic() - checked >= check_s:
            checked = time.monotonic()
            job = await get(adapters=adapters, job_id=job_id)
            if job.state.terminal:
                _, end = await log.offsets(tp)
                if offset >= end:
                    yield ProgressEvent(
                        job.id, job.title_id, job.state, job.progress, reason=job.reason
                    )
                    return
        await asyncio.sleep(poll_s)
