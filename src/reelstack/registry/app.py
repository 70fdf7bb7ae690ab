"""The registry service's app: the lease table, its peers, its routes (eviction: background.py)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from reelstack import settings
from reelstack.chassis.app import chassis_of, create_service_app
from reelstack.chassis.instance import InstanceIdentity
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.registry import settings as registry_settings
from reelstack.registry.api import make_router
from reelstack.registry.context import RegistryContext
from reelstack.registry.guard import WriteGuard
from reelstack.registry.leases import Registry
from reelstack.registry.peers import Peers
from reelstack.registry.spec import SPEC
from reelstack.registry_credentials import PEER, CredentialChecker, authorization, cluster_key

log = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0", "::"})


def _same_host(a: str, b: str) -> bool:
    if a == b:
        return True
    local = LOCAL_HOSTS | {socket.gethostname()}
    return a in local and b in local


def other_peers(
    peers: Sequence[tuple[str, str]], identity: InstanceIdentity
) -> list[tuple[str, str]]:
    """Return the configured peers without this registry itself."""
    others = []
    for zone, url in peers:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if port == identity.port and _same_host(parts.hostname or "", identity.host):
            continue
        others.append((zone, url))
    return others


class RegistryCollector(Collector):
    """The registry's own figures for Prometheus."""

    def __init__(self, registry: Registry, peers: Peers, guard: WriteGuard) -> None:
        self.registry = registry
        self.peers = peers
        self.guard = guard

    def collect(self) -> Iterator[Metric]:
        registry = self.registry
        instances = GaugeMetricFamily(
            "registry_instances", "Registered instances, by effective status.", labels=["status"]
        )
        for status, count in sorted(registry.counts().items()):
            instances.add_metric([status], count)
        yield instances
        preservation = registry.preservation()
        yield GaugeMetricFamily(
            "registry_renewals_in_window",
            "Heartbeats counted over the self-preservation window.",
            preservation.renewals,
        )
        yield GaugeMetricFamily(
            "registry_renewals_expected",
            "Heartbeats expected over the self-preservation window.",
            preservation.expected,
        )
        yield GaugeMetricFamily(
            "registry_self_preservation",
            "1 while self-preservation stops evictions.",
            1 if preservation.active else 0,
        )
        for name, doc, value in (
            ("registry_registrations", "Registrations received.", registry.registrations),
            ("registry_renewals", "Heartbeats received.", registry.renewals_total),
            ("registry_cancels", "Cancellations received.", registry.cancels),
            ("registry_evictions", "Leases evicted after expiring.", registry.evictions),
        ):
            yield CounterMetricFamily(name, doc, value)
        refused = CounterMetricFamily(
            "registry_write_refusals",
            "Registry writes refused: no, a bad or another service's credential.",
            labels=["reason"],
        )
        for reason, count in sorted(self.guard.refusals.items()):
            refused.add_metric([reason], count)
        yield refused
        sent = CounterMetricFamily(
            "registry_replicated", "Changes delivered to a peer.", labels=["peer"]
        )
        dropped = CounterMetricFamily(
            "registry_replication_dropped", "Changes a peer never got.", labels=["peer"]
        )
        pending = GaugeMetricFamily(
            "registry_replication_pending", "Changes queued for a peer.", labels=["peer"]
        )
        for peer in self.peers.peers:
            sent.add_metric([peer.url], peer.sent)
            dropped.add_metric([peer.url], peer.dropped)
            pending.add_metric([peer.url], len(peer.pending))
        yield sent
        yield dropped
        yield pending


def create_app(config: Config, **options: Any) -> FastAPI:
    """Return the registry service's ASGI app."""
    identity = InstanceIdentity.from_config(config, service="registry")
    registry = Registry(
        renewal_window_s=config.get(registry_settings.REGISTRY_RENEWAL_WINDOW_S),
        delta_retention_s=config.get(registry_settings.REGISTRY_DELTA_RETENTION_S),
        renewal_threshold=config.property(registry_settings.REGISTRY_RENEWAL_THRESHOLD),
        self_preservation=config.property(registry_settings.REGISTRY_SELF_PRESERVATION),
    )
    configured: tuple[tuple[str, str], ...] = config.get(registry_settings.REGISTRY_PEERS)
    key = cluster_key(config)
    guard = WriteGuard(CredentialChecker(key))
    peers = Peers(
        other_peers(configured, identity),
        registry=registry,
        timeout_s=config.get(settings.EUREKA_TIMEOUT_S),
        retry_s=config.get(registry_settings.REGISTRY_REPLICATION_RETRY_S),
        authorization=authorization(key, PEER),
    )

    def status() -> dict[str, Any]:
        p = registry.preservation()
        return {
            "instances": sum(registry.counts().values()),
            "byStatus": registry.counts(),
            "version": registry.version,
            "appsHashcode": registry.hashcode(),
            "selfPreservation": {
                "enabled": p.enabled,
                "active": p.active,
                "renewalsInWindow": p.renewals,
                "expectedRenewals": round(p.expected, 2),
                "threshold": p.threshold,
                "windowSeconds": registry.renewal_window_s,
            },
            "evictions": registry.evictions,
            "evictionRuns": registry.eviction_runs,
            "synced": peers.synced,
            "peers": [peer.view() for peer in peers.peers],
        }

    async def open_context(chassis: Chassis) -> RegistryContext:
        await peers.start()
        if peers.peers:
            log.info("registry peers: %s", ", ".join(p.url for p in peers.peers))
        return RegistryContext(config=chassis.config, registry=registry, peers=peers)

    async def stop(chassis: Chassis) -> None:
        await peers.stop()

    # The routes are bound to the lease table here rather than given it as a
    # dependency: heartbeats and fetches are the registry's hot path. The
    # background tasks (eviction, the copy from a peer) come from the spec.
    app = create_service_app(
        config,
        spec=SPEC,
        routers=[make_router(registry=registry, peers=peers, status=status, guard=guard)],
        context=open_context,
        on_shutdown=[stop],
        **options,
    )
    chassis_of(app).metrics.registry.register(RegistryCollector(registry, peers, guard))
    return app
