"""The viewer's region (inbound): every forwarded request carries ``X-Region``.

Catalog and playback decide what a viewer may see and play by region
(licences differ by country), so the region must come from the gateway, not
from the client: a client's own ``X-Region`` is removed with the identity
headers. The region is the one of the longest configured network holding the
client's address, else the default. Where the operator allows it (a demo, a
load test), a client names a region in ``X-Reelstack-Region`` instead.
"""

from __future__ import annotations

import ipaddress

from reelstack.gateway.filters import Kind
from reelstack.gateway.models import REGION_HEADER, RequestContext
from reelstack.gateway.settings import RegionNetwork

CLIENT_REGION_HEADER = b"x-reelstack-region"
# Addresses seen, by address; bounded so a scan of many addresses cannot grow it.
_CACHE_LIMIT = 4096

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class RegionFilter:
    """Sets ``X-Region`` for the service from the client's network (or its header)."""

    name = "region"
    kind: Kind = "inbound"
    order = 6

    def __init__(
        self,
        *,
        default: str,
        networks: tuple[RegionNetwork, ...] = (),
        from_client: bool = False,
    ) -> None:
        self.default = default.encode("ascii")
        parsed = [(ipaddress.ip_network(n.network), n.region.encode("ascii")) for n in networks]
        # Longest prefix first: the first match is the most specific.
        self.networks: list[tuple[IpNetwork, bytes]] = sorted(
            parsed, key=lambda entry: entry[0].prefixlen, reverse=True
        )
        self.from_client = from_client
        self._by_address: dict[str, bytes] = {}

    def should_apply(self, ctx: RequestContext) -> bool:
        return ctx.route is not None

    def apply(self, ctx: RequestContext) -> None:
        region = self._from_header(ctx) if self.from_client else None
        if region is None:
            region = self.region_of(ctx.client)
        ctx.upstream_headers.append((REGION_HEADER, region))

    def region_of(self, address: str) -> bytes:
        """Return the region of a client address (the default when no network holds it)."""
        if not self.networks:
            return self.default
        found = self._by_address.get(address)
        if found is not None:
            return found
        region = self.default
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            ip = None
        if ip is not None:
            for network, name in self.networks:
                if ip.version == network.version and ip in network:
                    region = name
                    break
        if len(self._by_address) >= _CACHE_LIMIT:
            self._by_address.clear()
        self._by_address[address] = region
        return region

    @staticmethod
    def _from_header(ctx: RequestContext) -> bytes | None:
        for name, value in ctx.headers:
            if name == CLIENT_REGION_HEADER:
                code = value.strip().upper()
                if len(code) == 2 and code.isalpha() and code.isascii():
                    return code
                return None
        return None
