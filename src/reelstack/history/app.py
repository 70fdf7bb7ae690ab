"""The history service's app."""

from __future__ import annotations

from fastapi import FastAPI

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import chassis_of, create_service_app
from reelstack.config import Config
from reelstack.history import graphql, repository
from reelstack.history.api import make_router
from reelstack.history.catalog import CatalogLookup
from reelstack.history.models import NextEpisodeLookup
from reelstack.history.spec import SPEC


def create_app(
    config: Config,
    *,
    adapters: Adapters | None = None,
    lookup: NextEpisodeLookup | None = None,
) -> FastAPI:
    """Return the history service's ASGI app; ``lookup`` resolves Next Up's episodes.

    By default catalog answers, through this instance's resilient client.
    """
    catalog = CatalogLookup()
    app = create_service_app(
        config,
        spec=SPEC,
        routers=[make_router(lookup=lookup or catalog)],
        adapters=adapters,
        # Tables are created as the port opens, as a relational service migrates.
        on_open={"widecolumn": repository.create_tables},
    )
    catalog.client = chassis_of(app).client
    graphql.serve(app, lookup or catalog)
    return app
