"""The three steps a media worker runs, each safe to run again.

- ``job``: count an attempt (queued/probing/planning -> probing), fetch and
  validate the source, list its keyframes, plan the ladder and the chunks,
  then (planning -> encoding) store the plan and create one part per chunk
  plus one for the audio, and queue a task per part not done.
- ``part``: count an attempt at the part, encode it (one chunk into every
  rendition, or the whole audio), upload the outputs under a key naming the
  attempt, then record the part done: the first attempt to do so wins, a
  later one deletes its outputs. Whoever completes the last part queues
  ``package``.
- ``package``: (encoding, all parts done -> packaging) fetch the winning
  outputs, join and package them, publish every file through the blob store,
  the master playlist last, then (packaging -> published).

A step that finds the job past it does nothing, but re-queues what may have
been lost with a worker killed between a transition and its follow-up
append. A failed attempt is retried by queuing the task again, up to
``media.max_attempts``; the last failure fails the job with ffmpeg's reason.
An upload refused by validation fails at once: retrying cannot help.

:data:`STEPS` maps each task kind to its step; a kind without one is an
error (:class:`UnknownTaskKind`), never silently some other step.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from reelstack.errors import NotFoundError
from reelstack.media.pipeline import jobstore
from reelstack.media.pipeline.jobtypes import Job
from reelstack.media.pipeline.step_job import job_step
from reelstack.media.pipeline.step_package import package_step
from reelstack.media.pipeline.step_part import part_step
from reelstack.media.pipeline.stepctx import AUDIO_PART, Context, fail_job
from reelstack.media.pipeline.tasks import Task

__all__ = ["AUDIO_PART", "STEPS", "Context", "UnknownTaskKind", "fail_job", "run_task", "step_for"]

log = logging.getLogger(__name__)

Step = Callable[[Context, Job, Task], Awaitable[None]]

STEPS: Mapping[str, Step] = {
    "job": job_step,
    "part": part_step,
    "package": package_step,
}
"""The step that runs each kind of task (:data:`.tasks.KINDS`)."""


class UnknownTaskKind(ValueError):
    """A task names a kind no step runs."""


def step_for(kind: str) -> Step:
    """The step that runs tasks of ``kind``; UnknownTaskKind if there is none."""
    step = STEPS.get(kind)
    if step is None:
        raise UnknownTaskKind(f"no step runs tasks of kind {kind!r} (kinds: {', '.join(STEPS)})")
    return step


async def run_task(ctx: Context, task: Task) -> None:
    """Run one task to its end: done, retried (queued again), or the job failed."""
    step = step_for(task.kind)
    try:
        job = await jobstore.load(ctx.adapters.sql, task.job_id)
    except NotFoundError:
        log.warning("task for unknown job %s dropped", task.job_id)
        return
    await step(ctx, job, task)
