"""A media worker as a cluster service: the chassis app with the worker running inside it.

The supervisor starts services as ASGI apps and checks them with ``/health``;
this app gives a worker both, with no change to the supervisor: its lifespan
opens the adapters (log, sql, blob), starts :class:`.worker.Worker` as a
background task and stops it at shutdown (after the task in hand). The HTTP
side serves only the chassis' ``/health``, ``/ready`` and ``/metrics``, plus
``GET /worker`` (what the worker is doing). Its spec, naming this app, is
:mod:`reelstack.media.pipeline.spec`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, FastAPI

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import create_service_app
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.media.pipeline import settings as pipeline_settings
from reelstack.media.pipeline.worker import PORTS, Worker, open_context

log = logging.getLogger(__name__)


class _Running:
    def __init__(self) -> None:
        self.worker: Worker | None = None
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None


def create_app(config: Config, *, adapters: Adapters | None = None) -> FastAPI:
    """Return the media worker service's ASGI app."""
    running = _Running()
    router = APIRouter()

    @router.get("/worker")
    async def status() -> dict[str, Any]:
        worker = running.worker
        if worker is None:
            return {"state": "starting"}
        current = worker.current
        return {
            "state": "running" if running.task and not running.task.done() else "stopped",
            "worker": worker.ctx.worker_id,
            "tasks_done": worker.done,
            "task": None if current is None else {"kind": current.kind, "job_id": current.job_id},
        }

    async def start(chassis: Chassis) -> None:
        ctx = await open_context(chassis.config, adapters=chassis.adapters)
        running.worker = Worker(
            ctx, session_timeout_ms=chassis.config.get(pipeline_settings.MEDIA_WORKER_SESSION_MS)
        )
        running.task = asyncio.create_task(running.worker.run(running.stop))

        def done(task: asyncio.Task[None]) -> None:
            if not task.cancelled() and task.exception() is not None:
                # A worker that cannot take tasks must not look healthy.
                chassis.fail(task.exception() or RuntimeError("media worker stopped"))

        running.task.add_done_callback(done)

    async def stop(chassis: Chassis) -> None:
        running.stop.set()
        if running.task is not None:
            await running.task

    return create_service_app(
        config,
        routers=[router],
        ports=PORTS,
        on_startup=[start],
        on_shutdown=[stop],
        service="media-worker",
        adapters=adapters,
    )
