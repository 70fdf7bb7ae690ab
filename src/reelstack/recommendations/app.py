"""The recommendations service's app and background tasks."""

from __future__ import annotations

from fastapi import FastAPI

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import create_service_app
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.recommendations import builder, counting, graphql, tables
from reelstack.recommendations import settings as s
from reelstack.recommendations.api import make_router
from reelstack.recommendations.context import RecommendationsContext
from reelstack.recommendations.spec import SPEC
from reelstack.recommendations.upstream import ServiceUpstreams, Upstreams


async def count_plays(ctx: RecommendationsContext) -> None:
    """Background task: count play starts from the log until the instance stops."""
    await counting.run(
        log_port=ctx.log,
        store=ctx.store,
        topic=ctx.plays_topic,
        group=ctx.group,
        default_region=ctx.default_region,
        pause_s=ctx.retry_s,
    )


async def build_rows(ctx: RecommendationsContext) -> None:
    """Background task: compute every region's and level's rows until the instance stops."""
    await builder.run(
        store=ctx.store,
        cache=ctx.cache,
        catalog=ctx.upstreams,
        default_region=ctx.default_region,
        shape=ctx.shape,
        interval_s=ctx.build_s,
        pause_s=ctx.retry_s,
    )


def create_app(
    config: Config,
    *,
    adapters: Adapters | None = None,
    upstreams: Upstreams | None = None,
    background: bool = True,
) -> FastAPI:
    """Return the service's ASGI app.

    ``upstreams`` replaces the real calls and ``background=False`` leaves out
    the counting and building tasks, for tests that run their rounds themselves.
    """

    async def build(chassis: Chassis) -> RecommendationsContext:
        store = chassis.adapters.widecolumn
        for table in tables.ALL:
            await store.create_table(table)
        get = chassis.config.get
        return RecommendationsContext(
            store=store,
            cache=chassis.adapters.cache,
            log=chassis.adapters.log,
            upstreams=upstreams or ServiceUpstreams(client=chassis.client),
            shape=builder.Shape(
                row_size=int(get(s.RECOMMENDATIONS_ROW_SIZE)),
                genre_rows=int(get(s.RECOMMENDATIONS_GENRE_ROWS)),
            ),
            default_region=str(get(s.RECOMMENDATIONS_DEFAULT_REGION)),
            store_timeout_s=float(get(s.RECOMMENDATIONS_STORE_TIMEOUT_S)),
            plays_topic=str(get(s.RECOMMENDATIONS_PLAYS_TOPIC)),
            group=str(get(s.RECOMMENDATIONS_CONSUMER_GROUP)),
            build_s=float(get(s.RECOMMENDATIONS_BUILD_S)),
            retry_s=float(get(s.RECOMMENDATIONS_RETRY_S)),
        )

    app = create_service_app(
        config,
        spec=SPEC,
        routers=[make_router()],
        context=build,
        adapters=adapters,
        background=None if background else [],
    )
    graphql.serve(app)
    return app
