"""SqliteWideColumnStore: Cassandra's data model in one SQLite file (``sqlite:///PATH``).

Each TableSpec becomes a SQLite table keyed by the primary key, the clustering
columns indexed in their declared order. Every value column is stored as a
cell: its value, its write timestamp (microseconds) and its expiry (wall
time). A write replaces a cell only if its timestamp is newer (on a tie a
deletion wins, then the greater value), so replicas that apply the same writes
in any order agree, as Cassandra's do. Like CQL's INSERT, every upsert also
writes the row's primary-key cell (the "row marker"), so a row lives while any
of its cells, that one included, is neither expired nor deleted.

Deletes leave tombstones: a row tombstone in the row, a partition tombstone in
a side table. Writes at or below a tombstone's timestamp are ignored. Expired
cells and tombstones are kept for ``GC_GRACE_S`` (Cassandra's gc_grace) so a
late, older write cannot resurrect data, then dropped by :meth:`compact`,
which runs when the store opens.

Processes on one host share the file: every write is one ``BEGIN IMMEDIATE``
read-merge-write transaction, so concurrent writers queue, never interleave.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from reelstack import settings
from reelstack.adapters.sqlite_common import (
    BUSY_TIMEOUT_S,
    SqliteConnection,
    execute_script,
    path_from_setting,
)
from reelstack.adapters.widecolumn.schema import (
    check_bound,
    check_key,
    check_row,
    check_spec,
    check_timestamp_us,
    check_ttl,
    spec_document,
    spec_from_document,
)
from reelstack.adapters.widecolumn.sqlite_tables import (
    Table,
    compact_table,
    delete_partition,
    delete_row,
    encode,
    named,
    partition_deleted_at,
    q,
)
from reelstack.config import Config
from reelstack.errors import ConflictError, InvalidRequestError, NotFoundError
from reelstack.ports.widecolumn import Row, TableSpec

META_SCHEMA = "CREATE TABLE IF NOT EXISTS wc_tables (name TEXT PRIMARY KEY, spec TEXT NOT NULL);"


class SqliteWideColumnStore:
    """The WideColumnStore port on one SQLite file shared by this host's processes.

    ``path`` is the file (created with its folders); ``busy_timeout_s`` is how
    long a write waits for another process's write lock.
    """

    def __init__(self, path: Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = path
        self._db = SqliteConnection(path, busy_timeout_s=busy_timeout_s)
        self._tables: dict[str, Table] = {}

    async def open(self) -> None:
        await self._db.open(lambda conn: execute_script(conn, META_SCHEMA))
        await self.compact()

    async def close(self) -> None:
        await self._db.close()
        self._tables.clear()

    async def ping(self) -> None:
        await self._db.ping()

    async def create_table(self, spec: TableSpec) -> None:
        check_spec(spec)
        document = spec_document(spec)
        table = Table(spec)

        def work(conn: sqlite3.Connection) -> None:
            found = conn.execute("SELECT spec FROM wc_tables WHERE name = ?", (spec.name,))
            existing = found.fetchone()
            if existing is not None:
                if json.loads(existing[0]) != document:
                    raise ConflictError(
                        f"table {spec.name} exists with a different definition: "
                        f"{existing[0]} (asked for {json.dumps(document)})"
                    )
                return
            for statement in table.ddl():
                conn.execute(statement)
            conn.execute(
                "INSERT INTO wc_tables (name, spec) VALUES (?, ?)",
                (spec.name, json.dumps(document)),
            )

        await self._db.write(work, action=f"create table {spec.name}")
        self._tables[spec.name] = table

    async def _table(self, name: str) -> Table:
        table = self._tables.get(name)
        if table is not None:
            return table

        def work(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT spec FROM wc_tables WHERE name = ?", (name,)).fetchone()
            return None if row is None else str(row[0])

        # Another process may have created it since we last looked.
        document = await self._db.read(work, action=f"read the definition of {name}")
        if document is None:
            raise NotFoundError(f"wide-column table {name!r} does not exist")
        table = Table(spec_from_document(json.loads(document)))
        self._tables[name] = table
        return table

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
        now = time.time()
        expires = now + ttl if ttl else None
        key = [encode(t.types[n], cells[n]) for n in t.key]
        partition = key[: len(t.partition_key)]
        written = {n: encode(t.types[n], cells[n]) for n in t.values if n in cells}

        def work(conn: sqlite3.Connection) -> None:
            if ts <= partition_deleted_at(conn, t, partition):
                return
            found = conn.execute(
                f"SELECT {t.select} FROM {t.rows} WHERE {t.where(t.key)}", named(key)
            ).fetchone()
            if found is None:
                names = [q("k_" + n) for n in t.key] + ["_mt", "_mx"]
                params: list[Any] = [*key, ts, expires]
                for name, value in written.items():
                    names += [q("v_" + name), q("t_" + name), q("x_" + name)]
                    params += [value, ts, None if value is None else expires]
                marks = ", ".join("?" * len(params))
                conn.execute(f"INSERT INTO {t.rows} ({', '.join(names)}) VALUES ({marks})", params)
                return
            deleted_at = found[-1]
            if deleted_at is not None and ts <= deleted_at:
                return
            sets: list[str] = []
            params = []
            mt, mx = found[-3], found[-2]
            if mt is None or (ts, _expiry_rank(expires)) > (mt, _expiry_rank(mx)):
                sets += ["_mt", "_mx"]
                params += [ts, expires]
            base = len(t.key)
            for i, name in enumerate(t.values):
                if name not in written:
                    continue
                old = found[base + 3 * i : base + 3 * i + 3]
                new = (written[name], ts, None if written[name] is None else expires)
                if _newer(new, old):
                    sets += [q("v_" + name), q("t_" + name), q("x_" + name)]
                    params += list(new)
            if sets:
                placed = {f"s{i}": value for i, value in enumerate(params)}
                assignments = ", ".join(f"{column} = :s{i}" for i, column in enumerate(sets))
                conn.execute(
                    f"UPDATE {t.rows} SET {assignments} WHERE {t.where(t.key)}",
                    {**placed, **named(key)},
                )

        await self._db.write(work, action=f"write to {table}")

    async def get(self, table: str, key: Mapping[str, Any]) -> Row | None:
        t = await self._table(table)
        values = check_key(t.spec, key, t.key)
        params = named([encode(t.types[n], values[n]) for n in t.key])
        rows = await self._select(t, t.where(t.key), params, order="", limit=1)
        return rows[0] if rows else None

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
        params = named([encode(t.types[n], values[n]) for n in t.partition_key])
        where = [t.where(t.partition_key)]
        for bound, op, which in ((start, ">=", "start"), (end, "<", "end")):
            if bound is None:
                continue
            checked = check_bound(t.spec, bound, which)
            if not checked:
                continue
            names = t.clustering[: len(checked)]
            columns = ", ".join(q("k_" + n) for n in names)
            marks = ", ".join(f":{which}{i}" for i in range(len(checked)))
            where.append(f"({columns}) {op} ({marks})")
            for i, (name, value) in enumerate(zip(names, checked, strict=True)):
                params[f"{which}{i}"] = encode(t.types[name], value)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise InvalidRequestError(f"limit must be a positive int, got {limit!r}")
        if limit is not None and limit <= 0:
            raise InvalidRequestError(f"limit must be a positive int, got {limit}")
        flip = {"asc": "DESC", "desc": "ASC"} if reverse else {"asc": "ASC", "desc": "DESC"}
        order = ", ".join(f"{q('k_' + n)} {flip[o]}" for n, o in t.spec.clustering)
        return await self._select(t, " AND ".join(where), params, order=order, limit=limit)

    async def _select(
        self, t: Table, where: str, params: dict[str, Any], *, order: str, limit: int | None
    ) -> list[Row]:
        sql = f"SELECT {t.select} FROM {t.rows} WHERE {where} AND {t.live()}"
        if order:
            sql += f" ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"

        def work(conn: sqlite3.Connection) -> list[Row]:
            now = time.time()
            return [t.row(r, now) for r in conn.execute(sql, {**params, "now": now})]

        return await self._db.read(work, action=f"read {t.spec.name}")

    async def delete(
        self, table: str, key: Mapping[str, Any], *, timestamp_us: int | None = None
    ) -> None:
        t = await self._table(table)
        whole_partition = set(key) <= set(t.partition_key) and len(t.key) > len(t.partition_key)
        names = t.partition_key if whole_partition else t.key
        values = check_key(t.spec, key, names)
        ts = _now_us() if timestamp_us is None else check_timestamp_us(timestamp_us)
        params = [encode(t.types[n], values[n]) for n in names]
        if whole_partition:
            await self._db.write(
                lambda conn: delete_partition(conn, t, params, ts), action=f"delete from {table}"
            )
        else:
            await self._db.write(
                lambda conn: delete_row(conn, t, params, ts), action=f"delete from {table}"
            )

    async def compact(self) -> None:
        """Drop rows, expired cells and tombstones older than ``GC_GRACE_S``."""

        def names(conn: sqlite3.Connection) -> list[str]:
            return [str(r[0]) for r in conn.execute("SELECT spec FROM wc_tables")]

        for document in await self._db.read(names, action="list tables"):
            table = Table(spec_from_document(json.loads(document)))
            self._tables.setdefault(table.spec.name, table)
            await self._db.write(
                partial(compact_table, t=table), action=f"compact {table.spec.name}"
            )


def _now_us() -> int:
    return time.time_ns() // 1000


def _expiry_rank(expires: float | None) -> float:
    return float("inf") if expires is None else expires


def _newer(new: Sequence[Any], old: Sequence[Any]) -> bool:
    """Whether cell ``new`` (value, ts, expiry) beats ``old``: Cassandra's reconciliation."""
    new_value, new_ts, new_x = new
    old_value, old_ts, old_x = old
    if old_ts is None:
        return True
    if new_ts != old_ts:
        return bool(new_ts > old_ts)
    if (new_value is None) != (old_value is None):
        return new_value is None  # on a tie, the deletion wins
    if new_value is not None and new_value != old_value:
        return bool(new_value > old_value)
    return _expiry_rank(new_x) > _expiry_rank(old_x)


def from_url(url: str, config: Config) -> SqliteWideColumnStore:
    """Build a SqliteWideColumnStore from ``sqlite:///PATH``."""
    return SqliteWideColumnStore(path_from_setting(url, config, settings.WIDECOLUMN_URL))
