"""Client address (inbound): read ``X-Forwarded-For`` only from a trusted proxy.

The address the rate limits, the region and the access log use is the peer's,
unless the peer is in ``gateway.trusted_proxies``: then it is the right-most
address of ``X-Forwarded-For`` that is not itself a trusted proxy (each
proxy appends the address it received from, so everything left of the first
untrusted hop is whatever the client chose to write). With no trusted
proxies (the default) the filter never applies and a client's own
``X-Forwarded-For`` changes nothing.
"""

from __future__ import annotations

import ipaddress

from reelstack.gateway.filters import Kind
from reelstack.gateway.front import AddressSet
from reelstack.gateway.models import RequestContext

FORWARDED_FOR = b"x-forwarded-for"


def forwarded_client(values: list[bytes], trusted: AddressSet) -> str | None:
    """Return the right-most address in ``values`` not in ``trusted``; None if there is none.

    A hop that is not an IP address ends the walk: nothing to its left can be
    believed, and the hop itself names no address to rate-limit by.
    """
    hops = [hop.strip() for value in values for hop in value.split(b",")]
    for hop in reversed(hops):
        text = hop.decode("latin-1")
        try:
            address = str(ipaddress.ip_address(text))
        except ValueError:
            return None
        if address not in trusted:
            return address
    return None


class ClientAddressFilter:
    """Sets ``ctx.client`` from X-Forwarded-For when the peer is a trusted proxy."""

    name = "client_address"
    kind: Kind = "inbound"
    order = 2

    def __init__(self, trusted: AddressSet) -> None:
        self.trusted = trusted
        self.enabled = bool(trusted)  # asked once: most gateways trust no proxy

    def should_apply(self, ctx: RequestContext) -> bool:
        return self.enabled and ctx.client in self.trusted

    def apply(self, ctx: RequestContext) -> None:
        values = [value for name, value in ctx.headers if name == FORWARDED_FOR]
        if values:
            client = forwarded_client(values, self.trusted)
            if client is not None:
                ctx.client = client
