"""The playback service's app: plays, stream leases, manifests and content keys."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import create_service_app
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.errors import ReelstackError
from reelstack.playback import announce, graphql, service
from reelstack.playback.api import make_router
from reelstack.playback.context import (
    KEY_PREFIX_SETTING,
    Lifetimes,
    PlaybackContext,
    steering_weights,
)
from reelstack.playback.settings import (
    PLAYBACK_ANNOUNCE_S,
    PLAYBACK_PLAYS_TOPIC,
    PLAYBACK_TITLE_CACHE_S,
)
from reelstack.playback.spec import SPEC
from reelstack.playback.upstream import ServiceUpstreams, Upstreams
from reelstack.signed_urls import signer_for

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 300.0


async def sweep_plays(ctx: PlaybackContext) -> None:
    """The service's background task: drop long-ended plays until the instance stops."""
    while True:
        try:
            dropped = await service.sweep(ctx=ctx)
            if dropped:
                log.info("dropped %d ended plays", dropped)
        except ReelstackError as exc:
            # The rows wait for the next sweep; nothing depends on their absence.
            log.warning("cannot sweep ended plays: %s", exc)
        await asyncio.sleep(SWEEP_EVERY_S)


async def announce_plays(ctx: PlaybackContext) -> None:
    """The service's background task: put new plays on the log until the instance stops."""
    if ctx.log is None:
        return
    await announce.run_announcer(
        db=ctx.db,
        log_port=ctx.log,
        topic=ctx.plays_topic,
        interval_s=ctx.announce_s,
        clock=ctx.clock,
    )


def create_app(
    config: Config, *, adapters: Adapters | None = None, upstreams: Upstreams | None = None
) -> FastAPI:
    """Return the playback service's ASGI app (``upstreams`` replaces the real calls in tests)."""

    async def build(chassis: Chassis) -> PlaybackContext:
        signer = signer_for(chassis.config)
        return PlaybackContext(
            db=chassis.adapters.sql,
            blob=chassis.adapters.blob,
            signer=signer,
            upstreams=upstreams
            or ServiceUpstreams(
                client=chassis.client,
                signer=signer,
                playable_ttl_s=float(chassis.config.get(PLAYBACK_TITLE_CACHE_S)),
            ),
            times=Lifetimes.from_config(chassis.config),
            key_prefix=str(chassis.config.get(KEY_PREFIX_SETTING)),
            log=chassis.adapters.log,
            plays_topic=str(chassis.config.get(PLAYBACK_PLAYS_TOPIC)),
            announce_s=float(chassis.config.get(PLAYBACK_ANNOUNCE_S)),
            discovery=chassis.discovery,
            steering=steering_weights(chassis.config),
        )

    app = create_service_app(
        config, spec=SPEC, routers=[make_router()], context=build, adapters=adapters
    )
    graphql.serve(app)
    return app
