"""The gateway's settings (Zuul's role), with the parsers of its structured values.

The parsers live here, not in the gateway's code, so that reading the
settings never imports the gateway: ``gateway.instances`` entries become
:class:`StaticInstance`, ``gateway.faults.routes`` rules :class:`FaultSpec`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from reelstack.chassis.routing import parse_routes
from reelstack.config import (
    Config,
    Setting,
    parse_bool,
    parse_float,
    parse_int,
    parse_str,
    parse_url,
)
from reelstack.settings.base import HOME, add

# The front door's limits live in their own module; importing it registers them.
from reelstack.settings.gateway_front import *  # noqa: F403
from reelstack.settings.tokens import JWKS_FILE

# -- values of the structured settings --------------------------------------------


class StaticInstance(NamedTuple):
    """One entry of the setting (the app turns it into an InstanceInfo)."""

    service: str
    zone: str
    host: str
    port: int


def parse_instances(raw: str) -> tuple[StaticInstance, ...]:
    """Parse ``SERVICE[@ZONE]=HOST:PORT`` entries, comma-separated."""
    instances: list[StaticInstance] = []
    for entry in raw.split(","):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, address = entry.partition("=")
        service, _, zone = name.strip().partition("@")
        host, colon, port_text = address.strip().rpartition(":")
        if not sep or not service or not colon or not host:
            raise ValueError(f"instance {entry!r}: expected SERVICE[@ZONE]=HOST:PORT")
        try:
            port = int(port_text)
        except ValueError:
            raise ValueError(f"instance {entry!r}: port {port_text!r} is not a number") from None
        if not 0 < port < 65536:
            raise ValueError(f"instance {entry!r}: port {port} out of range")
        zone = zone.strip() or "a"
        instances.append(StaticInstance(service.strip().lower(), zone, host.strip("[]"), port))
    return tuple(instances)


MAX_DELAY_S = 60.0


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """A parsed fault: delay, abort status, and the share of requests it applies to."""

    delay_s: float = 0.0
    abort_status: int | None = None
    percent: float = 100.0


def _parse_delay(raw: str) -> float:
    text = raw.strip().lower()
    if text.endswith("ms"):
        value = float(text[:-2]) / 1000.0
    elif text.endswith("s"):
        value = float(text[:-1])
    else:
        value = float(text) / 1000.0  # a bare number is milliseconds
    if not 0.0 <= value <= MAX_DELAY_S:
        raise ValueError(f"delay {raw!r} must be between 0 and {MAX_DELAY_S:g} s")
    return value


def parse_fault_spec(text: str) -> FaultSpec:
    """Parse ``delay=200ms,abort=503,pct=10``; raise ValueError if it is not that."""
    delay = 0.0
    abort: int | None = None
    percent = 100.0
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not name and not sep:
            continue
        try:
            if name == "delay":
                delay = _parse_delay(value)
            elif name == "abort":
                abort = int(value)
                if not 400 <= abort <= 599:
                    raise ValueError(f"abort status {abort} must be 400-599")
            elif name == "pct":
                percent = float(value)
                if not 0.0 <= percent <= 100.0:
                    raise ValueError(f"pct {percent:g} must be 0-100")
            else:
                raise ValueError(f"unknown fault {name!r} (known: delay=, abort=, pct=)")
        except ValueError as exc:
            raise ValueError(f"fault {text!r}: {exc}") from None
    if delay == 0.0 and abort is None:
        raise ValueError(f"fault {text!r}: names neither delay= nor abort=")
    return FaultSpec(delay, abort, percent)


def parse_route_faults(raw: str) -> tuple[tuple[str, FaultSpec], ...]:
    """Parse the ``gateway.faults.routes`` setting: ``PREFIX:SPEC`` entries, ``;``-separated."""
    rules: list[tuple[str, FaultSpec]] = []
    for entry in raw.split(";"):
        if not entry.strip():
            continue
        prefix, sep, spec = entry.partition(":")
        prefix = prefix.strip().rstrip("/") or "/"
        if not sep or not prefix.startswith("/"):
            raise ValueError(f"route fault {entry!r}: expected PREFIX:delay=...,abort=...")
        rules.append((prefix, parse_fault_spec(spec)))
    return tuple(rules)


# -- gateway (Zuul's role) -----------------------------------------------------------


def _static_dir_default(config: Config) -> str:
    # A checkout serves its built web app; an installed package, <home>/web.
    # src/reelstack/settings/gateway.py -> the checkout's root is four levels up.
    built = Path(__file__).resolve().parents[3] / "web" / "dist"
    return str(built) if built.is_dir() else f"{config.get(HOME)}/web"


GATEWAY_PORT = add(
    Setting(
        "gateway.port",
        parse_int(0, 65535),
        "8080",
        "Public port of the gateway: the supervisor gives it to the gateway's instances.",
    )
)
GATEWAY_ROUTES = add(
    Setting(
        "gateway.routes",
        parse_routes,
        "",
        "Routes: PREFIX=SERVICE[;public|;public=GET/...][;keep|;rewrite=/x][;timeout=S]"
        "[;max_body=BYTES], comma-separated. The prefix is stripped unless kept or rewritten."
        " Empty (the default): the routes every service declares in its spec (by default"
        " anyone may read titles and play published files; everything else under /api/media,"
        " uploads, jobs and changes, needs a token). Set, it replaces them all.",
    )
)
GATEWAY_API_PREFIX = add(
    Setting(
        "gateway.api_prefix",
        parse_str,
        "/api",
        "Paths under it that no route serves are 404 JSON; other paths go to the web app.",
    )
)
GATEWAY_INSTANCES = add(
    Setting(
        "gateway.instances",
        parse_instances,
        "",
        "Fixed instances SERVICE[@ZONE]=HOST:PORT, comma-separated, used instead of the "
        "registry (tests, benchmarks); empty: the registry.",
    )
)
GATEWAY_TIMEOUT_S = add(
    Setting(
        "gateway.timeout_s",
        parse_float(0.001),
        "10",
        "Seconds to wait for a service's response head, retries included, unless the "
        "route says otherwise.",
        runtime=True,
    )
)
GATEWAY_MAX_CONCURRENT = add(
    Setting(
        "gateway.max_concurrent",
        parse_int(1),
        "512",
        "Requests to one service in flight at once through this gateway; more are shed "
        "with 503 and Retry-After.",
    )
)
GATEWAY_SKIP_AFTER_FAILURES = add(
    Setting(
        "gateway.skip_after_failures",
        parse_int(1),
        "1",
        "Connection failures after which the gateway skips an instance (a refused "
        "connection is a clear sign; see client.availability.* for how long).",
    )
)
GATEWAY_UPSTREAM_IDLE_S = add(
    Setting(
        "gateway.upstream_idle_s",
        parse_float(0.1),
        "4",
        "Seconds an idle connection to a service is kept (below the service's own "
        "keep-alive timeout, 5 s under uvicorn).",
    )
)
GATEWAY_MAX_HEADER_BYTES = add(
    Setting(
        "gateway.max_header_bytes",
        parse_int(256),
        "16384",
        "Request line and headers larger than this are refused with 431.",
        runtime=True,
    )
)
GATEWAY_MAX_BODY_BYTES = add(
    Setting(
        "gateway.max_body_bytes",
        parse_int(0),
        str(10 * 1024 * 1024),
        "Request bodies larger than this are refused with 413 (a route may allow more).",
        runtime=True,
    )
)


def _parse_jwks_url(raw: str) -> str:
    return parse_url("http", "https", "file", "service")(raw) if raw.strip() else ""


GATEWAY_AUTH_JWKS_URL = add(
    Setting(
        "gateway.auth.jwks_url",
        _parse_jwks_url,
        lambda config: "file://" + config.get(JWKS_FILE) if config.get(JWKS_FILE) else "",
        "Key set to check tokens with, fetched in the background: http(s)://... (identity's "
        "/.well-known/jwks.json at a fixed address), file://PATH (default: the file identity "
        "publishes under the home), or service://NAME/PATH (found through discovery: only "
        "with gateway.auth.jwks_discovery); empty: only gateway.auth.jwks.",
    )
)
GATEWAY_AUTH_JWKS_DISCOVERY = add(
    Setting(
        "gateway.auth.jwks_discovery",
        parse_bool,
        "false",
        "Allow a service:// key set URL. Off: anything that can register as identity "
        "could hand the gateway its keys, so keys never come through discovery.",
    )
)
GATEWAY_AUTH_JWKS = add(
    Setting(
        "gateway.auth.jwks",
        parse_str,
        "",
        "Key set given directly: JWKS JSON, or @PATH of a file holding it.",
    )
)
GATEWAY_AUTH_JWKS_REFRESH_S = add(
    Setting(
        "gateway.auth.jwks_refresh_s",
        parse_float(1),
        "300",
        "Seconds between fetches of the key set.",
    )
)
GATEWAY_AUTH_LEEWAY_S = add(
    Setting(
        "gateway.auth.leeway_s",
        parse_float(0, 300),
        "30",
        "Clock skew allowed when checking a token's exp and nbf, in seconds.",
    )
)
GATEWAY_RATELIMIT_ACCOUNT_RPS = add(
    Setting(
        "gateway.ratelimit.account_rps",
        parse_float(0),
        "50",
        "Requests per second one account may make (0: no limit).",
        runtime=True,
    )
)
GATEWAY_RATELIMIT_ACCOUNT_BURST = add(
    Setting(
        "gateway.ratelimit.account_burst",
        parse_float(1),
        "100",
        "Requests one account may make at once above its rate.",
        runtime=True,
    )
)
GATEWAY_RATELIMIT_ADDRESS_RPS = add(
    Setting(
        "gateway.ratelimit.address_rps",
        parse_float(0),
        "100",
        "Requests per second one client address may make to routes (0: no limit).",
        runtime=True,
    )
)
GATEWAY_RATELIMIT_ADDRESS_BURST = add(
    Setting(
        "gateway.ratelimit.address_burst",
        parse_float(1),
        "200",
        "Requests one client address may make at once above its rate.",
        runtime=True,
    )
)
GATEWAY_FAULTS_HEADER = add(
    Setting(
        "gateway.faults.header",
        parse_bool,
        "false",
        "Honour the X-Reelstack-Fault request header (delay=200ms, abort=503).",
        runtime=True,
    )
)
GATEWAY_FAULTS_ROUTES = add(
    Setting(
        "gateway.faults.routes",
        parse_route_faults,
        "",
        "Faults per route: PREFIX:delay=200ms,abort=503,pct=10 entries, ;-separated.",
        runtime=True,
    )
)
GATEWAY_STATIC_DIR = add(
    Setting(
        "gateway.static_dir",
        parse_str,
        _static_dir_default,
        "Folder of the built web app served at / (index.html for client-side routes).",
    )
)
GATEWAY_DEBUG_HEADER = add(
    Setting(
        "gateway.debug_header",
        parse_bool,
        "false",
        "Return the passport in X-Reelstack-Passport to requests with X-Reelstack-Debug: 1.",
        runtime=True,
    )
)
GATEWAY_GC_INTERVAL_S = add(
    Setting(
        "gateway.gc_interval_s",
        parse_float(0.0, 60.0),
        "1",
        "Seconds between the gateway's garbage collections of young objects (everything "
        "every 60th); 0: CPython's own rhythm, by allocation count. See chassis/collector.py.",
    )
)


# -- the viewer's region ---------------------------------------------------------------


REGION_PATTERN = "^[A-Z]{2}$"


def parse_region(raw: str) -> str:
    """Parse a region: an ISO 3166-1 alpha-2 code such as ``US`` (case ignored)."""
    code = raw.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise ValueError(f"region {raw!r} is not a two-letter country code such as US")
    return code


class RegionNetwork(NamedTuple):
    """One entry of ``gateway.region.networks``: clients in ``network`` are in ``region``."""

    network: str  # CIDR, as written (parsed by the filter)
    region: str


def parse_region_networks(raw: str) -> tuple[RegionNetwork, ...]:
    """Parse ``CIDR=REGION`` entries, comma-separated (most specific first is not needed)."""
    entries: list[RegionNetwork] = []
    for entry in raw.split(","):
        if not entry.strip():
            continue
        cidr, sep, region = entry.partition("=")
        if not sep:
            raise ValueError(f"region network {entry!r}: expected CIDR=REGION")
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError as exc:
            raise ValueError(f"region network {entry!r}: {exc}") from None
        entries.append(RegionNetwork(str(network), parse_region(region)))
    return tuple(entries)


GATEWAY_REGION_DEFAULT = add(
    Setting(
        "gateway.region.default",
        parse_region,
        "US",
        "Region (ISO 3166-1 alpha-2) of a client no network entry names; services receive"
        " the viewer's region as X-Region.",
    )
)
GATEWAY_REGION_NETWORKS = add(
    Setting(
        "gateway.region.networks",
        parse_region_networks,
        "",
        "Client networks and their regions: CIDR=REGION, comma-separated; the longest"
        " matching prefix wins.",
    )
)
GATEWAY_REGION_FROM_CLIENT = add(
    Setting(
        "gateway.region.from_client",
        parse_bool,
        "false",
        "Take the region a client names in its X-Reelstack-Region header (demos and load"
        " tests pretending to be elsewhere). Off in production: a viewer could reach"
        " titles licensed elsewhere.",
    )
)
