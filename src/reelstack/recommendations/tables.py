"""The service's wide-column tables (query-first: one per question asked).

``rec_play_counts``
    Play starts per region and hour, per title, split by the log partition
    they were read from: each cell remembers the last offset it counted, so
    a record read again (a rebalance, a crash before the commit) is not
    counted twice. Kept 8 days.
``rec_regions``
    The regions plays came from (the builder computes rows for each).
``rec_rows``
    The rows computed for one region and maturity level, in order.
``rec_similar``
    For each title or series, the titles most like it ("because you
    watched"), per region and maturity level.
"""

from __future__ import annotations

from reelstack.ports.widecolumn import Column, TableSpec

COUNTS_TTL_S = 8 * 86400
ROWS_TTL_S = 7 * 86400

PLAY_COUNTS = TableSpec(
    name="rec_play_counts",
    columns=[
        Column("region", "text"),
        Column("hour", "bigint"),
        Column("title_id", "text"),
        Column("log_partition", "int"),
        Column("plays", "bigint"),
        Column("last_offset", "bigint"),
    ],
    partition_key=["region", "hour"],
    clustering=[("title_id", "asc"), ("log_partition", "asc")],
    default_ttl_s=COUNTS_TTL_S,
)

REGIONS = TableSpec(
    name="rec_regions",
    columns=[Column("bucket", "text"), Column("region", "text"), Column("last_hour", "bigint")],
    partition_key=["bucket"],
    clustering=[("region", "asc")],
    default_ttl_s=COUNTS_TTL_S,
)

ROWS = TableSpec(
    name="rec_rows",
    columns=[
        Column("region", "text"),
        Column("maturity", "text"),
        Column("position", "int"),
        Column("row_id", "text"),
        Column("name", "text"),
        Column("items", "text"),
        Column("built_at", "bigint"),
    ],
    partition_key=["region", "maturity"],
    clustering=[("position", "asc")],
    default_ttl_s=ROWS_TTL_S,
)

SIMILAR = TableSpec(
    name="rec_similar",
    columns=[
        Column("region", "text"),
        Column("maturity", "text"),
        Column("item_id", "text"),
        Column("name", "text"),
        Column("items", "text"),
    ],
    partition_key=["region", "maturity"],
    clustering=[("item_id", "asc")],
    default_ttl_s=ROWS_TTL_S,
)

ALL = (PLAY_COUNTS, REGIONS, ROWS, SIMILAR)
