"""The sample service's app."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from reelstack.bootstrap import Adapters
from reelstack.chassis.adapter_lifecycle import adapter_installed
from reelstack.chassis.app import create_service_app
from reelstack.chassis.instance import InstanceIdentity
from reelstack.config import Config
from reelstack.hello import settings as hello_settings
from reelstack.hello.api import make_router
from reelstack.hello.spec import SPEC

log = logging.getLogger(__name__)


def create_app(config: Config, *, adapters: Adapters | None = None) -> FastAPI:
    """Return the hello service's ASGI app."""
    router = make_router(
        greeting=config.property(hello_settings.HELLO_GREETING),
        identity=InstanceIdentity.from_config(config, service=SPEC.name),
    )
    if adapters is None:
        ports = [role for role in SPEC.ports if adapter_installed(config, role)]
        if len(ports) < len(SPEC.ports):
            # The greeting works without them; visits answer 503 until they exist.
            missing = ", ".join(role for role in SPEC.ports if role not in ports)
            log.warning("hello runs without %s: adapter not installed", missing)
    else:
        ports = list(SPEC.ports)
    # No context of its own: the routes' state (the greeting property, the
    # identity) is bound when the router is made, and the stores come as
    # dependencies.
    return create_service_app(
        config,
        spec=SPEC,
        routers=[router],
        ports=ports,
        adapters=adapters,
    )
