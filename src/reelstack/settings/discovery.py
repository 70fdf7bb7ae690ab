"""Discovery: how every instance finds the registry (Eureka's client settings)."""

from __future__ import annotations

from urllib.parse import urlsplit

from reelstack.config import (
    Setting,
    parse_bool,
    parse_float,
    parse_secret,
)
from reelstack.settings.base import add

# -- the registry's clients: every instance -----------------------------------------


def parse_registry_urls(raw: str) -> tuple[tuple[str, str], ...]:
    """Parse ``[zone=]http://host:port/eureka`` entries, comma-separated, into (zone, url)."""
    entries: list[tuple[str, str]] = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        zone, sep, url = item.partition("=")
        if not sep or "://" in zone:
            zone, url = "", item
        zone, url = zone.strip(), url.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"{item!r}: expected [zone=]http://host:port/eureka")
        if not parts.hostname:
            raise ValueError(f"{item!r}: no host")
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise ValueError(f"{item!r}: bad port") from None
        entries.append((zone, url))
    return tuple(entries)


EUREKA_URLS = add(
    Setting(
        "eureka.urls",
        parse_registry_urls,
        "",
        "Registry URLs an instance registers with and fetches from, comma-separated, "
        "each [zone=]http://host:port/eureka (own zone first); empty: no registry.",
    )
)
EUREKA_REGISTER = add(
    Setting("eureka.register", parse_bool, "true", "Register this instance with the registry.")
)
EUREKA_FETCH = add(
    Setting("eureka.fetch", parse_bool, "true", "Keep a local copy of the registry for discovery.")
)
EUREKA_RENEWAL_INTERVAL_S = add(
    Setting(
        "eureka.renewal_interval_s",
        parse_float(0.05),
        "30",
        "Seconds between an instance's heartbeats to the registry (Eureka's 30).",
    )
)
EUREKA_LEASE_DURATION_S = add(
    Setting(
        "eureka.lease_duration_s",
        parse_float(1),
        "90",
        "Seconds without a heartbeat before the registry may evict an instance (Eureka's 90).",
    )
)
EUREKA_FETCH_INTERVAL_S = add(
    Setting(
        "eureka.fetch_interval_s",
        parse_float(0.05),
        "30",
        "Seconds between fetches of registry changes into the local copy (Eureka's 30).",
    )
)
EUREKA_TIMEOUT_S = add(
    Setting("eureka.timeout_s", parse_float(0.1), "5", "Seconds one call to a registry may take.")
)

CLUSTER_SECRET = add(
    Setting(
        "cluster.secret",
        parse_secret,
        "",
        "Shared secret registry writes are authenticated with: each service's credential is "
        "derived from it and its name, so it registers, renews and cancels only itself. "
        "Every process of a cluster needs the same one. Empty: a random key kept in "
        "<home>/secrets/cluster_secret (0600), made by the first process that needs it.",
    )
)
EUREKA_CREDENTIAL = add(
    Setting(
        "eureka.credential",
        parse_secret,
        "",
        "This instance's own registry credential (HMAC-SHA256 of its service name under "
        "cluster.secret); give it instead of the "
        "secret to a service that must write only as itself. Empty: derived from cluster.secret.",
    )
)
