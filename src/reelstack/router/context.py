"""What the router's routes and background tasks share, built once at start-up."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import aiohttp
import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge

from reelstack import services
from reelstack.chassis.discovery import InstanceInfo
from reelstack.chassis.eureka import EurekaClient
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.gateway import settings as gateway_settings
from reelstack.ports import Cache
from reelstack.recommendations import settings as recommendations_settings
from reelstack.router import fallbacks, persisted
from reelstack.router import settings as router_settings
from reelstack.router.compose import Composer, NodeComposer
from reelstack.router.discover import HttpSdlFetcher
from reelstack.router.hive import Fallbacks, HiveGateway, PersistedDocuments, QueryLimits
from reelstack.router.homecache import Documents, HomeCache
from reelstack.router.models import RouterStatus, Subgraph, SubgraphSource

log = logging.getLogger(__name__)

SUPERGRAPH_FILE = "supergraph.graphql"

PROPAGATED_HEADERS = (
    "x-account-id",
    "x-profile-id",
    "x-roles",
    "x-maturity",
    "x-region",
    "x-request-id",
)
"""Request headers that reach Hive Gateway and, through it, every subgraph fetch.

The gateway's identity headers (it removes a client's copies and sets its
own) and the request id; nothing else a client sends (cookies, tokens,
made-up headers) goes past the router.
"""


SdlFetcher = Callable[[Sequence[SubgraphSource]], Awaitable[tuple[list[Subgraph], dict[str, str]]]]
"""Fetches the sources' SDLs: the subgraphs found and, by name, why the others failed."""


class Gateway(Protocol):
    """What serves the supergraph (Hive Gateway's child process; a fake in unit tests)."""

    url: str | None
    restarts: int

    def supergraph_written(self) -> None:
        """Take the new supergraph file."""
        ...

    def reload(self) -> None:
        """Read the files beside the supergraph again (the fault rules)."""
        ...

    async def supervise(self) -> None:
        """Serve until cancelled."""
        ...


@dataclass
class RouterMetrics:
    """The router's own metrics, on the instance's ``/metrics``."""

    compositions: Counter
    refused: Counter
    served: Gauge
    home_cache: Counter

    @classmethod
    def on(cls, registry: CollectorRegistry) -> RouterMetrics:
        """Register the metrics on ``registry``."""
        return cls(
            compositions=Counter(
                "router_compositions_total",
                "Compositions run, by result (ok, failed, error: the composer itself failed).",
                ["result"],
                registry=registry,
            ),
            refused=Counter(
                "router_subgraph_refused_total",
                "Compositions a subgraph broke (the last good supergraph kept serving).",
                ["subgraph"],
                registry=registry,
            ),
            served=Gauge(
                "router_subgraphs_served",
                "Subgraphs in the supergraph being served.",
                registry=registry,
            ),
            home_cache=Counter(
                "router_home_cache",
                "Home page requests by what the cache did (hit, miss: asked Hive Gateway).",
                ["result"],
                registry=registry,
            ),
        )


@dataclass
class RouterContext:
    """The router instance's state: where it looks, what it serves, what it reports."""

    service: str
    instances: Callable[[], Sequence[InstanceInfo]]
    composer: Composer
    gateway: Gateway
    supergraph: Path
    poll_s: float
    fetch: SdlFetcher
    max_body_bytes: int
    metrics: RouterMetrics
    status: RouterStatus = field(default_factory=RouterStatus)
    # The subgraphs of the supergraph being served, by name.
    served: dict[str, Subgraph] = field(default_factory=dict)
    # The last set composed (good or not): an unchanged set is not composed again.
    last_input: tuple[Subgraph, ...] | None = None
    # Seconds a served subgraph that left the registry stays in the supergraph.
    keep_absent_s: float = 0.0
    # When each served subgraph was last seen missing from the registry (monotonic).
    absent_since: dict[str, float] = field(default_factory=dict)
    forward_session: aiohttp.ClientSession | None = None
    # Where a fallback's stand-in rows come from (recommendations' cache).
    cache: Cache | None = None
    default_region: str = "US"
    # The Home operation's answers per caller (None: no persisted documents to know it by).
    home_cache: HomeCache | None = None
    # Closed with the context (HttpSdlFetcher.close).
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        """Close the HTTP sessions."""
        if self.forward_session is not None:
            await self.forward_session.close()
            self.forward_session = None
        for close in self.closers:
            await close()


