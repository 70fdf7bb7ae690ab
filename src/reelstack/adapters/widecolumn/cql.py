"""CQL for a TableSpec: the statements CassandraWideColumnStore prepares, and the way back.

A TableSpec maps one to one onto a CQL table: the same columns and types
(every port type is a CQL type of the same name), the same primary key and
clustering order, the default TTL as ``default_time_to_live``. The spec of an
existing table is read back from ``system_schema`` so a second definition
under the same name is refused, whichever client created the first.

Identifiers are checked (``[a-z][a-z0-9_]*``) before they reach CQL and are
always double-quoted, so a column may be called ``date`` or ``token``.
Statements carry bind markers only; values never enter CQL text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, cast

from reelstack.adapters.widecolumn.schema import TYPES, spec_document
from reelstack.errors import InvalidRequestError
from reelstack.ports.widecolumn import Column, ColumnType, Row, TableSpec


def q(name: str) -> str:
    """Quote a checked identifier."""
    return f'"{name}"'


REPLICATION_WORD = re.compile(r"[A-Za-z0-9_.\-]{1,100}")


def replication_cql(replication: Mapping[str, str]) -> str:
    """A replication map as a CQL map literal; refuses anything but plain words."""
    for word in (*replication.keys(), *replication.values()):
        if not isinstance(word, str) or not REPLICATION_WORD.fullmatch(word):
            raise InvalidRequestError(
                f"invalid keyspace replication entry {word!r} in {dict(replication)}"
            )
    items = ", ".join(f"'{key}': '{value}'" for key, value in replication.items())
    return "{" + items + "}"


def create_keyspace(keyspace: str, replication: Mapping[str, str]) -> str:
    return (
        f"CREATE KEYSPACE IF NOT EXISTS {q(keyspace)} "
        f"WITH replication = {replication_cql(replication)}"
    )


def create_table(keyspace: str, spec: TableSpec) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for a checked spec."""
    columns = ", ".join(f"{q(c.name)} {c.type}" for c in spec.columns)
    partition = "(" + ", ".join(q(n) for n in spec.partition_key) + ")"
    key = ", ".join([partition, *(q(n) for n, _ in spec.clustering)])
    options = []
    if spec.clustering:
        order = ", ".join(f"{q(n)} {o.upper()}" for n, o in spec.clustering)
        options.append(f"CLUSTERING ORDER BY ({order})")
    options.append(f"default_time_to_live = {spec.default_ttl_s or 0}")
    return (
        f"CREATE TABLE IF NOT EXISTS {q(keyspace)}.{q(spec.name)} "
        f"({columns}, PRIMARY KEY ({key})) WITH {' AND '.join(options)}"
    )


SELECT_COLUMNS = (
    "SELECT column_name, kind, position, clustering_order, type FROM system_schema.columns "
    "WHERE keyspace_name = ? AND table_name = ?"
)
SELECT_TABLE = (
    "SELECT default_time_to_live FROM system_schema.tables "
    "WHERE keyspace_name = ? AND table_name = ?"
)
SELECT_KEYSPACE = "SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?"


def spec_from_schema(
    name: str, default_ttl: int | None, columns: Iterable[Sequence[Any]]
) -> TableSpec:
    """Rebuild a TableSpec from ``system_schema`` rows (see :data:`SELECT_COLUMNS`)."""
    partition: list[tuple[int, str]] = []
    clustering: list[tuple[int, str, Literal["asc", "desc"]]] = []
    out: list[Column] = []
    for column_name, kind, position, order, kind_name in columns:
        if kind_name not in TYPES:
            raise InvalidRequestError(
                f"table {name}: column {column_name} has CQL type {kind_name}, "
                f"which this port does not offer ({', '.join(TYPES)})"
            )
        out.append(Column(column_name, cast(ColumnType, kind_name)))
        if kind == "partition_key":
            partition.append((position, column_name))
        elif kind == "clustering":
            clustering.append((position, column_name, "desc" if order == "desc" else "asc"))
    return TableSpec(
        name=name,
        columns=tuple(sorted(out, key=lambda c: c.name)),
        partition_key=tuple(n for _, n in sorted(partition)),
        clustering=tuple((n, o) for _, n, o in sorted(clustering)),
        default_ttl_s=default_ttl or None,
    )


def same_definition(a: TableSpec, b: TableSpec) -> bool:
    """Whether two specs define the same table (a default TTL of 0 means none)."""
    left, right = spec_document(a), spec_document(b)
    left["default_ttl_s"] = left["default_ttl_s"] or None
    right["default_ttl_s"] = right["default_ttl_s"] or None
    return left == right


class Statements:
    """The CQL text of one table's reads and writes, and how its rows come back."""

    def __init__(self, keyspace: str, spec: TableSpec) -> None:
        self.spec = spec
        self.table = f"{q(keyspace)}.{q(spec.name)}"
        self.types = {c.name: c.type for c in spec.columns}
        self.key = list(spec.primary_key)
        self.partition_key = list(spec.partition_key)
        self.clustering = [n for n, _ in spec.clustering]
        values = [c.name for c in spec.columns if c.name not in self.key]
        self.columns = self.key + values
        self._select = f"SELECT {', '.join(q(n) for n in self.columns)} FROM {self.table}"

    def insert(self, names: Sequence[str]) -> str:
        """INSERT of ``names``, then the timestamp and TTL markers."""
        marks = ", ".join("?" * len(names))
        return (
            f"INSERT INTO {self.table} ({', '.join(q(n) for n in names)}) VALUES ({marks}) "
            "USING TIMESTAMP ? AND TTL ?"
        )

    def delete(self, names: Sequence[str]) -> str:
        """DELETE of a row or partition: the timestamp marker, then ``names``."""
        return f"DELETE FROM {self.table} USING TIMESTAMP ? WHERE {_equal(names)}"

    def get(self) -> str:
        return f"{self._select} WHERE {_equal(self.key)}"

    def query(self, start: int, end: int, *, reverse: bool, limit: bool) -> str:
        """A slice of one partition: ``start``/``end`` are the bounds' lengths (0: none)."""
        where = [_equal(self.partition_key)]
        for size, op in ((start, ">="), (end, "<")):
            if size:
                names = ", ".join(q(n) for n in self.clustering[:size])
                where.append(f"({names}) {op} ({', '.join('?' * size)})")
        cql = f"{self._select} WHERE {' AND '.join(where)}"
        if reverse and self.clustering:
            flip = {"asc": "DESC", "desc": "ASC"}
            cql += " ORDER BY " + ", ".join(f"{q(n)} {flip[o]}" for n, o in self.spec.clustering)
        if limit:
            cql += " LIMIT ?"
        return cql

    def row(self, record: Sequence[Any]) -> Row:
        """A result row (columns in :attr:`columns` order) as the port hands it out."""
        out: Row = {}
        for name, value in zip(self.columns, record, strict=True):
            out[name] = decode(self.types[name], value)
        return out


def decode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "timestamp" and isinstance(value, datetime):
        # The driver hands timestamps out naive, in UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if kind == "blob":
        return bytes(value)
    if kind == "double":
        return float(value)
    return value


def _equal(names: Sequence[str]) -> str:
    return " AND ".join(f"{q(n)} = ?" for n in names)
