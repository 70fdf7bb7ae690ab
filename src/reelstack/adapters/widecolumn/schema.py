"""Checks every WideColumnStore adapter makes before it writes or reads.

Table and column names follow CQL's unquoted identifiers (lower case, so the
same spec means the same table on Cassandra). Values are checked against the
column type and normalized: ``double`` becomes a float, ``blob`` bytes,
``timestamp`` a timezone-aware UTC datetime kept to the millisecond (as
Cassandra keeps it). Errors name the table and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from reelstack.errors import InvalidRequestError
from reelstack.ports.widecolumn import Column, TableSpec

NAME = re.compile(r"[a-z][a-z0-9_]{0,47}")
TYPES = ("text", "int", "bigint", "double", "boolean", "blob", "timestamp")
INT_RANGE = (-(2**31), 2**31 - 1)
BIGINT_RANGE = (-(2**63), 2**63 - 1)
# Cassandra refuses TTLs over 20 years.
MAX_TTL_S = 20 * 365 * 24 * 3600


def check_name(kind: str, name: object) -> str:
    """Return ``name`` if it is a valid table or column name."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise InvalidRequestError(
            f"invalid {kind} name {name!r}: use a lower-case letter then letters, "
            "digits or _ (at most 48 characters)"
        )
    return name


def check_spec(spec: TableSpec) -> None:
    """Raise InvalidRequestError naming what is wrong with ``spec``."""
    check_name("table", spec.name)
    names: set[str] = set()
    for column in spec.columns:
        check_name("column", column.name)
        if column.name in names:
            raise InvalidRequestError(f"table {spec.name}: column {column.name} declared twice")
        if column.type not in TYPES:
            raise InvalidRequestError(
                f"table {spec.name}: column {column.name} has unknown type {column.type!r}; "
                f"known: {', '.join(TYPES)}"
            )
        names.add(column.name)
    if not spec.partition_key:
        raise InvalidRequestError(f"table {spec.name}: the partition key is empty")
    key = list(spec.primary_key)
    for name in key:
        if name not in names:
            raise InvalidRequestError(f"table {spec.name}: key column {name} is not declared")
    if len(set(key)) != len(key):
        raise InvalidRequestError(f"table {spec.name}: a key column appears twice in the key")
    for name, order in spec.clustering:
        if order not in ("asc", "desc"):
            raise InvalidRequestError(
                f"table {spec.name}: clustering order of {name} must be asc or desc"
            )
    if spec.default_ttl_s is not None:
        check_ttl(spec.default_ttl_s)


def spec_document(spec: TableSpec) -> dict[str, Any]:
    """Return ``spec`` as plain data, in a form where equal specs compare equal."""
    return {
        "name": spec.name,
        "columns": sorted([c.name, c.type] for c in spec.columns),
        "partition_key": list(spec.partition_key),
        "clustering": [[name, order] for name, order in spec.clustering],
        "default_ttl_s": spec.default_ttl_s,
    }


def spec_from_document(doc: Mapping[str, Any]) -> TableSpec:
    """Rebuild a spec saved by :func:`spec_document`."""
    return TableSpec(
        name=doc["name"],
        columns=tuple(Column(name, kind) for name, kind in doc["columns"]),
        partition_key=tuple(doc["partition_key"]),
        clustering=tuple((name, order) for name, order in doc["clustering"]),
        default_ttl_s=doc["default_ttl_s"],
    )


def check_ttl(ttl_s: object) -> int:
    """Return a TTL in whole seconds (0: none); refuse negative or fractional ones."""
    if isinstance(ttl_s, bool) or not isinstance(ttl_s, int):
        raise InvalidRequestError(f"ttl_s must be whole seconds, got {ttl_s!r}")
    if ttl_s < 0 or ttl_s > MAX_TTL_S:
        raise InvalidRequestError(f"ttl_s must be between 0 and {MAX_TTL_S}, got {ttl_s}")
    return ttl_s