async def build(chassis: Chassis) -> RouterContext:
    """Build the router's context from its settings and the chassis' registry client."""
    config = chassis.config
    package = Path(config.get(router_settings.ROUTER_NODE_PACKAGE))
    node = config.get(router_settings.ROUTER_NODE)
    # One folder per instance: instances sharing a home never share a file.
    folder = Path(config.get(router_settings.ROUTER_FOLDER)) / chassis.identity.instance
    supergraph = folder / SUPERGRAPH_FILE
    # A file left by an earlier run names subgraph instances that may be
    # gone: serve nothing until this run has composed what the registry holds.
    supergraph.unlink(missing_ok=True)
    discovery = chassis.discovery
    if isinstance(discovery, EurekaClient):
        registry = discovery

        def instances() -> Sequence[InstanceInfo]:
            return registry.local.all()

    else:
        log.warning("the router has no registry (set eureka.urls): it will find no subgraph")

        def instances() -> Sequence[InstanceInfo]:
            return ()

    faults_file = folder / fallbacks.FAULTS_FILE
    routes = config.get(gateway_settings.GATEWAY_ROUTES) or services.routes(config)

    def write_faults() -> bool:
        rules = config.get(gateway_settings.GATEWAY_FAULTS_ROUTES)
        return fallbacks.write_faults(faults_file, fallbacks.subgraph_faults(rules, routes))

    write_faults()
    documents = persisted.prepare(config, folder)
    gateway = HiveGateway(
        node=node,
        package=package,
        supergraph=supergraph,
        port=config.get(router_settings.ROUTER_GATEWAY_PORT),
        headers=PROPAGATED_HEADERS,
        upstream_timeout_s=config.get(router_settings.ROUTER_UPSTREAM_TIMEOUT_S),
        limits=QueryLimits(
            max_depth=config.get(router_settings.ROUTER_MAX_DEPTH),
            max_aliases=config.get(router_settings.ROUTER_MAX_ALIASES),
            max_tokens=config.get(router_settings.ROUTER_MAX_TOKENS),
            max_cost=config.get(router_settings.ROUTER_MAX_COST),
            introspection=config.get(router_settings.ROUTER_INTROSPECTION),
        ),
        faults=faults_file,
        fallbacks=Fallbacks(
            subgraphs=fallbacks.FALLBACKS,
            url=f"http://127.0.0.1:{chassis.identity.port}/router/fallbacks",
            timeout_s=config.get(router_settings.ROUTER_FALLBACK_TIMEOUT_S),
        ),
        persisted=documents,
    )
    home_cache = _home_cache(config, documents, chassis.adapters.cache)

    def on_change(key: str, value: object) -> None:
        if key == gateway_settings.GATEWAY_FAULTS_ROUTES.key and write_faults():
            gateway.reload()
        if key == router_settings.ROUTER_HOME_CACHE_S.key and home_cache is not None:
            # Turned off or shortened: nothing kept under the old TTL is served.
            home_cache.clear()

    config.on_change(on_change)
    fetcher = HttpSdlFetcher(timeout_s=config.get(router_settings.ROUTER_FETCH_TIMEOUT_S))
    context = RouterContext(
        service=chassis.identity.service,
        instances=instances,
        composer=NodeComposer(
            node=node,
            package=package,
            timeout_s=config.get(router_settings.ROUTER_COMPOSE_TIMEOUT_S),
        ),
        gateway=gateway,
        supergraph=supergraph,
        poll_s=config.get(router_settings.ROUTER_POLL_S),
        keep_absent_s=config.get(router_settings.ROUTER_KEEP_ABSENT_S),
        fetch=fetcher,
        max_body_bytes=config.get(router_settings.ROUTER_MAX_BODY_BYTES),
        metrics=RouterMetrics.on(chassis.metrics.registry),
        closers=[fetcher.close],
        cache=chassis.adapters.cache,
        default_region=config.get(recommendations_settings.RECOMMENDATIONS_DEFAULT_REGION),
        home_cache=home_cache,
    )
    # /ready answers 503 until Hive Gateway serves a supergraph.
    chassis.checks["hive-gateway"] = gateway.ready
    return context


def _home_cache(
    config: Config, documents: PersistedDocuments | None, shared: Cache | None
) -> HomeCache | None:
    """The home page cache over the persisted documents (None without them: Home is unknown)."""
    if documents is None:
        return None
    manifest = orjson.loads(documents.manifest.read_bytes())
    return HomeCache(
        documents=Documents.of(manifest),
        ttl_s=config.property(router_settings.ROUTER_HOME_CACHE_S),
        max_bytes=config.get(router_settings.ROUTER_HOME_CACHE_BYTES),
        shared=shared,
    )
