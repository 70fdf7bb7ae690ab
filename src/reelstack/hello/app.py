"""The sample service's app."""

from __future__ import annotations

from fastapi import FastAPI

from reelstack import settings
from reelstack.chassis.app import create_service_app
from reelstack.config import Config
from reelstack.hello.api import router


def create_app(config: Config) -> FastAPI:
    """Return the hello service's ASGI app."""
    app = create_service_app(config, routers=[router], service="hello")
    app.state.hello_greeting = config.property(settings.HELLO_GREETING)
    return app
