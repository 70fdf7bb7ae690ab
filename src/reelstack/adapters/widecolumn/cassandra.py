"""CassandraWideColumnStore: the WideColumnStore port on Apache Cassandra (``cassandra://``).

``cassandra://HOST:PORT[,HOST:PORT]/KEYSPACE`` names the contact points and
the keyspace, which ``open`` creates (replication from
``widecolumn.replication``) unless it exists. Each TableSpec becomes the CQL
table of the same shape (:mod:`reelstack.adapters.widecolumn.cql`), so the
port's semantics are Cassandra's own: every write carries its timestamp
(``USING TIMESTAMP``, the client's clock when the caller gives none) so the
newest timestamp wins per cell whatever order writes arrive in; a TTL is
``USING TTL``; deletes are timestamped tombstones; a query is a slice of one
partition in clustering order. An upsert is an INSERT, so it also writes the
row marker, as the embedded adapter does.

Reads and writes run at ``widecolumn.consistency`` (LOCAL_QUORUM by
default), schema reads at LOCAL_ONE. Every statement is prepared once per
store. The driver is callback-based: each request's ResponseFuture completes
an asyncio future through ``call_soon_threadsafe``, so no thread waits on a
request (preparing a new statement, connecting and shutting down do run in a
worker thread, once each).

Cassandra keeps timestamps to the millisecond: microseconds of a
``timestamp`` value are dropped on write.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from cassandra import ConsistencyLevel, DriverException, ProtocolVersion
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, NoHostAvailable
from cassandra.policies import (
    DCAwareRoundRobinPolicy,
    ExponentialReconnectionPolicy,
    TokenAwarePolicy,
)
from cassandra.query import tuple_factory

from reelstack import settings
from reelstack.adapters.widecolumn import cql
from reelstack.adapters.widecolumn.cassandra_bridge import gather_pages, reasons, translate
from reelstack.adapters.widecolumn.schema import (
    check_bound,
    check_key,
    check_name,
    check_row,
    check_spec,
    check_timestamp_us,
    check_ttl,
)
from reelstack.config import Config
from reelstack.errors import (
    ConfigError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    UnavailableError,
)
from reelstack.ports.widecolumn import Row, TableSpec

DEFAULT_PORT = 9042
SCHEMA_PROFILE = "reelstack-schema"
SIMPLE = {"class": "SimpleStrategy", "replication_factor": "1"}


class CassandraWideColumnStore:
    """The WideColumnStore port on a Cassandra cluster.

    ``contact_points`` are ``(host, port)`` pairs the driver discovers the
    cluster from; ``keyspace`` is created with ``replication`` (a CQL
    replication map) if missing. ``consistency`` is a ConsistencyLevel name;
    ``local_dc`` the datacenter LOCAL_* levels count in (None: the first
    contact point's); ``timeout_s`` bounds each request and connecting.
    """

    def __init__(
        self,
        contact_points: Sequence[tuple[str, int]],
        keyspace: str,
        *,
        replication: Mapping[str, str] = SIMPLE,
        consistency: str = "LOCAL_QUORUM",
        local_dc: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        if not contact_points:
            raise InvalidRequestError("at least one Cassandra contact point is needed")
        self.contact_points = [(host, int(port)) for host, port in contact_points]
        self.keyspace = check_name("keyspace", keyspace)
        self.replication = dict(replication)
        if consistency not in ConsistencyLevel.name_to_value:
            raise InvalidRequestError(f"unknown Cassandra consistency level {consistency!r}")
        self.consistency = consistency
        self.local_dc = local_dc or None
        self.timeout_s = timeout_s
        self._cluster: Any = None
        self._session: Any = None
        self._prepared: dict[str, Any] = {}
        self._tables: dict[str, cql.Statements] = {}

    @property
    def where(self) -> str:
        """The contact points, as errors name them."""
        return ",".join(f"{host}:{port}" for host, port in self.contact_points)

    # -- lifecycle ------------------------------------------------------------------

    async def open(self) -> None:
        if self._session is not None:
            return
        try:
            self._cluster, self._session = await asyncio.to_thread(self._connect)
        except NoHostAvailable as exc:
            raise UnavailableError(
                f"cannot reach Cassandra at {self.where}: {reasons(exc)}"
            ) from None
        except DriverException as exc:
            raise UnavailableError(f"cannot reach Cassandra at {self.where}: {exc}") from None
        try:
            await self._ensure_keyspace()
        except Exception:
            await self.close()
            raise

    def _connect(self) -> tuple[Any, Any]:
        def profile(level: str) -> Any:
            return ExecutionProfile(
                load_balancing_policy=TokenAwarePolicy(
                    DCAwareRoundRobinPolicy(local_dc=self.local_dc or "")
                ),
                consistency_level=ConsistencyLevel.name_to_value[level],
                request_timeout=self.timeout_s,
                row_factory=tuple_factory,
            )

        cluster = Cluster(
            contact_points=self.contact_points,
            execution_profiles={
                EXEC_PROFILE_DEFAULT: profile(self.consistency),
                SCHEMA_PROFILE: profile("LOCAL_ONE"),
            },
            connect_timeout=self.timeout_s,
            control_connection_timeout=self.timeout_s,
            # Cassandra 4.0 and later speak v5; left open, the driver first
            # tries two DataStax-only versions, reconnecting after each refusal.
            protocol_version=ProtocolVersion.V5,
            # A node back from a restart serves again within seconds, not the
            # driver's default of up to ten minutes between attempts.
            reconnection_policy=ExponentialReconnectionPolicy(base_delay=0.5, max_delay=10.0),
        )
        try:
            return cluster, cluster.connect()
        except Exception:
            cluster.shutdown()
            raise

    async def _ensure_keyspace(self) -> None:
        found = await self._execute(
            cql.SELECT_KEYSPACE, (self.keyspace,), action="read keyspaces", schema=True
        )
        if not found:
            await self._execute(
                cql.create_keyspace(self.keyspace, self.replication),
                (),
                action=f"create keyspace {self.keyspace} (widecolumn.replication)",
                prepare=False,
            )

    async def close(self) -> None:
        cluster, self._cluster, self._session = self._cluster, None, None
        self._prepared.clear()
        self._tables.clear()
        if cluster is not None:
            await asyncio.to_thread(cluster.shutdown)

    async def ping(self) -> None:
        await self._execute(
            "SELECT release_version FROM system.local", (), action="ping", schema=True
        )

    # -- tables -------------------------------------------------------------------------

    async def create_table(self, spec: TableSpec) -> None:
        check_spec(spec)
        existing = await self._read_spec(spec.name)
        if existing is None:
            await self._execute(
                cql.create_table(self.keyspace, spec),
                (),
                action=f"create table {spec.name}",
                prepare=False,
            )
            # Another client may have created it first with another definition.
            existing = await self._read_spec(spec.name)
            if existing is None:
                raise UnavailableError(
                    f"table {spec.name} was created but Cassandra at {self.where} "
                    "does not list it yet (schema disagreement)"
                )
        if not cql.same_definition(existing, spec):
            raise ConflictError(
                f"table {spec.name} exists in keyspace {self.keyspace} with a different "
                f"definition: {existing} (asked for {spec})"
            )
        # Same definition: keep the caller's column order for the rows handed out.
        self._tables[spec.name] = cql.Statements(self.keyspace, spec)

    async def _read_spec(self, name: str) -> TableSpec | None:
        args = (self.keyspace, name)
        action = f"read the definition of {name}"
        table = await self._execute(cql.SELECT_TABLE, args, action=action, schema=True)
        if not table:
            return None
        columns = await self._execute(cql.SELECT_COLUMNS, args, action=action, schema=True)
        return cql.spec_from_schema(name, table[0][0], columns)

    async def _table(self, name: str) -> cql.Statements:
        statements = self._tables.get(name)
        if statements is not None:
            return statements
        spec = await self._read_spec(check_name("table", name))
        if spec is None:
            raise NotFoundError(
                f"wide-column table {name!r} does not exist in keyspace {self.keyspace}"
            )
        statements = cql.Statements(self.keyspace, spec)
        self._tables[name] = statements
        return statements

    # -- reads and writes -------------------------------------------------------------

    async def upsert(
        self,
        table: str,
        row: Mapping[str, Any],
        *,
        timestamp_us: int | None = None,
        ttl_s: int | None = None,
    ) -> None:
        t = await self._table(table)
        cells = check_row(t.spec, row)
        ts = _now_us() if timestamp_us is None else check_timestamp_us(timestamp_us)
        ttl = t.spec.default_ttl_s if ttl_s is None else check_ttl(ttl_s)
        names = [n for n in t.columns if n in cells]
        params = [cells[n] for n in names] + [ts, ttl or 0]
        await self._execute(t.insert(names), params, action=f"write to {table}")

    async def get(self, table: str, key: Mapping[str, Any]) -> Row | None:
        t = await self._table(table)
        values = check_key(t.spec, key, t.key)
        rows = await self._execute(t.get(), [values[n] for n in t.key], action=f"read {table}")
        return t.row(rows[0]) if rows else None

    async def query(
        self,
        table: str,
        partition: Mapping[str, Any],
        *,
        start: Sequence[Any] | None = None,
        end: Sequence[Any] | None = None,
        limit: int | None = None,
        reverse: bool = False,
    ) -> list[Row]:
        t = await self._table(table)
        values = check_key(t.spec, partition, t.partition_key)
        low = () if start is None else check_bound(t.spec, start, "start")
        high = () if end is None else check_bound(t.spec, end, "end")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise InvalidRequestError(f"limit must be a positive int, got {limit!r}")
        if limit is not None and limit <= 0:
            raise InvalidRequestError(f"limit must be a positive int, got {limit}")
        params: list[Any] = [values[n] for n in t.partition_key]
        params += [*low, *high]
        if limit is not None:
            params.append(limit)
        statement = t.query(len(low), len(high), reverse=reverse, limit=limit is not None)
        rows = await self._execute(statement, params, action=f"read {table}")
        return [t.row(r) for r in rows]

    async def delete(
        self, table: str, key: Mapping[str, Any], *, timestamp_us: int | None = None
    ) -> None:
        t = await self._table(table)
        whole_partition = set(key) <= set(t.partition_key) and len(t.key) > len(t.partition_key)
        names = t.partition_key if whole_partition else t.key
        values = check_key(t.spec, key, names)
        ts = _now_us() if timestamp_us is None else check_timestamp_us(timestamp_us)
        params = [ts, *(values[n] for n in names)]
        await self._execute(t.delete(names), params, action=f"delete from {table}")

    # -- the driver -----------------------------------------------------------------------

    async def _execute(
        self,
        statement: str,
        params: Sequence[Any],
        *,
        action: str,
        schema: bool = False,
        prepare: bool = True,
    ) -> list[Sequence[Any]]:
        """Run one statement and return every row of its result (all pages)."""
        session = self._session
        if session is None:
            raise UnavailableError(f"the Cassandra store at {self.where} is not open")
        try:
            query: Any = statement
            if prepare:
                query = self._prepared.get(statement)
                if query is None:
                    # The driver only prepares synchronously; once per statement.
                    query = await asyncio.to_thread(session.prepare, statement)
                    self._prepared[statement] = query
            profile = SCHEMA_PROFILE if schema else EXEC_PROFILE_DEFAULT
            future = session.execute_async(
                query, list(params), timeout=self.timeout_s, execution_profile=profile
            )
            return await gather_pages(future)
        except (DriverException, NoHostAvailable) as exc:
            raise translate(exc, action, self.where) from exc


def _now_us() -> int:
    return time.time_ns() // 1000


def parse_url(url: str) -> tuple[list[tuple[str, int]], str]:
    """Contact points and keyspace of ``cassandra://HOST[:PORT][,HOST[:PORT]]/KEYSPACE``."""
    parts = urlsplit(url)
    if parts.scheme != "cassandra":
        raise ValueError("expected cassandra://HOST:PORT[,HOST:PORT]/KEYSPACE")
    points: list[tuple[str, int]] = []
    for item in parts.netloc.split(","):
        host, colon, port = item.strip().rpartition(":")
        if not colon:
            host, port = port, str(DEFAULT_PORT)
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"invalid contact point {item.strip()!r}: expected HOST[:PORT]")
        points.append((host, int(port)))
    keyspace = parts.path.strip("/")
    if not keyspace:
        raise ValueError("the keyspace is missing: cassandra://HOST:PORT/KEYSPACE")
    try:
        check_name("keyspace", keyspace)
    except InvalidRequestError as exc:
        raise ValueError(str(exc)) from None
    return points, keyspace


def from_url(url: str, config: Config) -> CassandraWideColumnStore:
    """Build a CassandraWideColumnStore from ``cassandra://HOST:PORT[,HOST:PORT]/KEYSPACE``."""
    try:
        points, keyspace = parse_url(url)
    except ValueError as exc:
        setting = settings.WIDECOLUMN_URL
        raise ConfigError(setting.key, url, config.resolved(setting).source, str(exc)) from None
    replication: dict[str, str] = config.get(settings.WIDECOLUMN_REPLICATION)
    return CassandraWideColumnStore(
        points,
        keyspace,
        replication=replication,
        consistency=config.get(settings.WIDECOLUMN_CONSISTENCY),
        local_dc=config.get(settings.WIDECOLUMN_LOCAL_DC) or None,
        timeout_s=config.get(settings.WIDECOLUMN_TIMEOUT_S),
    )
