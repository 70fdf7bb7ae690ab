"""Every reelstack setting, and the one place that reads the environment.

A key ``a.b_c`` is set by the environment variable ``REELSTACK_A_B_C``, by
``[a] b_c = ...`` in the TOML file named by ``REELSTACK_CONFIG`` (default
``<home>/reelstack.toml``), or at runtime with ``reelstack config set`` when the
setting is marked runtime.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from reelstack.cluster.model import parse_zones
from reelstack.config import (
    Config,
    Setting,
    SettingsRegistry,
    parse_bool,
    parse_choice,
    parse_float,
    parse_int,
    parse_secret,
    parse_str,
    parse_url,
)
from reelstack.gateway.faults import parse_route_faults
from reelstack.gateway.instances import parse_instances
from reelstack.gateway.routes import parse_routes

REGISTRY = SettingsRegistry()
add = REGISTRY.add


def _parse_home(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return str(Path(raw).expanduser().resolve())


def _under_home(template: str) -> Callable[[Config], str]:
    def default(config: Config) -> str:
        return template.format(home=config.get(HOME))

    return default


HOME = add(
    Setting(
        "home",
        _parse_home,
        ".reelstack",
        "Folder for the local cluster's state, embedded stores and logs.",
    )
)

# -- ports: each chosen by URL --------------------------------------------------

LOG_URL = add(
    Setting(
        "log.url",
        parse_url("sqlite", "kafka"),
        _under_home("sqlite:///{home}/data/log.db"),
        "Event log (EventLog port): sqlite:///PATH or kafka://HOST:PORT[,HOST:PORT].",
    )
)
LOG_RETENTION_MS = add(
    Setting(
        "log.retention_ms",
        parse_int(minimum=1),
        str(7 * 24 * 3600 * 1000),
        "Default retention of a topic's records, in milliseconds (Kafka's 7 days).",
    )
)
LOG_REPLICATION_FACTOR = add(
    Setting(
        "log.replication_factor",
        parse_int(0, 100),
        "0",
        "Kafka: at least this many replicas for each topic reelstack creates "
        "(0: the brokers' default.replication.factor). The embedded log keeps one copy.",
    )
)
LOG_REQUEST_TIMEOUT_S = add(
    Setting(
        "log.request_timeout_s",
        parse_float(0.1),
        "30",
        "Kafka: seconds an append may wait for its acknowledgement (and a metadata or "
        "offset request for its answer) before UnavailableError.",
    )
)
WIDECOLUMN_URL = add(
    Setting(
        "widecolumn.url",
        parse_url("sqlite", "cassandra"),
        _under_home("sqlite:///{home}/data/widecolumn.db"),
        "Wide-column store (WideColumnStore port): sqlite:///PATH or cassandra://HOST:PORT/KEYSPACE.",
    )
)


def _parse_replication(raw: str) -> dict[str, str]:
    """``SimpleStrategy:RF`` or ``NetworkTopologyStrategy:DC=RF[,DC=RF]`` as a CQL map."""
    strategy, _, factors = raw.strip().partition(":")
    if strategy == "SimpleStrategy" and factors.strip().isdigit() and int(factors) > 0:
        return {"class": strategy, "replication_factor": str(int(factors))}
    if strategy == "NetworkTopologyStrategy" and factors.strip():
        out = {"class": strategy}
        for item in factors.split(","):
            dc, _, rf = item.strip().partition("=")
            if not dc or not rf.isdigit():
                raise ValueError(f"expected DC=RF, got {item.strip()!r}")
            out[dc] = str(int(rf))
        return out
    raise ValueError("expected SimpleStrategy:RF or NetworkTopologyStrategy:DC=RF[,DC=RF]")


WIDECOLUMN_REPLICATION = add(
    Setting(
        "widecolumn.replication",
        _parse_replication,
        "SimpleStrategy:1",
        "Replication of the Cassandra keyspace when reelstack creates it: SimpleStrategy:RF "
        "or NetworkTopologyStrategy:DC=RF[,DC=RF].",
    )
)
WIDECOLUMN_CONSISTENCY = add(
    Setting(
        "widecolumn.consistency",
        parse_choice("ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_ONE", "LOCAL_QUORUM"),
        "LOCAL_QUORUM",
        "Consistency level of Cassandra reads and writes.",
    )
)
WIDECOLUMN_LOCAL_DC = add(
    Setting(
        "widecolumn.local_dc",
        parse_str,
        "",
        "Cassandra datacenter LOCAL_* consistency counts in (empty: the first contact point's).",
    )
)
WIDECOLUMN_TIMEOUT_S = add(
    Setting(
        "widecolumn.timeout_s",
        parse_float(0.1),
        "10",
        "Seconds a Cassandra request (or connecting at open) may take before it fails.",
    )
)
SQL_URL = add(
    Setting(
        "sql.url",
        parse_url("sqlite+aiosqlite", "postgresql+asyncpg", "cockroachdb+asyncpg"),
        _under_home("sqlite+aiosqlite:///{home}/data/sql.db"),
        "Relational store (SQLAlchemy async URL).",
    )
)
SQL_POOL_SIZE = add(
    Setting(
        "sql.pool_size",
        parse_int(1, 1000),
        "5",
        "Connections each process keeps to a relational server (as many again under load).",
    )
)
SQL_CONNECT_TIMEOUT_S = add(
    Setting(
        "sql.connect_timeout_s",
        parse_float(0.1),
        "10",
        "Seconds a connection attempt to a relational server may take.",
    )
)
SQL_MAX_ATTEMPTS = add(
    Setting(
        "sql.max_attempts",
        parse_int(1, 100),
        "8",
        "Runs of one transaction the relational store allows on serialization conflicts.",
    )
)
CACHE_URL = add(
    Setting(
        "cache.url",
        parse_url("memory", "sqlite", "memcached"),
        _under_home("sqlite:///{home}/data/cache.db"),
        "Cache (Cache port): memory://, sqlite:///PATH (shared by processes) or"
        " memcached://ZONE=HOST:PORT[,HOST:PORT][;ZONE=...][?OPTIONS], one memcached pool"
        " per zone: writes go to every zone, reads to service.zone first (options:"
        " timeout_ms, down_ms, pool_size, max_value_bytes, item_bytes).",
    )
)


def _parse_zone_set(raw: str) -> frozenset[str]:
    zones = frozenset(part.strip() for part in raw.split(",") if part.strip())
    for zone in zones:
        if not (zone.isascii() and zone.replace("_", "").isalnum()):
            raise ValueError(f"zone {zone!r}: expected letters, digits or '_'")
    return zones


CACHE_WRITE_ONLY_ZONES = add(
    Setting(
        "cache.write_only_zones",
        _parse_zone_set,
        "",
        "Comma-separated cache zones that take writes but serve no reads (a zone"
        " warming up after it was replaced); memcached caches only.",
        runtime=True,
    )
)
BLOB_URL = add(
    Setting(
        "blob.url",
        parse_url("file", "s3"),
        _under_home("file://{home}/blobs"),
        "Blob store (BlobStore port): file:///PATH or s3://BUCKET.",
    )
)
BLOB_S3_PART_SIZE = add(
    Setting(
        "blob.s3_part_size",
        parse_int(5 * 1024 * 1024, 5 * 1024 * 1024 * 1024),
        str(8 * 1024 * 1024),
        "S3: bytes per part of a multipart upload (>= 5 MiB); smaller objects go in one PUT.",
    )
)
BLOB_S3_CREATE_BUCKET = add(
    Setting(
        "blob.s3_create_bucket",
        parse_bool,
        "true",
        "S3: create the bucket when the store opens and it does not exist.",
    )
)
BLOB_S3_ACCESS_KEY_ID = add(
    Setting(
        "blob.s3_access_key_id",
        parse_str,
        "",
        "S3: access key id (empty: AWS_ACCESS_KEY_ID, ~/.aws or an instance role).",
    )
)
BLOB_S3_SECRET_ACCESS_KEY = add(
    Setting(
        "blob.s3_secret_access_key",
        parse_secret,
        "",
        "S3: secret access key (empty: AWS_SECRET_ACCESS_KEY, ~/.aws or an instance role).",
    )
)

# -- this instance ----------------------------------------------------------------

SERVICE_NAME = add(Setting("service.name", parse_str, "hello", "Service this process runs."))
SERVICE_HOST = add(Setting("service.host", parse_str, "127.0.0.1", "Address to listen on."))
SERVICE_ADVERTISE_HOST = add(
    Setting(
        "service.advertise_host",
        parse_str,
        "",
        "Address other processes reach this instance at, as registered (default:"
        " service.host, or this host's name when that is a wildcard such as 0.0.0.0).",
    )
)
SERVICE_PORT = add(
    Setting("service.port", parse_int(0, 65535), "0", "Port to listen on (0: any free port).")
)
SERVICE_ZONE = add(Setting("service.zone", parse_str, "a", "Availability zone of this instance."))
SERVICE_VERSION = add(Setting("service.version", parse_str, "v1", "Version this instance runs."))
INSTANCE_ID = add(
    Setting("instance.id", parse_str, "", "Instance id (default: service-zone-port).")
)
SHUTDOWN_GRACE_S = add(
    Setting(
        "service.shutdown_grace_s",
        parse_float(0),
        "10",
        "Seconds a stopping instance waits for in-flight requests to finish.",
    )
)
LOG_LEVEL = add(
    Setting(
        "logging.level",
        parse_choice("DEBUG", "INFO", "WARNING", "ERROR"),
        "INFO",
        "Log level.",
        runtime=True,
    )
)
ACCESS_LOG = add(
    Setting("logging.access", parse_bool, "true", "Log one JSON line per request.", runtime=True)
)
PROPERTIES_POLL_S = add(
    Setting(
        "properties.poll_s",
        parse_float(0.05),
        "1.0",
        "How often an instance polls for changed runtime properties, in seconds.",
    )
)

# -- resilient client ---------------------------------------------------------------
# Defaults for every call through ResilientClient (reelstack.chassis.resilience);
# all may change while an instance runs. A service overrides them per target
# service in code (ResilientClient(overrides={"catalog": {"timeout_s": 0.5}})).

CLIENT_TIMEOUT_S = add(
    Setting(
        "client.timeout_s",
        parse_float(0.001),
        "2.0",
        "Seconds a call may take in all, retries included, unless the caller says otherwise.",
        runtime=True,
    )
)
CLIENT_CONNECT_TIMEOUT_S = add(
    Setting(
        "client.connect_timeout_s",
        parse_float(0.001),
        "1.0",
        "Seconds one connection attempt to an instance may take before trying another.",
        runtime=True,
    )
)
CLIENT_RETRIES = add(
    Setting(
        "client.retries",
        parse_int(0, 10),
        "1",
        "Retries of one call, each on another instance (Ribbon's MaxAutoRetriesNextServer).",
        runtime=True,
    )
)
CLIENT_RETRY_BUDGET_RATIO = add(
    Setting(
        "client.retry_budget_ratio",
        parse_float(0.0, 10.0),
        "0.2",
        "Retries allowed per call over a rolling 10 s, beyond the reserve (0.2: 20%).",
        runtime=True,
    )
)
CLIENT_RETRY_BUDGET_MIN_PER_S = add(
    Setting(
        "client.retry_budget_min_per_s",
        parse_float(0.0),
        "10",
        "Retries per second always allowed, so a caller with little traffic can retry.",
        runtime=True,
    )
)
CLIENT_BREAKER_ERROR_THRESHOLD_PCT = add(
    Setting(
        "client.breaker.error_threshold_pct",
        parse_float(0.0, 100.0),
        "50",
        "Error percentage over the window at which a service's circuit breaker opens.",
        runtime=True,
    )
)
CLIENT_BREAKER_REQUEST_VOLUME = add(
    Setting(
        "client.breaker.request_volume",
        parse_int(1),
        "20",
        "Calls the window must hold before the breaker may open.",
        runtime=True,
    )
)
CLIENT_BREAKER_WINDOW_S = add(
    Setting(
        "client.breaker.window_s",
        parse_float(0.01),
        "10",
        "Length of the breaker's rolling window in seconds (10 buckets).",
        runtime=True,
    )
)
CLIENT_BREAKER_SLEEP_WINDOW_S = add(
    Setting(
        "client.breaker.sleep_window_s",
        parse_float(0.0),
        "5",
        "Seconds an open breaker short-circuits calls before letting one trial call through.",
        runtime=True,
    )
)
CLIENT_BULKHEAD_MAX_CONCURRENT = add(
    Setting(
        "client.bulkhead.max_concurrent",
        parse_int(1),
        "100",
        "Calls to one service that may be in flight at once; more are refused at once.",
        runtime=True,
    )
)
CLIENT_AVAILABILITY_FAILURES = add(
    Setting(
        "client.availability.failures",
        parse_int(1),
        "3",
        "Consecutive connection failures after which an instance is skipped.",
        runtime=True,
    )
)
CLIENT_AVAILABILITY_SKIP_S = add(
    Setting(
        "client.availability.skip_s",
        parse_float(0.0),
        "30",
        "Seconds a failing instance is skipped; doubled each time it fails again.",
        runtime=True,
    )
)
CLIENT_AVAILABILITY_MAX_SKIP_S = add(
    Setting(
        "client.availability.max_skip_s",
        parse_float(0.0),
        "300",
        "Longest a failing instance is skipped, however often it fails.",
        runtime=True,
    )
)

# -- the sample service -------------------------------------------------------------

HELLO_GREETING = add(
    Setting(
        "hello.greeting",
        parse_str,
        "hello",
        "Greeting the sample service returns (a runtime property).",
        runtime=True,
    )
)

# -- registry (Eureka's role) and the clients of it ---------------------------------


def _parse_registry_urls(raw: str) -> tuple[tuple[str, str], ...]:
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
        _parse_registry_urls,
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
REGISTRY_PEERS = add(
    Setting(
        "registry.peers",
        _parse_registry_urls,
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

# -- the local cluster -----------------------------------------------------------

CLUSTER_CONTROL_PORT = add(
    Setting(
        "cluster.control_port",
        parse_int(0, 65535),
        "7070",
        "Port of the supervisor's control API (0: any free port).",
    )
)
CLUSTER_INSTANCES = add(
    Setting(
        "cluster.instances",
        parse_int(1, 16),
        "2",
        "Instances of each service the supervisor starts, spread over the zones.",
    )
)
CLUSTER_ZONES = add(
    Setting("cluster.zones", parse_zones, "a,b", "Comma-separated zones instances spread over.")
)
CLUSTER_SPARES = add(
    Setting(
        "cluster.spares",
        parse_int(0, 8),
        "1",
        "Warm spare processes (imports done) kept to replace a dead instance in about a second.",
    )
)


def _parse_ports(raw: str) -> tuple[int, ...]:
    ports = tuple(parse_int(0, 65535)(part.strip()) for part in raw.split(",") if part.strip())
    if not ports:
        raise ValueError("expected at least one port")
    return ports


CLUSTER_REGISTRY_PORTS = add(
    Setting(
        "cluster.registry_ports",
        _parse_ports,
        "8761,8762",
        "Fixed ports of the registry's instances, one per instance in order (0: a free port"
        " chosen when the cluster starts); every instance is told these addresses.",
    )
)


# -- gateway (Zuul's role) -----------------------------------------------------------


def _static_dir_default(config: Config) -> str:
    # A checkout serves its built web app; an installed package, <home>/web.
    built = Path(__file__).resolve().parents[2] / "web" / "dist"
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
        "/media=media;public;keep",
        "Routes: PREFIX=SERVICE[;public][;keep|;rewrite=/x][;timeout=S][;max_body=BYTES], "
        "comma-separated. The prefix is stripped unless kept or rewritten.",
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


# -- media pipeline (issue [4]) ---------------------------------------------------
# Limits and allow-lists every upload is validated against before any work,
# resource limits of each ffmpeg run, and how the encoding ladder is planned.


def _parse_names(raw: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    for name in names:
        if not name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"{name!r}: expected letters, digits, '-' or '_'")
    return names


def _parse_ints(minimum: int, maximum: int) -> Callable[[str], tuple[int, ...]]:
    def parse(raw: str) -> tuple[int, ...]:
        values = tuple(sorted({parse_int(minimum, maximum)(part) for part in raw.split(",")}))
        if not values:
            raise ValueError("expected a comma-separated list of integers")
        return values

    return parse


MEDIA_FFMPEG = add(
    Setting(
        "media.ffmpeg",
        parse_str,
        "",
        "Path of the ffmpeg to run (empty: imageio-ffmpeg's, which has libvmaf, else PATH's).",
    )
)
MEDIA_FFPROBE = add(
    Setting("media.ffprobe", parse_str, "", "Path of the ffprobe to run (empty: found on PATH).")
)
MEDIA_CONTAINERS = add(
    Setting(
        "media.containers",
        _parse_names,
        "mp4,matroska",
        "Containers an upload may be in, as its bytes say whatever its name: mp4 "
        "(MP4/MOV) and/or matroska (MKV/WebM).",
    )
)
MEDIA_VIDEO_CODECS = add(
    Setting(
        "media.video_codecs",
        _parse_names,
        "h264,hevc,vp9,av1",
        "Video codecs an upload may carry (ffprobe codec names).",
    )
)
MEDIA_AUDIO_CODECS = add(
    Setting(
        "media.audio_codecs",
        _parse_names,
        "aac,opus,mp3,ac3,eac3,flac,vorbis",
        "Audio codecs an upload may carry (ffprobe codec names).",
    )
)
MEDIA_SUBTITLE_CODECS = add(
    Setting(
        "media.subtitle_codecs",
        _parse_names,
        "subrip,ass,webvtt,mov_text",
        "Subtitle codecs an upload may carry; data and attachment streams are ignored.",
    )
)
MEDIA_MAX_BYTES = add(
    Setting(
        "media.max_bytes",
        parse_int(1),
        str(8 * 1024**3),
        "Largest upload accepted, in bytes.",
    )
)
MEDIA_MAX_DURATION_S = add(
    Setting("media.max_duration_s", parse_float(1), "14400", "Longest upload, in seconds.")
)
MEDIA_MIN_DURATION_S = add(
    Setting(
        "media.min_duration_s",
        parse_float(0),
        "1",
        "Shortest upload, in seconds (a still picture in a video container is refused).",
    )
)
MEDIA_MAX_WIDTH = add(
    Setting(
        "media.max_width",
        parse_int(16, 16384),
        "3840",
        "Widest picture accepted; portrait video is measured on its long side.",
    )
)
MEDIA_MAX_HEIGHT = add(
    Setting(
        "media.max_height",
        parse_int(16, 16384),
        "2160",
        "Tallest picture accepted; portrait video is measured on its short side.",
    )
)
MEDIA_MAX_STREAMS = add(
    Setting("media.max_streams", parse_int(1, 1000), "16", "Most streams an upload may hold.")
)
MEDIA_PROBE_SIZE = add(
    Setting(
        "media.probe_size",
        parse_int(32 * 1024, 1024**3),
        "10000000",
        "Bytes ffprobe/ffmpeg may read to identify an upload's streams.",
    )
)
MEDIA_ANALYZE_DURATION_S = add(
    Setting(
        "media.analyze_duration_s",
        parse_float(0.1, 600),
        "10",
        "Seconds of media ffprobe/ffmpeg may read to identify an upload's streams.",
    )
)
MEDIA_THREADS = add(
    Setting("media.threads", parse_int(1, 256), "2", "Threads each ffmpeg run may use.")
)
MEDIA_MAX_CPU_S = add(
    Setting(
        "media.max_cpu_s",
        parse_int(1),
        "7200",
        "CPU seconds one ffmpeg run may use before the kernel stops it.",
    )
)
MEDIA_MAX_WALL_S = add(
    Setting(
        "media.max_wall_s",
        parse_float(1),
        "7200",
        "Wall-clock seconds one ffmpeg run may take before it is killed.",
    )
)
MEDIA_MAX_OUTPUT_BYTES = add(
    Setting(
        "media.max_output_bytes",
        parse_int(1024 * 1024),
        str(16 * 1024**3),
        "Largest file one ffmpeg run may write.",
    )
)
MEDIA_MAX_MEMORY_BYTES = add(
    Setting(
        "media.max_memory_bytes",
        parse_int(256 * 1024 * 1024),
        str(8 * 1024**3),
        "Address space one ffmpeg run may map.",
    )
)
MEDIA_LADDER_MODE = add(
    Setting(
        "media.ladder_mode",
        parse_choice("pertitle", "fixed"),
        "pertitle",
        "pertitle: trial encodes and VMAF choose each title's ladder; fixed: Netflix's "
        "pre-2015 ladder (235 to 5800 kb/s) capped at the source.",
    )
)
MEDIA_TOP_MAX_HEIGHT = add(
    Setting(
        "media.top_max_height",
        parse_int(144, 4320),
        "1080",
        "Tallest rung of a ladder (the short side for portrait video).",
    )
)
MEDIA_VMAF_TARGET = add(
    Setting(
        "media.vmaf_target",
        parse_float(1, 100),
        "95",
        "VMAF the top rung aims at: bits past it are not spent.",
    )
)
MEDIA_MIN_RUNG_STEP = add(
    Setting(
        "media.min_rung_step",
        parse_float(1.05, 10),
        "1.5",
        "Least bitrate ratio between neighbouring rungs.",
    )
)
MEDIA_MIN_VMAF_STEP = add(
    Setting(
        "media.min_vmaf_step",
        parse_float(0, 50),
        "2",
        "Least VMAF difference between neighbouring rungs.",
    )
)
MEDIA_MAX_RUNGS = add(
    Setting("media.max_rungs", parse_int(1, 20), "8", "Most rungs a per-title ladder has.")
)
MEDIA_MIN_BITRATE_KBPS = add(
    Setting(
        "media.min_bitrate_kbps",
        parse_int(16),
        "150",
        "Lowest rung's least bitrate, in kb/s.",
    )
)
MEDIA_MAX_BITRATE_KBPS = add(
    Setting(
        "media.max_bitrate_kbps",
        parse_int(100),
        "8000",
        "Highest bitrate of a per-title ladder's top rung, in kb/s (grainy titles stop here).",
    )
)
MEDIA_VMAF_FLOOR = add(
    Setting(
        "media.vmaf_floor",
        parse_float(0, 100),
        "30",
        "Rungs scoring below this VMAF are left out of a per-title ladder.",
    )
)
MEDIA_TRIAL_HEIGHTS = add(
    Setting(
        "media.trial_heights",
        _parse_ints(144, 4320),
        "240,384,480,720,1080",
        "Frame heights of per-title trial encodes (capped at the source and top_max_height).",
    )
)
MEDIA_TRIAL_CRFS = add(
    Setting(
        "media.trial_crfs",
        _parse_ints(0, 51),
        "20,27,34",
        "x264 CRF values of per-title trial encodes at each height.",
    )
)
MEDIA_TRIAL_SAMPLES = add(
    Setting(
        "media.trial_samples",
        parse_int(1, 20),
        "3",
        "Scenes sampled across a title for per-title trials.",
    )
)
MEDIA_TRIAL_SAMPLE_S = add(
    Setting(
        "media.trial_sample_s",
        parse_float(0.5, 60),
        "2",
        "Seconds of each sampled scene.",
    )
)
MEDIA_TRIAL_PRESET = add(
    Setting(
        "media.trial_preset",
        parse_choice(
            "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"
        ),
        "veryfast",
        "x264 preset of per-title trial encodes.",
    )
)
MEDIA_VMAF_SUBSAMPLE = add(
    Setting(
        "media.vmaf_subsample",
        parse_int(1, 30),
        "2",
        "Score every n-th frame in per-title trials (1: every frame).",
    )
)
MEDIA_VMAF_REFERENCE_HEIGHT = add(
    Setting(
        "media.vmaf_reference_height",
        parse_int(144, 2160),
        "1080",
        "Height trials are scaled back to for VMAF (the source's, if smaller).",
    )
)


# -- media pipeline: chunked ladder encoding, packaging, workers (issue [4]) -------------
# How a job is cut into chunks and segments, how each rung is encoded, where
# outputs go in the blob store, and how media workers share the task topic.


def _parse_cpus(raw: str) -> tuple[int, ...]:
    cpus: set[int] = set()
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        low, sep, high = part.partition("-")
        first, last = int(low), int(high) if sep else int(low)
        if first < 0 or last < first:
            raise ValueError(f"{part!r}: expected CPU numbers like 0,2-3")
        cpus.update(range(first, last + 1))
    return tuple(sorted(cpus))


def _parse_key_url(raw: str) -> str:
    value = raw.strip()
    if "{title_id}" not in value:
        raise ValueError("must contain {title_id}")
    return value


def _parse_prefix(raw: str) -> str:
    value = raw.strip().strip("/")
    if not value or any(p in ("", ".", "..") for p in value.split("/")):
        raise ValueError("expected a relative key prefix such as private/keys")
    return value


MEDIA_SEGMENT_S = add(
    Setting(
        "media.segment_s",
        parse_float(1.0, 20.0),
        "4",
        "Seconds per HLS/DASH segment; every rung has a keyframe at each boundary.",
    )
)
MEDIA_CHUNK_S = add(
    Setting(
        "media.chunk_s",
        parse_float(1.0, 3600.0),
        "16",
        "Target seconds of source per parallel encode task, rounded to whole segments; "
        "chunk ends move to a segment boundary close after a source keyframe.",
    )
)
MEDIA_MAX_ATTEMPTS = add(
    Setting(
        "media.max_attempts",
        parse_int(1, 20),
        "3",
        "Runs of one job step (probe, chunk, package) before the job fails with ffmpeg's reason.",
    )
)
MEDIA_ENCODE_THREADS = add(
    Setting(
        "media.encode_threads",
        parse_int(0, 256),
        "0",
        "Threads of each encoder in a ladder encode (and of its decoder and filters); "
        "0: media.threads.",
    )
)
MEDIA_PRESET = add(
    Setting(
        "media.preset",
        parse_choice(
            "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"
        ),
        "veryfast",
        "x264 preset of ladder encodes.",
    )
)
MEDIA_AV1_ENABLED = add(
    Setting(
        "media.av1_enabled",
        parse_bool,
        "false",
        "Also encode every rung in AV1 (libsvtav1), next to H.264, for players that decode it.",
    )
)
MEDIA_AV1_PRESET = add(
    Setting("media.av1_preset", parse_int(0, 13), "10", "SVT-AV1 preset (higher: faster).")
)
MEDIA_AV1_BITRATE_RATIO = add(
    Setting(
        "media.av1_bitrate_ratio",
        parse_float(0.1, 2.0),
        "0.7",
        "Bitrate of an AV1 rung as a share of the H.264 rung of the same size.",
    )
)
MEDIA_ENCRYPT = add(
    Setting(
        "media.encrypt",
        parse_bool,
        "false",
        "Encrypt HLS segments with AES-128 unless a job says otherwise (no DASH manifest then).",
    )
)
MEDIA_KEY_URL_TEMPLATE = add(
    Setting(
        "media.key_url_template",
        _parse_key_url,
        "/api/playback/keys/{title_id}",
        "URI of a title's AES-128 key in HLS playlists; the playback service serves it.",
    )
)
MEDIA_KEY_PREFIX = add(
    Setting(
        "media.key_prefix",
        _parse_prefix,
        "private/keys",
        "Blob-store prefix of per-title content keys; never served to viewers directly.",
    )
)
MEDIA_WORK_PREFIX = add(
    Setting(
        "media.work_prefix",
        _parse_prefix,
        "private/media-jobs",
        "Blob-store prefix of a job's intermediate outputs (encoded chunks), deleted when done.",
    )
)
MEDIA_OUTPUT_PREFIX = add(
    Setting(
        "media.output_prefix",
        _parse_prefix,
        "media",
        "Blob-store prefix of published renditions: PREFIX/TITLE/JOB/master.m3u8.",
    )
)
MEDIA_WORK_DIR = add(
    Setting(
        "media.work_dir",
        parse_str,
        _under_home("{home}/media-work"),
        "Local folder of media workers' private job folders.",
    )
)
MEDIA_TASK_PARTITIONS = add(
    Setting(
        "media.task_partitions",
        parse_int(1, 1024),
        "8",
        "Partitions of the media.tasks topic: the most workers that can encode at once.",
    )
)
MEDIA_WORKER_SESSION_MS = add(
    Setting(
        "media.worker_session_ms",
        parse_int(100, 600_000),
        "10000",
        "A media worker silent this long loses its tasks to the other workers.",
    )
)
MEDIA_WORKER_CPUS = add(
    Setting(
        "media.worker_cpus",
        _parse_cpus,
        "",
        "CPUs a media worker and its ffmpeg runs are pinned to, e.g. 0 or 0,2-3 (empty: any).",
    )
)
MEDIA_WORKER_HEALTH_PORT = add(
    Setting(
        "media.worker_health_port",
        parse_int(0, 65535),
        "0",
        "Port of a media worker's /health endpoint on 127.0.0.1 (0: none).",
    )
)


CONFIG_ENV = "REELSTACK_CONFIG"


# -- media service ------------------------------------------------------------------
# Ingest (resumable tus uploads), title metadata, trickplay, artwork, intro
# detection and the demo catalog. Upload size and media limits are the
# media.max_* settings above.

MEDIA_UPLOAD_DIR = add(
    Setting(
        "media.upload_dir",
        parse_str,
        _under_home("{home}/uploads"),
        "Folder of partial tus uploads, shared by every media instance (a shared volume "
        "when instances run on several hosts).",
    )
)
MEDIA_UPLOAD_EXPIRY_S = add(
    Setting(
        "media.upload_expiry_s",
        parse_float(60),
        "86400",
        "Seconds an unfinished upload is kept after its last write (tus expiration).",
    )
)
MEDIA_UPLOAD_CHUNK_BYTES = add(
    Setting(
        "media.upload_chunk_bytes",
        parse_int(64 * 1024, 1024**3),
        str(8 * 1024 * 1024),
        "Bytes the CLI sends per tus PATCH (below the gateway's body limit).",
    )
)
MEDIA_URL = add(
    Setting(
        "media.url",
        parse_str,
        "",
        "Base URL of a media service for `reelstack ingest` (empty: a media instance of "
        "the running local cluster, else in-process).",
    )
)
MEDIA_RECONCILE_S = add(
    Setting(
        "media.reconcile_s",
        parse_float(0.1),
        "1",
        "Seconds between a media instance's sweeps for finished uploads and jobs.",
    )
)
MEDIA_TRICKPLAY_INTERVAL_S = add(
    Setting(
        "media.trickplay_interval_s",
        parse_float(0.5, 600),
        "5",
        "Seconds between seek-preview thumbnails.",
    )
)
MEDIA_TRICKPLAY_WIDTH = add(
    Setting(
        "media.trickplay_width",
        parse_int(32, 1280),
        "240",
        "Width of one seek-preview thumbnail, in pixels (even).",
    )
)
MEDIA_TRICKPLAY_GRID = add(
    Setting(
        "media.trickplay_grid",
        parse_int(1, 20),
        "5",
        "Thumbnails per row and per column of one sprite sheet.",
    )
)
MEDIA_ARTWORK_CANDIDATES = add(
    Setting(
        "media.artwork_candidates",
        parse_int(1, 64),
        "10",
        "Frames sampled to choose the poster and backdrop frame.",
    )
)
MEDIA_INTRO_SEARCH_S = add(
    Setting(
        "media.intro_search_s",
        parse_float(5),
        "600",
        "Seconds from an episode's start searched for the shared intro (at most 60% of it).",
    )
)
MEDIA_CREDITS_SEARCH_S = add(
    Setting(
        "media.credits_search_s",
        parse_float(5),
        "300",
        "Seconds before an episode's end searched for shared credits (at most 40% of it).",
    )
)
MEDIA_INTRO_MIN_S = add(
    Setting(
        "media.intro_min_s",
        parse_float(1),
        "4",
        "Shortest stretch of audio shared by episodes that counts as an intro or credits.",
    )
)
MEDIA_DEMO_SECONDS = add(
    Setting(
        "media.demo_seconds",
        parse_float(4, 600),
        "24",
        "Length of each generated demo title, in seconds.",
    )
)
MEDIA_DEMO_SIZE = add(
    Setting(
        "media.demo_size",
        parse_choice("426x240", "640x360", "854x480", "1280x720"),
        "640x360",
        "Picture size of the generated demo titles.",
    )
)
MEDIA_DEMO_TITLES = add(
    Setting(
        "media.demo_titles",
        parse_int(1, 64),
        "12",
        "How many demo titles `reelstack demo` makes (the series counts its episodes).",
    )
)


def config_file(environ: Mapping[str, str]) -> Path:
    """Return the TOML file to read settings from."""
    explicit = environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit)
    home = environ.get(HOME.env, HOME.default if isinstance(HOME.default, str) else ".reelstack")
    return Path(home).expanduser() / "reelstack.toml"


def load(args: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load settings from the file, the environment and explicit arguments."""
    env = os.environ if environ is None else environ
    file = config_file(env)
    env = {k: v for k, v in env.items() if k != CONFIG_ENV}
    return Config.load(REGISTRY, environ=env, file=file, args=args)
