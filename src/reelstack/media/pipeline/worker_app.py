"""The ``media-worker`` service: the chassis app a worker runs in.

The chassis opens the adapters (log, sql, blob), builds the worker as the
service's context and runs :func:`take_tasks` as a background task, which at
shutdown finishes the task in hand before it returns. The HTTP side serves
the chassis' ``/health``, ``/ready`` and ``/metrics``, plus ``GET /worker``
(what the worker is doing). Its spec, naming this app and the task, is
:mod:`reelstack.media.pipeline.spec`.
"""

from __future__ import annotations

import asyncio
import os
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import create_service_app
from reelstack.chassis.background import graceful
from reelstack.chassis.route_deps import context_dep
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.media import settings as media_settings
from reelstack.media.pipeline import settings as pipeline_settings
from reelstack.media.pipeline.spec import SPEC
from reelstack.media.pipeline.worker import Worker, build_context
from reelstack.media.source.refusals import Refusals

WorkerDep = Annotated[Worker, Depends(context_dep(Worker))]


async def open_worker(chassis: Chassis) -> Worker:
    """Build the worker on the adapters the chassis opened."""
    ctx = await build_context(chassis.config, chassis.adapters)
    refusals = Refusals()
    refusals.register(chassis.metrics.registry)
    return Worker(
        ctx,
        session_timeout_ms=chassis.config.get(pipeline_settings.MEDIA_WORKER_SESSION_MS),
        min_free_bytes=chassis.config.get(media_settings.MEDIA_MIN_FREE_BYTES),
        refusals=refusals,
    )


async def _run(worker: Worker, stop: asyncio.Event) -> None:
    await worker.run(stop)


take_tasks = graceful(_run)
"""The background task: take tasks until the instance stops, then finish the one in hand."""


def create_app(config: Config, *, adapters: Adapters | None = None) -> FastAPI:
    """Return the media worker service's ASGI app."""
    cpus = config.get(pipeline_settings.MEDIA_WORKER_CPUS)
    if cpus:
        # Called by the runner before any thread exists: every ffmpeg this
        # process starts inherits it.
        os.sched_setaffinity(0, cpus)
    router = APIRouter()

    @router.get("/worker")
    async def status(worker: WorkerDep) -> dict[str, Any]:
        current = worker.current
        return {
            "state": "running" if worker.running else "stopped",
            "worker": worker.ctx.worker_id,
            "tasks_done": worker.done,
            "task": None if current is None else {"kind": current.kind, "job_id": current.job_id},
        }

    return create_service_app(
        config, spec=SPEC, routers=[router], context=open_worker, adapters=adapters
    )
