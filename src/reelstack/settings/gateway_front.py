"""The gateway's front-door settings: what a client may hold and how long it may take.

Kept apart from :mod:`reelstack.gateway.settings` (which imports this module,
so reading the gateway's settings registers these too). The values, why they
are what they are, and the threats they close: ``docs/security.md`` (Gateway)
and ADR 0017.
"""

from __future__ import annotations

import ipaddress

from reelstack.config import Setting, parse_float, parse_int
from reelstack.settings.base import add


def parse_networks(raw: str) -> tuple[str, ...]:
    """Parse comma-separated CIDRs (a bare address is a /32 or /128); raise ValueError."""
    networks: list[str] = []
    for entry in raw.split(","):
        text = entry.strip()
        if not text:
            continue
        try:
            networks.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError as exc:
            raise ValueError(f"network {text!r}: {exc}") from None
    return tuple(networks)


GATEWAY_HEADER_TIMEOUT_S = add(
    Setting(
        "gateway.header_timeout_s",
        parse_float(0.01, 300),
        "10",
        "Seconds a client has to send a request's line and headers, from their first byte;"
        " past it 408 and the connection closes (slowloris).",
    )
)
GATEWAY_BODY_CHUNK_TIMEOUT_S = add(
    Setting(
        "gateway.body_chunk_timeout_s",
        parse_float(0.01, 3600),
        "15",
        "Seconds a request body may go without a byte arriving while the gateway is"
        " reading it; past it 408 and the connection closes (slow POST).",
    )
)
GATEWAY_BODY_TIMEOUT_S = add(
    Setting(
        "gateway.body_timeout_s",
        parse_float(0.01, 86400),
        "300",
        "Seconds a whole request body may take to arrive, from the end of its headers;"
        " past it 408 and the connection closes. Uploads larger than this allows at the"
        " clients' speed go in several requests (tus PATCH).",
    )
)
GATEWAY_MAX_CONNECTIONS = add(
    Setting(
        "gateway.max_connections",
        parse_int(0),
        "4096",
        "Client connections one gateway instance holds at once (0: no cap); past it a new"
        " connection is answered 503 and closed. Keep it below the process's open-files limit.",
    )
)
GATEWAY_MAX_CONNECTIONS_PER_CLIENT = add(
    Setting(
        "gateway.max_connections_per_client",
        parse_int(0),
        "256",
        "Connections one client address holds at once (0: no cap); past it a new connection"
        " is answered 503 and closed. Peers in gateway.trusted_proxies are exempt: they"
        " carry many clients.",
    )
)
GATEWAY_TRUSTED_PROXIES = add(
    Setting(
        "gateway.trusted_proxies",
        parse_networks,
        "",
        "Networks (CIDRs, comma-separated) of the proxies in front of the gateway. Only a peer"
        " in one of them has its X-Forwarded-For read: the client is the right-most address"
        " not in these networks. Empty (the default): the peer is the client.",
    )
)
GATEWAY_INTERNAL_PORT = add(
    Setting(
        "gateway.internal_port",
        parse_int(0, 65535),
        "0",
        "A second port (on service.host) serving only /health, /ready and /metrics, to"
        " whoever reaches it: for deployments where probes and Prometheus cannot be told"
        " apart from the public by address (Kubernetes, Compose). Registered as the"
        " instance's management port, so Prometheus' discovery through the registry scrapes"
        " it. 0 (the default): none; one gateway per host may set it.",
    )
)
GATEWAY_INTERNAL_NETWORKS = add(
    Setting(
        "gateway.internal_networks",
        parse_networks,
        "127.0.0.0/8,::1/128",
        "Networks (CIDRs) allowed to read the gateway's /health, /ready and /metrics."
        " Everyone else, a trusted proxy, and any request carrying a forwarding header"
        " (X-Forwarded-For, Forwarded, X-Real-IP) gets 404 for them.",
    )
)
