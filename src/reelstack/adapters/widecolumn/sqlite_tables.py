"""How SqliteWideColumnStore lays a TableSpec out in SQLite, and its bulk statements.

A table ``t`` becomes ``wc_t`` keyed by the primary key (``k_<column>``, the
clustering columns indexed in their declared order) with, per value column,
the cell's value ``v_<column>``, write timestamp ``t_<column>`` (microseconds)
and expiry ``x_<column>`` (wall time). ``_mt``/``_mx`` are the row marker's
timestamp and expiry, ``_dt`` the row tombstone. Partition tombstones live in
``wc_t__partitions``. Column names are checked (``[a-z][a-z0-9_]*``) before
they reach SQL, so quoting them is enough.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from reelstack.ports.widecolumn import Row, TableSpec

GC_GRACE_S = 24 * 3600
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SQL_TYPES = {
    "text": "TEXT",
    "int": "INTEGER",
    "bigint": "INTEGER",
    "double": "REAL",
    "boolean": "INTEGER",
    "blob": "BLOB",
    "timestamp": "INTEGER",
}


def encode(kind: str, value: Any) -> Any:
    """Return a checked value as SQLite stores it (bool as 0/1, timestamp as µs)."""
    if value is None:
        return None
    if kind == "boolean":
        return int(value)
    if kind == "timestamp":
        return (value - EPOCH) // timedelta(microseconds=1)
    return value


def decode(kind: str, value: Any) -> Any:
    """Return a stored value as the port hands it out."""
    if value is None:
        return None
    if kind == "boolean":
        return bool(value)
    if kind == "timestamp":
        return EPOCH + timedelta(microseconds=value)
    if kind == "blob":
        return bytes(value)
    return value


def q(name: str) -> str:
    """Quote an identifier (names are checked against [a-z][a-z0-9_]* before this)."""
    return f'"{name}"'


class Table:
    """How one TableSpec maps onto SQLite: table names, columns and statements."""

    def __init__(self, spec: TableSpec) -> None:
        self.spec = spec
        self.rows = q(f"wc_{spec.name}")
        self.partitions = q(f"wc_{spec.name}__partitions")
        self.types = {c.name: c.type for c in spec.columns}
        self.key = list(spec.primary_key)
        self.partition_key = list(spec.partition_key)
        self.clustering = [name for name, _ in spec.clustering]
        self.values = [c.name for c in spec.columns if c.name not in self.key]
        cells = [f"{q('v_' + n)}, {q('t_' + n)}, {q('x_' + n)}" for n in self.values]
        self.select = ", ".join([q("k_" + n) for n in self.key] + cells + ["_mt", "_mx", "_dt"])

    def ddl(self) -> list[str]:
        order = dict(self.spec.clustering)
        columns = [f"{q('k_' + n)} {SQL_TYPES[self.types[n]]} NOT NULL" for n in self.key]
        for name in self.values:
            columns += [
                f"{q('v_' + name)} {SQL_TYPES[self.types[name]]}",
                f"{q('t_' + name)} INTEGER",
                f"{q('x_' + name)} REAL",
            ]
        columns += ["_mt INTEGER", "_mx REAL", "_dt INTEGER"]
        key = ", ".join(f"{q('k_' + n)} {order.get(n, 'asc').upper()}" for n in self.key)
        partition = ", ".join(q("k_" + n) for n in self.partition_key)
        return [
            f"CREATE TABLE IF NOT EXISTS {self.rows} ({', '.join(columns)}, PRIMARY KEY ({key}))",
            f"CREATE TABLE IF NOT EXISTS {self.partitions} ("
            + ", ".join(f"{q('k_' + n)} NOT NULL" for n in self.partition_key)
            + f", ts INTEGER NOT NULL, PRIMARY KEY ({partition}))",
        ]

    def where(self, names: Sequence[str]) -> str:
        """SQL matching key columns ``names`` to parameters ``:k0``, ``:k1``..."""
        return " AND ".join(f"{q('k_' + n)} = :k{i}" for i, n in enumerate(names))

    def live(self) -> str:
        """SQL true for a row that has a live cell at time ``:now``."""
        terms = ["(_mt IS NOT NULL AND (_mx IS NULL OR _mx > :now))"]
        for name in self.values:
            v, x = q("v_" + name), q("x_" + name)
            terms.append(f"({v} IS NOT NULL AND ({x} IS NULL OR {x} > :now))")
        return "(" + " OR ".join(terms) + ")"

    def row(self, record: Sequence[Any], now: float) -> Row:
        out: Row = {}
        for i, name in enumerate(self.key):
            out[name] = decode(self.types[name], record[i])
        base = len(self.key)
        for i, name in enumerate(self.values):
            value, _, expires = record[base + 3 * i : base + 3 * i + 3]
            alive = value is not None and (expires is None or expires > now)
            out[name] = decode(self.types[name], value) if alive else None
        return out


def partition_deleted_at(conn: sqlite3.Connection, t: Table, partition: list[Any]) -> int:
    """Return the partition's tombstone timestamp (the smallest int if none)."""
    found = conn.execute(
        f"SELECT ts FROM {t.partitions} WHERE {t.where(t.partition_key)}", named(partition)
    ).fetchone()
    return -(2**63) if found is None else int(found[0])


