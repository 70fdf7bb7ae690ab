"""The history service's app."""

from __future__ import annotations

from fastapi import FastAPI

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import create_service_app
from reelstack.config import Config
from reelstack.history import repository
from reelstack.history.api import make_router
from reelstack.history.models import NextEpisodeLookup, next_in_season
from reelstack.history.spec import SPEC


def create_app(
    config: Config,
    *,
    adapters: Adapters | None = None,
    lookup: NextEpisodeLookup = next_in_season,
) -> FastAPI:
    """Return the history service's ASGI app; ``lookup`` resolves Next Up's episodes."""
    return create_service_app(
        config,
        spec=SPEC,
        routers=[make_router(lookup=lookup)],
        adapters=adapters,
        # Tables are created as the port opens, as a relational service migrates.
        on_open={"widecolumn": repository.create_tables},
    )