def check_timestamp_us(timestamp_us: object) -> int:
    """Return a write timestamp in microseconds, refusing anything but an int."""
    if isinstance(timestamp_us, bool) or not isinstance(timestamp_us, int):
        raise InvalidRequestError(f"timestamp_us must be an int, got {timestamp_us!r}")
    return timestamp_us


def check_value(table: str, column: Column, value: Any) -> Any:
    """Return ``value`` normalized for ``column``'s type, or raise naming the column."""

    def refuse(expected: str) -> InvalidRequestError:
        return InvalidRequestError(
            f"table {table}: column {column.name} is {column.type}; "
            f"expected {expected}, got {type(value).__name__} {_short(value)}"
        )

    kind = column.type
    if kind == "text":
        if not isinstance(value, str):
            raise refuse("a str")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise refuse("text encodable as UTF-8") from None
        return value
    if kind in ("int", "bigint"):
        low, high = INT_RANGE if kind == "int" else BIGINT_RANGE
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse("an int")
        if not low <= value <= high:
            raise refuse(f"an int between {low} and {high}")
        return value
    if kind == "double":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise refuse("a float")
        if math.isnan(value):
            raise refuse("a number (NaN cannot be stored)")
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise refuse("a bool")
        return value
    if kind == "blob":
        if not isinstance(value, bytes | bytearray | memoryview):
            raise refuse("bytes")
        return bytes(value)
    if kind == "timestamp":
        if not isinstance(value, datetime):
            raise refuse("a datetime")
        if value.tzinfo is None or value.utcoffset() is None:
            raise refuse("a timezone-aware datetime")
        # Cassandra keeps timestamps to the millisecond; every adapter does the
        # same so a value reads back equal whichever engine stored it.
        utc = value.astimezone(UTC)
        return utc.replace(microsecond=utc.microsecond // 1000 * 1000)
    raise refuse(f"a value of a known type, not {kind!r}")


def check_row(spec: TableSpec, row: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``row`` normalized: the full key set, every named column known and typed.

    A value column given as None deletes that cell.
    """
    columns = {c.name: c for c in spec.columns}
    for name in row:
        if name not in columns:
            raise InvalidRequestError(f"table {spec.name}: unknown column {name!r}")
    out: dict[str, Any] = {}
    for name in spec.primary_key:
        if row.get(name) is None:
            raise InvalidRequestError(
                f"table {spec.name}: primary key column {name} is missing or None"
            )
    for name, value in row.items():
        out[name] = None if value is None else check_value(spec.name, columns[name], value)
    return out


def check_key(spec: TableSpec, key: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """Return ``key`` normalized, refusing it unless it names exactly ``names``."""
    columns = {c.name: c for c in spec.columns}
    for name in key:
        if name not in names:
            known = "unknown column" if name not in columns else "not a key column here"
            raise InvalidRequestError(f"table {spec.name}: {known} {name!r} in the key")
    out: dict[str, Any] = {}
    for name in names:
        if key.get(name) is None:
            raise InvalidRequestError(f"table {spec.name}: key column {name} is missing or None")
        out[name] = check_value(spec.name, columns[name], key[name])
    return out


def check_bound(spec: TableSpec, bound: Sequence[Any], which: str) -> tuple[Any, ...]:
    """Return a ``start``/``end`` bound normalized over a prefix of the clustering columns."""
    clustering = [name for name, _ in spec.clustering]
    if isinstance(bound, str | bytes) or not isinstance(bound, Sequence):
        raise InvalidRequestError(f"table {spec.name}: {which} must be a tuple of values")
    if len(bound) > len(clustering):
        raise InvalidRequestError(
            f"table {spec.name}: {which} has {len(bound)} values but the table has "
            f"{len(clustering)} clustering columns ({', '.join(clustering) or 'none'})"
        )
    columns = {c.name: c for c in spec.columns}
    out = []
    for name, value in zip(clustering, bound, strict=False):
        if value is None:
            raise InvalidRequestError(f"table {spec.name}: {which} value for {name} is None")
        out.append(check_value(spec.name, columns[name], value))
    return tuple(out)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
