"""The ports: each infrastructure role chosen by URL, and its engine options."""

from __future__ import annotations

from reelstack.config import (
    Setting,
    parse_bool,
    parse_choice,
    parse_float,
    parse_int,
    parse_secret,
    parse_str,
    parse_url,
)
from reelstack.settings.base import add, under_home

# -- ports: each chosen by URL --------------------------------------------------

LOG_URL = add(
    Setting(
        "log.url",
        parse_url("sqlite", "kafka"),
        under_home("sqlite:///{home}/data/log.db"),
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
LOG_SASL_MECHANISM = add(
    Setting(
        "log.sasl_mechanism",
        parse_choice("", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"),
        "",
        "Kafka: SASL mechanism the brokers require (SASL_PLAINTEXT); empty: no SASL.",
    )
)
LOG_SASL_USERNAME = add(
    Setting("log.sasl_username", parse_str, "", "Kafka: SASL user name (with log.sasl_mechanism).")
)
LOG_SASL_PASSWORD = add(
    Setting(
        "log.sasl_password",
        parse_secret,
        "",
        "Kafka: SASL password (with log.sasl_mechanism); deployments generate it at install.",
    )
)
WIDECOLUMN_URL = add(
    Setting(
        "widecolumn.url",
        parse_url("sqlite", "cassandra"),
        under_home("sqlite:///{home}/data/widecolumn.db"),
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
        under_home("sqlite+aiosqlite:///{home}/data/sql.db"),
        "Relational store (SQLAlchemy async URL).",
    )
)
SQL_PASSWORD = add(
    Setting(
        "sql.password",
        parse_secret,
        "",
        "Relational server password; replaces the one in sql.url, so the URL can be "
        "shared and the password kept in a secret (empty: the URL's own).",
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
        under_home("sqlite:///{home}/data/cache.db"),
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
        under_home("file://{home}/blobs"),
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
