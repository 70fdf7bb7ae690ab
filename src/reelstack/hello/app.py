"""The sample service's app."""

from __future__ import annotations

from fastapi import FastAPI

from reelstack import settings
from reelstack.chassis.app import create_service_app
from reelstack.chassis.identity import Identity
from reelstack.config import Config
from reelstack.hello.api import make_router


def create_app(config: Config) -> FastAPI:
    """Return the hello service's ASGI app."""
    router = make_router(
        greeting=config.property(settings.HELLO_GREETING),
        identity=Identity.from_config(config, service="hello"),
    )
    return create_service_app(config, routers=[router], service="hello")
