"""The identity service's app."""

from __future__ import annotations

from fastapi import FastAPI

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import create_service_app
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.identity import graphql, service
from reelstack.identity.api import make_jwks_router, make_router
from reelstack.identity.context import IdentityContext
from reelstack.identity.profiles_api import make_profiles_router
from reelstack.identity.spec import SPEC
from reelstack.ports import Database


def create_app(config: Config, *, adapters: Adapters | None = None) -> FastAPI:
    """Return the identity service's ASGI app."""

    async def build(chassis: Chassis) -> IdentityContext:
        db: Database = chassis.dependencies.get("sql")
        ctx = IdentityContext.build(config, db=db)
        # Published at start (a key is made if none exists), so a gateway
        # reading the file knows the keys before the first token is minted.
        await service.publish_jwks(ctx=ctx)
        return ctx

    app = create_service_app(
        config,
        spec=SPEC,
        routers=[make_router(), make_profiles_router(), make_jwks_router()],
        context=build,
        adapters=adapters,
    )
    graphql.serve(app)
    return app
