"""The media service's app: ingest (tus uploads), titles, jobs, published files.

At start-up the chassis migrates the service's Alembic branch; the app builds
its context (:class:`MediaContext`), prepares the encoding pipeline's topics,
and the chassis runs :func:`sweep_uploads`, which takes finished uploads through
validation to an encoding job and marks titles ready when their job is
published (:mod:`reelstack.media.ingest.sweeper`).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import create_service_app
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.errors import ReelstackError
from reelstack.media import announce, api
from reelstack.media import settings as media_settings
from reelstack.media.context import MediaContext
from reelstack.media.ingest import sweeper as ingest
from reelstack.media.ingest import tus
from reelstack.media.pipeline.encoder import Encoder, PipelineEncoder
from reelstack.media.spec import SPEC

log = logging.getLogger(__name__)


async def sweep_uploads(ctx: MediaContext) -> None:
    """The service's background task: sweep uploads and jobs until the instance stops."""
    await ingest.run_sweeper(ctx, ctx.config.get(media_settings.MEDIA_RECONCILE_S))


async def announce_titles(ctx: MediaContext) -> None:
    """The service's background task: announce changed titles to the catalog on the log."""
    if ctx.titles_log is not None:
        await announce.run_announcer(ctx, ctx.titles_log)


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

    async def build(chassis: Chassis) -> MediaContext:
        chosen = encoder if encoder is not None else PipelineEncoder(chassis.adapters)
        ctx = MediaContext.build(
            chassis.config,
            # The adapters themselves: one not open yet answers UnavailableError
            # when used, and the dependencies retry opening it meanwhile.
            db=chassis.adapters.sql,
            blob=chassis.adapters.blob,
            encoder=chosen,
            owner=chassis.identity.instance,
            titles_log=chassis.adapters.log,
        )
        ctx.refusals.register(chassis.metrics.registry)
        await asyncio.to_thread(ctx.uploads.open)
        if isinstance(chosen, PipelineEncoder):
            try:
                await chosen.prepare()
            except ReelstackError as exc:
                log.warning("encoding pipeline not prepared: %s", exc)
        return ctx

    return create_service_app(
        config,
        spec=SPEC,
        routers=[tus.make_router(), api.make_router(), api.make_files_router()],
        context=build,
        background=None if sweep else [],
        adapters=adapters,
    )