def clear_at_or_below(t: Table) -> str:
    """SET clauses that drop every cell written at or before ``:ts``."""
    sets = []
    for name in t.values:
        v, ts, x = q("v_" + name), q("t_" + name), q("x_" + name)
        sets += [
            f"{v} = CASE WHEN {ts} <= :ts THEN NULL ELSE {v} END",
            f"{x} = CASE WHEN {ts} <= :ts THEN NULL ELSE {x} END",
            f"{ts} = CASE WHEN {ts} <= :ts THEN NULL ELSE {ts} END",
        ]
    sets += [
        "_mx = CASE WHEN _mt <= :ts THEN NULL ELSE _mx END",
        "_mt = CASE WHEN _mt <= :ts THEN NULL ELSE _mt END",
    ]
    return ", ".join(sets)


def named(values: Sequence[Any]) -> dict[str, Any]:
    """Key values as the parameters of :meth:`Table.where`."""
    return {f"k{i}": value for i, value in enumerate(values)}


def delete_row(conn: sqlite3.Connection, t: Table, key: list[Any], ts: int) -> None:
    """Drop the row's cells written at or before ``ts`` and leave a row tombstone."""
    if ts <= partition_deleted_at(conn, t, key[: len(t.partition_key)]):
        return
    updated = conn.execute(
        f"UPDATE {t.rows} SET {clear_at_or_below(t)}, "
        f"_dt = max(coalesce(_dt, :ts), :ts) WHERE {t.where(t.key)}",
        {**named(key), "ts": ts},
    )
    if updated.rowcount == 0:
        names = ", ".join([q("k_" + n) for n in t.key] + ["_dt"])
        conn.execute(
            f"INSERT INTO {t.rows} ({names}) VALUES ({', '.join('?' * (len(key) + 1))})",
            [*key, ts],
        )


def delete_partition(conn: sqlite3.Connection, t: Table, key: list[Any], ts: int) -> None:
    """Record a partition tombstone and drop what it covers."""
    columns = ", ".join(q("k_" + n) for n in t.partition_key)
    conn.execute(
        f"INSERT INTO {t.partitions} ({columns}, ts) VALUES ({', '.join('?' * len(key))}, ?) "
        f"ON CONFLICT ({columns}) DO UPDATE SET ts = max(ts, excluded.ts)",
        [*key, ts],
    )
    params = {**named(key), "ts": ts}
    where = t.where(t.partition_key)
    conn.execute(
        f"UPDATE {t.rows} SET {clear_at_or_below(t)}, "
        f"_dt = CASE WHEN _dt <= :ts THEN NULL ELSE _dt END WHERE {where}",
        params,
    )
    empty = " AND ".join([f"{q('t_' + n)} IS NULL" for n in t.values] + ["_mt IS NULL"])
    conn.execute(f"DELETE FROM {t.rows} WHERE {where} AND _dt IS NULL AND {empty}", params)


def compact_table(conn: sqlite3.Connection, t: Table) -> None:
    """Delete rows and tombstones that stopped mattering ``GC_GRACE_S`` ago."""
    horizon = time.time() - GC_GRACE_S
    horizon_us = int(horizon * 1_000_000)
    gone = ["(_mt IS NULL OR (_mx IS NOT NULL AND _mx < :h))"]
    for name in t.values:
        ts, x = q("t_" + name), q("x_" + name)
        # A cell is collectable once expired (or a deletion) for longer than the grace.
        v = q("v_" + name)
        gone.append(
            f"({ts} IS NULL OR ({x} IS NOT NULL AND {x} < :h) OR ({v} IS NULL AND {ts} < :hus))"
        )
    conn.execute(
        f"DELETE FROM {t.rows} WHERE (_dt IS NULL OR _dt < :hus) AND {' AND '.join(gone)}",
        {"h": horizon, "hus": horizon_us},
    )
    conn.execute(f"DELETE FROM {t.partitions} WHERE ts < ?", (horizon_us,))
