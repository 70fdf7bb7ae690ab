"""The router's app: the chassis, its routes and its two background tasks."""

from __future__ import annotations

from fastapi import FastAPI

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import create_service_app
from reelstack.config import Config
from reelstack.router.api import router
from reelstack.router.context import build
from reelstack.router.spec import SPEC


def create_app(config: Config, *, adapters: Adapters | None = None) -> FastAPI:
    """Return the router's ASGI app."""
    return create_service_app(config, spec=SPEC, routers=[router], context=build, adapters=adapters)
