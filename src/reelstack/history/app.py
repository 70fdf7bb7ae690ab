"""The history service's app."""

from __future__ import annotations

from fastapi import FastAPI

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import chassis_of, create_service_app
from reelstack.config import Config
from reelstack.history import graphql, repository
from reelstack.history.api import make_router
from reelstack.history.catalog import CatalogLookup, CatalogTitleFilter
from reelstack.history.models import NextEpisodeLookup, TitleFilter
from reelstack.history.spec import SPEC


def create_app(
    config: Config,
    *,
    adapters: Adapters | None = None,
    lookup: NextEpisodeLookup | None = None,
    visible: TitleFilter | None = None,
) -> FastAPI:
    """Return the history service's ASGI app.

    ``lookup`` resolves Next Up's episodes and ``visible`` keeps a restricted
    profile's lists to the titles it may see; by default catalog answers
    both, through this instance's resilient client.
    """
    catalog = CatalogLookup()
    shown = CatalogTitleFilter()
    app = create_service_app(
        config,
        spec=SPEC,
        routers=[make_router(lookup=lookup or catalog, visible=visible or shown)],
        adapters=adapters,
        # Tables are created as the port opens, as a relational service migrates.
        on_open={"widecolumn": repository.create_tables},
    )
    catalog.client = shown.client = chassis_of(app).client
    graphql.serve(app, lookup or catalog, visible or shown)
    return app
