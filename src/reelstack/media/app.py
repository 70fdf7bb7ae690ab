"""The media service's app: ingest (tus uploads), titles, jobs, published files.

At start-up it migrates the relational store, prepares the encoding
pipeline's topics, and starts the sweeper that takes finished uploads through
validation to an encoding job and marks titles ready when their job is
published (:mod:`reelstack.media.ingest.sweeper`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import create_service_app
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.errors import ReelstackError
from reelstack.media import api
from reelstack.media import settings as media_settings
from reelstack.media.context import MediaContext
from reelstack.media.ingest import sweeper as ingest
from reelstack.media.ingest import tus
from reelstack.media.pipeline.encoder import Encoder, PipelineEncoder
from reelstack.ports import Database

log = logging.getLogger(__name__)

PORTS = ("sql", "blob", "log")


async def _migrate(db: Database) -> None:
    await db.migrate()


def create_app(
    config: Config,
    *,
    adapters: Adapters | None = None,
    encoder: Encoder | None = None,
    sweep: bool = True,
) -> FastAPI:
    """Return the media service's ASGI app.

    ``encoder`` replaces the encoding pipeline (tests); ``sweep=False`` leaves
    finished uploads for another instance (or a test) to process.
    """
    tasks: list[asyncio.Task[None]] = []
    app: FastAPI | None = None

    async def start(chassis: Chassis) -> None:
        chosen = encoder if encoder is not None else PipelineEncoder(chassis.adapters)
        ctx = MediaContext.build(
            chassis.config,
            # The adapters themselves: one not open yet answers UnavailableError
            # when used, and the dependencies retry opening it meanwhile.
            db=chassis.adapters.sql,
            blob=chassis.adapters.blob,
            encoder=chosen,
            owner=chassis.identity.instance,
        )
        await asyncio.to_thread(ctx.uploads.open)
        if isinstance(chosen, PipelineEncoder):
            try:
                await chosen.prepare()
            except ReelstackError as exc:
                log.warning("encoding pipeline not prepared: %s", exc)
        assert app is not None
        app.state.media = ctx
        if sweep:
            interval = chassis.config.get(media_settings.MEDIA_RECONCILE_S)
            tasks.append(asyncio.create_task(ingest.run_sweeper(ctx, interval)))

    async def stop(chassis: Chassis) -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = create_service_app(
        config,
        routers=[tus.make_router(), api.make_router(), api.make_files_router()],
        ports=PORTS,
        on_open={"sql": _migrate},
        on_startup=[start],
        on_shutdown=[stop],
        service="media",
        adapters=adapters,
    )
    return app
