"""WideColumnStore: the role Cassandra plays. Query-first tables.

A table has a partition key (one or more columns: rows sharing it live
together) and clustering columns (the order of rows inside a partition).
Semantics every adapter keeps:

- ``upsert`` writes the given cells; each cell carries a write timestamp
  (microseconds; now if not given) and the newest timestamp wins, per cell,
  whatever order writes arrive in ("latest timestamp wins", not "no lost
  update"). Cells not named in an upsert keep their values.
- A TTL makes the written cells disappear after that many seconds; a row whose
  cells have all expired or been deleted is gone.
- ``delete`` removes a row (full primary key) or a whole partition (partition
  key only) with a timestamp: writes older than the delete stay deleted.
- ``query`` reads one partition in clustering order (or reversed), optionally
  between bounds on a prefix of the clustering columns, with a limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from reelstack.ports.lifecycle import Lifecycle

ColumnType = Literal["text", "int", "bigint", "double", "boolean", "blob", "timestamp"]
Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType


@dataclass(frozen=True)
class TableSpec:
    """A table's definition, shared by every adapter (and Cassandra's CQL)."""

    name: str
    columns: Sequence[Column]
    partition_key: Sequence[str]
    clustering: Sequence[tuple[str, Literal["asc", "desc"]]] = field(default_factory=tuple)
    default_ttl_s: int | None = None

    @property
    def primary_key(self) -> tuple[str, ...]:
        return tuple(self.partition_key) + tuple(name for name, _ in self.clustering)


class WideColumnStore(Lifecycle, Protocol):
    async def create_table(self, spec: TableSpec) -> None:
        """Create a table if it does not exist (idempotent for the same spec)."""
        ...

    async def upsert(
        self,
        table: str,
        row: Mapping[str, Any],
        *,
        timestamp_us: int | None = None,
        ttl_s: int | None = None,
    ) -> None:
        """Write the cells of ``row`` (which must hold the full primary key)."""
        ...

    async def get(self, table: str, key: Mapping[str, Any]) -> Row | None:
        """Return the row with this full primary key, or None."""
        ...

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
        """Return rows of one partition in clustering order.

        ``start`` (inclusive) and ``end`` (exclusive) are tuples over a prefix
        of the clustering columns, compared as Cassandra's multi-column slices.
        """
        ...

    async def delete(
        self, table: str, key: Mapping[str, Any], *, timestamp_us: int | None = None
    ) -> None:
        """Delete a row (full primary key) or a partition (partition key only)."""
        ...
