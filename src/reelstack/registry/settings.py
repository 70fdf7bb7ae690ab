"""The registry service's settings (Eureka's role); its clients' are in reelstack.settings."""

from __future__ import annotations

from reelstack.config import (
    Setting,
    parse_bool,
    parse_float,
)
from reelstack.settings.base import add
from reelstack.settings.discovery import EUREKA_URLS, parse_registry_urls

REGISTRY_PEERS = add(
    Setting(
        "registry.peers",
        parse_registry_urls,
        lambda config: config.resolved(EUREKA_URLS).raw,
        "Registry peers a registry replicates to and syncs from (default: eureka.urls; "
        "a registry leaves itself out).",
    )
)
REGISTRY_EVICTION_INTERVAL_S = add(
    Setting(
        "registry.eviction_interval_s",
        parse_float(0.05),
        "60",
        "Seconds between the registry's runs that evict expired leases (Eureka's 60).",
        runtime=True,
    )
)
REGISTRY_RENEWAL_THRESHOLD = add(
    Setting(
        "registry.renewal_threshold",
        parse_float(0, 1),
        "0.85",
        "Share of expected heartbeats below which self-preservation stops evictions.",
        runtime=True,
    )
)
REGISTRY_SELF_PRESERVATION = add(
    Setting(
        "registry.self_preservation",
        parse_bool,
        "true",
        "Stop evicting while too few heartbeats arrive (a network problem, not dead instances).",
        runtime=True,
    )
)
REGISTRY_RENEWAL_WINDOW_S = add(
    Setting(
        "registry.renewal_window_s",
        parse_float(0.1),
        "60",
        "Window over which heartbeats are counted for self-preservation (Eureka's minute).",
    )
)
REGISTRY_DELTA_RETENTION_S = add(
    Setting(
        "registry.delta_retention_s",
        parse_float(0.1),
        "180",
        "Seconds a change stays in the delta clients fetch (Eureka's 3 minutes).",
    )
)
REGISTRY_REPLICATION_RETRY_S = add(
    Setting(
        "registry.replication_retry_s",
        parse_float(0),
        "30",
        "Seconds a registry retries changes for an unreachable peer before dropping them.",
    )
)
REGISTRY_SYNC_TIMEOUT_S = add(
    Setting(
        "registry.sync_timeout_s",
        parse_float(0),
        "30",
        "Seconds a starting registry keeps trying to copy the registry from a peer.",
    )
)
