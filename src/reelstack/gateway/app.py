"""The gateway service's app: ``create_app(config)``.

It builds the chassis app (``/health``, ``/ready``, ``/metrics``, runtime
properties, the lifespan), the filter chain and its endpoints, and returns
the :class:`~reelstack.gateway.asgi.GatewayApp` wrapping both. Where the
instances of a service are comes from ``gateway.instances`` when set, else
from the chassis' registry client (``eureka.urls``).

Filters, in order: inbound ``debug`` (1), ``route`` (0 — first of all, it
picks the endpoint), ``client_address`` (2), ``no_body`` (3),
``strip_identity`` (5), ``region``
(6), ``body_limit`` (10),
``ratelimit_address`` (30), ``auth`` (40), ``ratelimit_account`` (50),
``fault`` (60); outbound ``request_id`` (0), ``passport_header`` (90).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reelstack import services, settings
from reelstack.chassis.app import chassis_of, create_service_app
from reelstack.chassis.collector import PacedCollector
from reelstack.chassis.discovery import Discovery, InstanceInfo, StaticDiscovery
from reelstack.chassis.eureka import EurekaClient
from reelstack.chassis.resilience import ResilientClient
from reelstack.chassis.resilience.options import Overrides
from reelstack.chassis.routing import Route
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.errors import ConfigError
from reelstack.gateway import settings as gateway_settings
from reelstack.gateway.asgi import GatewayApp
from reelstack.gateway.auth import TokenVerifier, load_configured_jwks
from reelstack.gateway.chain import Gateway
from reelstack.gateway.faults import FaultInjector
from reelstack.gateway.filters import Filter
from reelstack.gateway.filters.auth import AuthFilter
from reelstack.gateway.filters.client_address import ClientAddressFilter
from reelstack.gateway.filters.debug import DebugRequestFilter, PassportHeaderFilter
from reelstack.gateway.filters.faults import FaultFilter
from reelstack.gateway.filters.identity import StripIdentityHeadersFilter
from reelstack.gateway.filters.limits import BodyLimitFilter
from reelstack.gateway.filters.no_body import NoBodyFilter
from reelstack.gateway.filters.ratelimit import RateLimitFilter
from reelstack.gateway.filters.region import RegionFilter
from reelstack.gateway.filters.request_id import RequestIdFilter
from reelstack.gateway.filters.routing import RoutingFilter
from reelstack.gateway.front import AddressSet, FrontLimits, Refusals
from reelstack.gateway.jwks import JwksFetcher
from reelstack.gateway.metrics import GatewayCollector, GatewayStats
from reelstack.gateway.ops import OPS_ROUTE, OpsEndpoint
from reelstack.gateway.passport import PassportLog
from reelstack.gateway.pools import Pools
from reelstack.gateway.proxy import ProxyEndpoint
from reelstack.gateway.ratelimit import TokenBuckets
from reelstack.gateway.routes import RouteTable
from reelstack.gateway.server import serve_internal
from reelstack.gateway.settings import StaticInstance
from reelstack.gateway.spec import SPEC
from reelstack.gateway.static import AppSettings, StaticEndpoint

log = logging.getLogger(__name__)

SWEEP_S = 1.0


class _LateDiscovery:
    """Discovery that asks the chassis' registry client, which exists once the app is built."""

    def __init__(self) -> None:
        self.chassis: Chassis | None = None

    def instances(self, service: str) -> Sequence[InstanceInfo]:
        discovery: Discovery | None = getattr(self.chassis, "discovery", None)
        return discovery.instances(service) if discovery is not None else ()


class FixedDiscovery:
    """The instances of ``gateway.instances``, answered without building a list per call."""

    def __init__(self, entries: tuple[StaticInstance, ...]) -> None:
        by_service: dict[str, list[InstanceInfo]] = {}
        for e in entries:
            instance = InstanceInfo(
                service=e.service,
                instance_id=f"{e.service}-{e.zone}-{e.port}",
                host=e.host,
                port=e.port,
                zone=e.zone,
            )
            by_service.setdefault(e.service, []).append(instance)
        self.by_service = {name: tuple(found) for name, found in by_service.items()}

    def instances(self, service: str) -> Sequence[InstanceInfo]:
        return self.by_service.get(service, ())


