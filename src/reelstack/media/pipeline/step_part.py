"""The ``part`` step: one chunk into every rendition, or the whole audio.

See :mod:`.steps`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from reelstack.media.ffmpeg.options import Container, SafeInput
from reelstack.media.ladder.renditions import Rendition
from reelstack.media.packaging.chunks import Chunk
from reelstack.media.packaging.encode import encode_audio, encode_chunk
from reelstack.media.pipeline import jobstore
from reelstack.media.pipeline.jobtypes import Job, JobState
from reelstack.media.pipeline.staging import task_folder, upload
from reelstack.media.pipeline.stepctx import AUDIO_PART, RETRYABLE, Context, fail, reason_of
from reelstack.media.pipeline.tasks import Task, enqueue
from reelstack.media.source.validate import MediaRefused

log = logging.getLogger("reelstack.media.pipeline.steps")

_TICK_S = 1.0


def _safe_source(path: Path, source: dict[str, Any]) -> SafeInput:
    """How the validated source is opened, at ``path`` (a task's own link to it)."""
    opened = source["open"]
    return SafeInput(
        path=path,
        container=Container(source["container"]),
        decoders=tuple(opened["decoders"]),
        max_streams=int(opened["max_streams"]),
        max_pixels=int(opened["max_pixels"]),
        probe_size=int(opened["probe_size"]),
        analyze_duration_us=int(opened["analyze_duration_us"]),
    )


@contextlib.asynccontextmanager
async def _ticking(ctx: Context, job: Job, part: str) -> AsyncIterator[Callable[[float], None]]:
    """A progress callback for a thread, whose latest value is published every second."""
    latest = [0.0]
    done_share = job.parts_done / max(1, job.parts_total)

    async def tick() -> None:
        sent = -1.0
        while True:
            await asyncio.sleep(_TICK_S)
            if latest[0] != sent:
                sent = latest[0]
                overall = 0.05 + 0.9 * (done_share + sent / max(1, job.parts_total))
                await ctx.event(
                    job, JobState.ENCODING, overall, part=part, part_progress=round(sent, 4)
                )

    def update(fraction: float) -> None:
        latest[0] = fraction

    ticker = asyncio.create_task(tick())
    try:
        yield update
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


async def _encode_part(
    ctx: Context, job: Job, part: str, attempt: int, folder: Path
) -> dict[str, Any]:
    plan = job.plan
    assert plan is not None
    info = await ctx.adapters.blob.stat(job.source_key)
    if info.etag != plan["source"]["etag"]:
        raise MediaRefused("changed", "the source changed after it was probed")
    cached = await ctx.sources.stage(ctx.adapters.blob, job.id, job.source_key, size=info.size)
    path = folder / "source"
    await asyncio.to_thread(_link, cached, path)
    src = _safe_source(path, plan["source"])
    limits = ctx.pipeline.limits.run
    files: dict[str, str] = {}
    began, started = time.time(), time.perf_counter()
    async with _ticking(ctx, job, part) as on_progress:
        if part == AUDIO_PART:
            out = folder / "audio.mp4"
            await asyncio.to_thread(
                encode_audio,
                ctx.binaries,
                src,
                ctx.pipeline.encode,
                out=out,
                limits=limits,
                duration_s=float(plan["duration_s"]),
                on_progress=on_progress,
            )
            outputs = {AUDIO_PART: out}
        else:
            chunk = next(
                Chunk.from_json(c) for c in plan["chunks"] if Chunk.from_json(c).name == part
            )
            renditions = [Rendition.from_json(r) for r in plan["renditions"]]
            expected = chunk.duration_s or max(0.1, float(plan["duration_s"]) - chunk.start_s)
            outputs = await asyncio.to_thread(
                encode_chunk,
                ctx.binaries,
                src,
                chunk,
                renditions,
                ctx.pipeline.encode,
                out_dir=folder,
                limits=limits,
                expected_s=expected,
                on_progress=on_progress,
            )
    encoded_s = time.perf_counter() - started
    for name, file in outputs.items():
        key = ctx.pipeline.work_key(job.id, part, f"a{attempt}", f"{name}.mp4")
        await upload(ctx.adapters.blob, key, file)
        files[name] = key
    # When and how long, so a job's parts can be laid out per worker afterwards.
    return {
        "files": files,
        "attempt": attempt,
        "worker": ctx.worker_id,
        "began": round(began, 3),
        "encode_s": round(encoded_s, 3),
        "total_s": round(time.perf_counter() - started, 3),
    }


def _link(source: Path, target: Path) -> None:
    try:
        target.hardlink_to(source)
    except OSError:
        shutil.copyfile(source, target)


async def part_step(ctx: Context, job: Job, task: Task) -> None:
    """Encode the task's part (a chunk into every rendition, or the audio) and record it."""
    assert task.part is not None  # a part task names its part (Task checks)
    part, slot = task.part, task.slot
    db = ctx.adapters.sql
    if job.state is not JobState.ENCODING:
        return  # done, being packaged, or over
    attempt = await jobstore.begin_part(db, job.id, part, worker=ctx.worker_id)
    if attempt is None:
        if job.parts_done == job.parts_total:
            await enqueue(ctx.adapters.log, Task("package", job.id))  # in case it was lost
        return
    if attempt > ctx.pipeline.max_attempts:
        parts = await jobstore.load_parts(db, job.id)
        last = parts[part].reason if part in parts else None
        await fail(
            ctx, job, f"{part} gave up after {attempt - 1} attempts: {last or 'worker lost'}"
        )
        return
    folder = task_folder(ctx.work_root / "tasks")
    try:
        output = await _encode_part(ctx, job, part, attempt, folder)
    except MediaRefused as exc:
        await fail(ctx, job, str(exc))
        return
    except RETRYABLE as exc:
        reason = f"{part}: {reason_of(exc)}"
        await jobstore.part_failed(db, job.id, part, reason=reason)
        if attempt >= ctx.pipeline.max_attempts:
            await fail(ctx, job, reason)
        else:
            log.warning("job %s %s attempt %d failed, retrying: %s", job.id, part, attempt, reason)
            await enqueue(ctx.adapters.log, Task("part", job.id, part, slot))
        return
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    done = await jobstore.finish_part(db, job.id, part, output=output)
    if not done.won:
        for key in output["files"].values():
            await ctx.adapters.blob.delete(key)
        return
    progress = 0.05 + 0.9 * done.parts_done / max(1, done.parts_total)
    await ctx.event(job, JobState.ENCODING, progress, part=part, part_progress=1.0)
    if done.last:
        await enqueue(ctx.adapters.log, Task("package", job.id))
