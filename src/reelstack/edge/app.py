"""The edge's app: management on the chassis port, the serving listener beside it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI

from reelstack import settings
from reelstack.bootstrap import Adapters
from reelstack.chassis.app import create_service_app
from reelstack.chassis.instance import InstanceIdentity
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.edge import settings as edge_settings
from reelstack.edge.api import make_router
from reelstack.edge.cache import DiskCache
from reelstack.edge.context import EdgeContext
from reelstack.edge.metrics import EdgeCollector
from reelstack.edge.models import EdgeStats
from reelstack.edge.server import EdgeServer, ServeLimits
from reelstack.edge.spec import SPEC
from reelstack.signed_urls import signer_for


def cache_dir(config: Config, instance: str) -> Path:
    """Return the cache folder: ``edge.cache_dir``, or one per instance under the home."""
    configured: str = config.get(edge_settings.EDGE_CACHE_DIR)
    if configured:
        return Path(configured).expanduser()
    return Path(config.get(settings.HOME)) / "edge" / instance


def limits_for(config: Config) -> ServeLimits:
    """Return the serving path's caps and deadlines from the settings."""
    return ServeLimits(
        max_header_bytes=config.get(edge_settings.EDGE_MAX_HEADER_BYTES),
        header_timeout_s=config.get(edge_settings.EDGE_HEADER_TIMEOUT_S),
        keep_alive_s=config.get(edge_settings.EDGE_KEEP_ALIVE_S),
        send_timeout_s=config.get(edge_settings.EDGE_SEND_TIMEOUT_S),
        max_connections=config.get(edge_settings.EDGE_MAX_CONNECTIONS),
        max_connections_per_address=config.get(edge_settings.EDGE_MAX_CONNECTIONS_PER_ADDRESS),
    )


def create_app(config: Config, *, adapters: Adapters | None = None) -> FastAPI:
    """Return the edge's ASGI app; its start-up opens the cache and the serving listener."""
    identity = InstanceIdentity.from_config(config, service=SPEC.name)

    async def build(chassis: Chassis) -> EdgeContext:
        stats = EdgeStats()
        cache = DiskCache(
            root=cache_dir(config, identity.instance),
            capacity=config.get(edge_settings.EDGE_CAPACITY_BYTES),
            blob=chassis.adapters.blob,
            stats=stats,
            prefix=config.get(edge_settings.EDGE_ORIGIN_PREFIX).strip("/"),
        )
        await asyncio.to_thread(cache.scan)
        server = EdgeServer(
            cache=cache, signer=signer_for(config), stats=stats, limits=limits_for(config)
        )
        host: str = config.get(edge_settings.EDGE_SERVE_HOST)
        port = await server.start(host, config.get(edge_settings.EDGE_SERVE_PORT))
        public: str = config.get(edge_settings.EDGE_PUBLIC_URL) or f"http://{host}:{port}"
        chassis.metrics.registry.register(EdgeCollector(stats, cache))
        return EdgeContext(
            instance=identity.instance,
            region=config.get(edge_settings.EDGE_REGION),
            public_url=public.rstrip("/"),
            cache=cache,
            server=server,
            stats=stats,
            client=chassis.client,
            discovery=chassis.discovery,
            report_s=config.get(edge_settings.EDGE_REPORT_S),
            fill_window=config.get(edge_settings.EDGE_FILL_WINDOW),
            fill_rate_bytes_s=config.get(edge_settings.EDGE_FILL_RATE_BYTES_S),
            fill_titles=config.get(edge_settings.EDGE_FILL_TITLES),
        )

    async def stop(chassis: Chassis) -> None:
        if isinstance(chassis.context, EdgeContext):
            await chassis.context.server.stop()

    app = create_service_app(
        config,
        spec=SPEC,
        routers=[make_router()],
        context=build,
        on_shutdown=[stop],
        adapters=adapters,
    )
    # loop.sendfile is zero-copy only on the standard library's event loop
    # (uvloop copies through user space), and the serving path is sendfile.
    app.server_options = {"loop": "asyncio"}  # type: ignore[attr-defined]
    return app
