"""The gateway (Zuul's role)."""

from __future__ import annotations

from pathlib import Path

from reelstack.config import (
    Config,
    Setting,
    parse_bool,
    parse_float,
    parse_int,
    parse_str,
    parse_url,
)
from reelstack.gateway.faults import parse_route_faults
from reelstack.gateway.instances import parse_instances
from reelstack.gateway.routes import parse_routes
from reelstack.settings.base import HOME, add

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
        "/api/hello=hello;public;rewrite=/hello,"
        "/api/media=media;keep;timeout=60,"
        "/api/media/titles=media;public=GET;keep;timeout=60,"
        "/media=media;public;keep",
        "Routes: PREFIX=SERVICE[;public|;public=GET/...][;keep|;rewrite=/x][;timeout=S]"
        "[;max_body=BYTES], comma-separated. The prefix is stripped unless kept or rewritten."
        " By default anyone may read titles and play published files; everything else"
        " under /api/media (uploads, jobs, changes) needs a token.",
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
    return parse_url("http", "https", "service")(raw) if raw.strip() else ""


GATEWAY_AUTH_JWKS_URL = add(
    Setting(
        "gateway.auth.jwks_url",
        _parse_jwks_url,
        "service://identity/.well-known/jwks.json",
        "Key set to check tokens with: http(s)://... or service://NAME/PATH (found "
        "through discovery), fetched in the background; empty: only gateway.auth.jwks.",
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
GATEWAY_AUTH_ISSUER = add(
    Setting("gateway.auth.issuer", parse_str, "", "Required token issuer (iss); empty: any.")
)
GATEWAY_AUTH_AUDIENCE = add(
    Setting("gateway.auth.audience", parse_str, "", "Required token audience (aud); empty: any.")
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
        "every 60th); 0: CPython's own rhythm, by allocation count. See gateway/collector.py.",
    )
)
