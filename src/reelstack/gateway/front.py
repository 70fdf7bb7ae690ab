"""The front door's defences, shared by every client connection of one gateway.

:class:`FrontLimits` holds the deadlines and caps the HTTP protocol
(:mod:`reelstack.gateway.server`) enforces while it reads a request;
:class:`Connections` counts client connections in total and per address;
:class:`Refusals` counts and logs every refusal by reason, so an operator
sees in ``gateway_refused_total{reason}`` and the log what a client was
refused and why. The threats and the tests that prove each defence:
``docs/security.md`` (Gateway); the design: ADR 0017.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Refusal reasons, the label values of gateway_refused_total.
HEADER_TOO_LARGE = "header_too_large"
HEADER_TIMEOUT = "header_timeout"
BODY_CHUNK_TIMEOUT = "body_chunk_timeout"
BODY_TIMEOUT = "body_timeout"
BODY_NOT_ALLOWED = "body_not_allowed"
CONNECTIONS_TOTAL = "connections_total"
CONNECTIONS_PER_CLIENT = "connections_per_client"
INTERNAL_ENDPOINT = "internal_endpoint"
BAD_REQUEST = "bad_request"
STATIC_OUTSIDE_ROOT = "static_outside_root"

# At most one log line per reason per this many seconds: an attack sends
# thousands of refusals, and the log must stay readable (the metric counts all).
LOG_EVERY_S = 1.0


def networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """Return the parsed networks of already validated CIDR strings."""
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


class AddressSet:
    """Whether an address lies in one of a few networks, remembered per address."""

    __slots__ = ("known", "networks")

    def __init__(self, cidrs: Iterable[str]) -> None:
        self.networks = networks(cidrs)
        self.known: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __contains__(self, address: str) -> bool:
        found = self.known.get(address)
        if found is None:
            try:
                ip = ipaddress.ip_address(address)
            except ValueError:
                found = False
            else:
                found = any(ip in net for net in self.networks)
            if len(self.known) > 65536:
                self.known.clear()  # bounded: a flood of new addresses cannot grow it
            self.known[address] = found
        return found


@dataclass(slots=True)
class FrontLimits:
    """Deadlines and caps for reading requests (gateway.* settings, kept current)."""

    max_header_bytes: int = 16384
    header_timeout_s: float = 10.0
    body_chunk_timeout_s: float = 15.0
    body_timeout_s: float = 300.0
    max_connections: int = 0
    max_connections_per_client: int = 0
    trusted_proxies: AddressSet = field(default_factory=lambda: AddressSet(()))
    internal_networks: AddressSet = field(default_factory=lambda: AddressSet(("127.0.0.0/8",)))


# Headers that say a proxy forwarded the request for someone else: such a
# request never reads the internal endpoints, whoever the peer is.
FORWARDING_HEADERS = frozenset({b"x-forwarded-for", b"forwarded", b"x-real-ip"})


def internal_caller(
    limits: FrontLimits, client: str, headers: Iterable[tuple[bytes, bytes]]
) -> bool:
    """Whether a request may read ``/health``, ``/ready``, ``/metrics`` on the public port.

    The peer must be in ``gateway.internal_networks`` and not a trusted proxy,
    and the request must carry no forwarding header: a reverse proxy on the
    same host would otherwise make every outside request a loopback one.
    """
    if client not in limits.internal_networks or client in limits.trusted_proxies:
        return False
    return not any(name in FORWARDING_HEADERS for name, _ in headers)


def internal_refusal(path: str) -> str:
    """Return the reason a refused internal endpoint names."""
    return f"{path} is served to gateway.internal_networks only"


class Refusals:
    """Counts refusals by reason and logs them, at most one line per reason per second."""

    __slots__ = ("counts", "last_logged", "unlogged")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.last_logged: dict[str, float] = {}
        self.unlogged: dict[str, int] = {}

    def refuse(self, reason: str, client: str, detail: str) -> None:
        """Count one refusal and log it unless this reason was logged within a second."""
        self.counts[reason] = self.counts.get(reason, 0) + 1
        now = time.monotonic()
        if now - self.last_logged.get(reason, -LOG_EVERY_S) < LOG_EVERY_S:
            self.unlogged[reason] = self.unlogged.get(reason, 0) + 1
            return
        self.last_logged[reason] = now
        also = self.unlogged.pop(reason, 0)
        log.warning(
            "refused %s from %s: %s%s",
            reason,
            client or "?",
            detail,
            f" (and {also} more since the last line)" if also else "",
            extra={"reason": reason, "client": client, "refused_also": also},
        )


class Connections:
    """Client connections held, in total and per address, against their caps."""

    __slots__ = ("by_client", "limits", "total")

    def __init__(self, limits: FrontLimits) -> None:
        self.limits = limits
        self.total = 0
        self.by_client: dict[str, int] = {}

    def admit(self, client: str) -> str | None:
        """Count a new connection from ``client``; return the refusal reason if over a cap."""
        limits = self.limits
        if limits.max_connections and self.total >= limits.max_connections:
            return CONNECTIONS_TOTAL
        per_client = limits.max_connections_per_client
        held = self.by_client.get(client, 0)
        if per_client and held >= per_client and client not in limits.trusted_proxies:
            return CONNECTIONS_PER_CLIENT
        self.total += 1
        self.by_client[client] = held + 1
        return None

    def release(self, client: str) -> None:
        """Forget a connection :meth:`admit` counted."""
        self.total -= 1
        held = self.by_client.get(client, 0) - 1
        if held > 0:
            self.by_client[client] = held
        else:
            self.by_client.pop(client, None)