def _all_instances(chassis: Chassis, discovery: Discovery) -> Sequence[InstanceInfo]:
    """Every instance the registry's copy holds (the ops API's listing), whatever its status."""
    client = getattr(chassis, "discovery", None)
    if isinstance(client, EurekaClient):
        return client.local.all()
    # A fixed instance list (gateway.instances) knows only the services it routes.
    if isinstance(discovery, FixedDiscovery):
        return [i for found in discovery.by_service.values() for i in found]
    if isinstance(discovery, StaticDiscovery):
        return discovery.all()
    return ()


def create_app(config: Config, *, discovery: Discovery | None = None) -> GatewayApp:
    """Return the gateway's ASGI app (``discovery`` replaces the configured one, for tests)."""
    # gateway.routes, when set, replaces the routes the services' specs declare.
    routes: tuple[Route, ...] = config.get(gateway_settings.GATEWAY_ROUTES) or services.routes(
        config
    )
    table = RouteTable(routes)
    static_instances: tuple[StaticInstance, ...] = config.get(gateway_settings.GATEWAY_INSTANCES)
    late: _LateDiscovery | None = None
    if discovery is None:
        if static_instances:
            discovery = FixedDiscovery(static_instances)
        else:
            discovery = late = _LateDiscovery()
    try:
        configured_keys = load_configured_jwks(config.get(gateway_settings.GATEWAY_AUTH_JWKS))
    except ValueError as exc:
        resolved = config.resolved(gateway_settings.GATEWAY_AUTH_JWKS)
        raise ConfigError(resolved.key, "(key set)", resolved.source, str(exc)) from None
    verifier = TokenVerifier(
        configured=configured_keys,
        issuer=config.get(settings.TOKEN_ISSUER),
        audience=config.get(settings.TOKEN_AUDIENCE),
        leeway_s=config.get(gateway_settings.GATEWAY_AUTH_LEEWAY_S),
        max_lifetime_s=config.get(settings.TOKEN_MAX_LIFETIME_S),
    )
    pools = Pools(idle_s=config.get(gateway_settings.GATEWAY_UPSTREAM_IDLE_S))
    gc_interval_s = config.get(gateway_settings.GATEWAY_GC_INTERVAL_S)
    collector = PacedCollector(gc_interval_s) if gc_interval_s > 0 else None
    fetcher: JwksFetcher | None = None

    async def sweep(chassis: Chassis) -> None:
        await _sweep(pools, buckets)

    internal_port = config.get(gateway_settings.GATEWAY_INTERNAL_PORT)
    internal: list[asyncio.Server] = []

    async def start(chassis: Chassis) -> None:
        if internal_port:
            host = config.get(settings.SERVICE_HOST)
            internal.append(await serve_internal(app, host, internal_port))
        if fetcher is not None:
            fetcher.start()
        if collector is not None:
            collector.start()
        else:
            # Everything made so far lives as long as the process: out of
            # the collector's sight (see collector.py for the whole policy).
            gc.freeze()

    async def stop(chassis: Chassis) -> None:
        if collector is not None:
            await collector.stop()
        if fetcher is not None:
            await fetcher.stop()
        pools.close()
        for server in internal:
            server.close()
        access_log.flush()

    access_log = PassportLog()
    chassis_app = create_service_app(
        config,
        spec=SPEC,
        access_log=access_log,
        on_startup=[start],
        on_shutdown=[stop],
        background=[sweep],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    chassis = chassis_of(chassis_app)
    registration = getattr(chassis, "discovery", None)
    if internal_port and isinstance(registration, EurekaClient):
        registration.management_port = internal_port  # where Prometheus scrapes it
    if late is not None:
        late.chassis = chassis
        if getattr(chassis, "discovery", None) is None:
            log.warning(
                "the gateway has no way to find services: set gateway.instances or eureka.urls"
            )
    jwks_url = config.get(gateway_settings.GATEWAY_AUTH_JWKS_URL)
    if jwks_url.startswith("service:") and not config.get(
        gateway_settings.GATEWAY_AUTH_JWKS_DISCOVERY
    ):
        resolved = config.resolved(gateway_settings.GATEWAY_AUTH_JWKS_URL)
        raise ConfigError(
            resolved.key,
            jwks_url,
            resolved.source,
            "keys found through discovery trust whatever registers as their service: "
            "give identity's fixed address or a file, or set gateway.auth.jwks_discovery",
        )
    if jwks_url:
        fetcher = JwksFetcher(
            verifier,
            jwks_url,
            discovery=discovery,
            zone=chassis.identity.zone,
            refresh_s=config.get(gateway_settings.GATEWAY_AUTH_JWKS_REFRESH_S),
        )
    # The gateway's calls go through the same per-service layers as the
    # resilient client (client.* settings, followed live), with two of them
    # set for the front door: its own bulkhead size and a quicker skip.
    overrides: dict[str, Overrides] = {
        service: {
            "max_concurrent": config.get(gateway_settings.GATEWAY_MAX_CONCURRENT),
            "availability_failures": config.get(gateway_settings.GATEWAY_SKIP_AFTER_FAILURES),
        }
        for service in table.services()
    }
    client = ResilientClient.for_chassis(chassis, discovery, overrides=overrides)
    # The instance's one client: what ClientDep gives a route here, with one
    # set of client metrics on /metrics.
    chassis.resilient = client
    proxy = ProxyEndpoint(
        discovery=discovery,
        client=client,
        pools=pools,
        timeout_s=config.get(gateway_settings.GATEWAY_TIMEOUT_S),
    )
    static_root = Path(config.get(gateway_settings.GATEWAY_STATIC_DIR))
    refusals = Refusals()
    static: StaticEndpoint | None = StaticEndpoint(static_root, refusals, app_settings(config))
    if static is not None and not static.available():
        log.info("no web app in %s: only API routes are served", static_root)
        static = None
    buckets = {
        "address": TokenBuckets(
            config.get(gateway_settings.GATEWAY_RATELIMIT_ADDRESS_RPS),
            config.get(gateway_settings.GATEWAY_RATELIMIT_ADDRESS_BURST),
        ),
        "account": TokenBuckets(
            config.get(gateway_settings.GATEWAY_RATELIMIT_ACCOUNT_RPS),
            config.get(gateway_settings.GATEWAY_RATELIMIT_ACCOUNT_BURST),
        ),
    }
    injector = FaultInjector(
        header_enabled=config.get(gateway_settings.GATEWAY_FAULTS_HEADER),
        rules=config.get(gateway_settings.GATEWAY_FAULTS_ROUTES),
    )
    limit_address = RateLimitFilter(buckets["address"], scope="address", order=30)
    limit_account = RateLimitFilter(buckets["account"], scope="account", order=50)
    auth = AuthFilter(verifier, fetcher)
    faults = FaultFilter(injector)
    debug = DebugRequestFilter(config.get(gateway_settings.GATEWAY_DEBUG_HEADER))
    body_limit = BodyLimitFilter(config.get(gateway_settings.GATEWAY_MAX_BODY_BYTES))
    front = front_limits(config)
    app = GatewayApp(chassis_app, front=front, refusals=refusals)
    filters: list[Filter] = [
        RoutingFilter(
            table,
            proxy=proxy,
            static=static,
            api_prefix=config.get(gateway_settings.GATEWAY_API_PREFIX),
            local=(OPS_ROUTE, OpsEndpoint(lambda: _all_instances(chassis, discovery))),
        ),
        debug,
        ClientAddressFilter(front.trusted_proxies),
        NoBodyFilter(app.refusals),
        StripIdentityHeadersFilter(),
        RegionFilter(
            default=config.get(gateway_settings.GATEWAY_REGION_DEFAULT),
            networks=config.get(gateway_settings.GATEWAY_REGION_NETWORKS),
            from_client=config.get(gateway_settings.GATEWAY_REGION_FROM_CLIENT),
        ),
        body_limit,
        limit_address,
        auth,
        limit_account,
        faults,
        RequestIdFilter(),
        PassportHeaderFilter(),
    ]
    stats = GatewayStats()
    app.gateway = Gateway(filters, metrics=chassis.metrics, access_log=access_log, stats=stats)
    chassis.metrics.registry.register(
        GatewayCollector(
            stats,
            rate_limited=lambda: {
                "address": limit_address.limited,
                "account": limit_account.limited,
            },
            auth_failures=lambda: auth.failures,
            faults_injected=lambda: faults.injected,
            refused=lambda: app.refusals.counts,
        )
    )

    # Runtime properties are pushed into plain attributes, so the request
    # path reads an attribute and never looks a setting up.
    def on_change(key: str, value: Any) -> None:
        if key == gateway_settings.GATEWAY_TIMEOUT_S.key:
            proxy.timeout_s = value
        elif key.startswith("gateway.ratelimit."):
            for scope, limiter in buckets.items():
                limiter.configure(
                    config.get(f"gateway.ratelimit.{scope}_rps"),
                    config.get(f"gateway.ratelimit.{scope}_burst"),
                )
        elif key == gateway_settings.GATEWAY_FAULTS_HEADER.key:
            injector.header_enabled = value
        elif key == gateway_settings.GATEWAY_FAULTS_ROUTES.key:
            injector.rules = dict(value)
        elif key == gateway_settings.GATEWAY_DEBUG_HEADER.key:
            debug.enabled = value
        elif key == gateway_settings.GATEWAY_MAX_BODY_BYTES.key:
            body_limit.max_body_bytes = value
        elif key == gateway_settings.GATEWAY_MAX_HEADER_BYTES.key:
            front.max_header_bytes = value

    config.on_change(on_change)
    return app


async def _sweep(pools: Pools, buckets: dict[str, TokenBuckets]) -> None:
    """Close idle connections past their time and forget full rate-limit buckets."""
    while True:
        await asyncio.sleep(SWEEP_S)
        pools.sweep()
        now = time.monotonic()  # the clock the rate-limit filters use
        for limiter in buckets.values():
            limiter.sweep(now)


# What a demo's region picker offers beside the configured regions.
DEMO_REGIONS = ("BR", "EU", "GB", "JP", "US")


def app_settings(config: Config) -> AppSettings:
    """Return what the web app is told: a region picker only where clients may name one."""
    default = config.get(gateway_settings.GATEWAY_REGION_DEFAULT)
    if not config.get(gateway_settings.GATEWAY_REGION_FROM_CLIENT):
        return AppSettings(region=default)
    networks = config.get(gateway_settings.GATEWAY_REGION_NETWORKS)
    regions = {default, *DEMO_REGIONS, *(n.region for n in networks)}
    return AppSettings(region_picker=True, region=default, regions=tuple(sorted(regions)))


def front_limits(config: Config) -> FrontLimits:
    """Return the front door's deadlines and caps from the gateway.* settings."""
    trusted: tuple[str, ...] = config.get(gateway_settings.GATEWAY_TRUSTED_PROXIES)
    internal: tuple[str, ...] = config.get(gateway_settings.GATEWAY_INTERNAL_NETWORKS)
    return FrontLimits(
        max_header_bytes=config.get(gateway_settings.GATEWAY_MAX_HEADER_BYTES),
        header_timeout_s=config.get(gateway_settings.GATEWAY_HEADER_TIMEOUT_S),
        body_chunk_timeout_s=config.get(gateway_settings.GATEWAY_BODY_CHUNK_TIMEOUT_S),
        body_timeout_s=config.get(gateway_settings.GATEWAY_BODY_TIMEOUT_S),
        max_connections=config.get(gateway_settings.GATEWAY_MAX_CONNECTIONS),
        max_connections_per_client=config.get(gateway_settings.GATEWAY_MAX_CONNECTIONS_PER_CLIENT),
        trusted_proxies=AddressSet(trusted),
        internal_networks=AddressSet(internal),
    )
