"""The catalog service's app: viewer routes, studio routes, and the announcement consumer.

At start-up the chassis migrates the ``catalog`` branch (which copies
media's titles the first time); the app builds its context
(:class:`CatalogContext`) and the chassis runs :func:`consume_titles`.
"""

from __future__ import annotations

from fastapi import FastAPI

from reelstack.bootstrap import Adapters
from reelstack.catalog import api, consumer, graphql, studio_api
from reelstack.catalog.context import CatalogContext
from reelstack.catalog.spec import SPEC
from reelstack.chassis.app import create_service_app
from reelstack.chassis.state import Chassis
from reelstack.config import Config


async def consume_titles(ctx: CatalogContext) -> None:
    """The service's background task: apply media's title announcements until stopped."""
    await consumer.run(ctx)


def create_app(
    config: Config, *, adapters: Adapters | None = None, consume: bool = True
) -> FastAPI:
    """Return the catalog service's ASGI app (``consume=False``: no consumer, for tests)."""

    async def build(chassis: Chassis) -> CatalogContext:
        # The adapters themselves: one not open yet answers UnavailableError
        # (503) when used, and the chassis retries opening it meanwhile.
        return CatalogContext(config=config, db=chassis.adapters.sql, log=chassis.adapters.log)

    app = create_service_app(
        config,
        spec=SPEC,
        routers=[studio_api.make_router(), api.make_router()],
        context=build,
        background=None if consume else [],
        adapters=adapters,
    )
    graphql.serve(app)
    return app
