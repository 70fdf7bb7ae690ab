"""Event log throughput: 200-byte records appended then consumed through SqliteEventLog.

The adapter's figure is records/s for the whole trip: ``append_many`` in
batches of ``BATCH``, then one consumer-group member polling every record and
committing after each poll. The anchor, measured in the same run on the same
disk, is the floor of any SQLite-based log: raw ``sqlite3`` inserting the same
number of 200-byte rows into one table, WAL mode, ``synchronous=NORMAL``,
``executemany`` of ``BATCH`` rows per transaction. Each figure is the best of
``ROUNDS`` runs on a fresh file.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

# Run as `python bench/bench_event_log.py`, the repository root is not on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Result, header, report
from reelstack.adapters.log.sqlite import SqliteEventLog
from reelstack.ports.log import TopicSpec

RECORDS = 200_000
BATCH = 1_000
SIZE = 200
PARTITIONS = 4
# Keyed records carry one of this many profile ids, as viewing events do.
KEYS = [b"profile-%06d" % i for i in range(10 * BATCH)]
ROUNDS = 3
TARGET = ">= 0.5"


def raw_inserts(path: Path, values: list[bytes]) -> float:
    """Return rows/s of batched WAL inserts of ``values`` into one table."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE rows (value BLOB NOT NULL)")
    started = time.perf_counter()
    for start in range(0, len(values), BATCH):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO rows (value) VALUES (?)", [(v,) for v in values[start : start + BATCH]]
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return len(values) / elapsed


async def through_log(path: Path, values: list[bytes], keyed: bool) -> tuple[float, float, float]:
    """Return records/s for append+consume, append alone and consume alone."""
    event_log = SqliteEventLog(path)
    await event_log.open()
    try:
        await event_log.create_topic(TopicSpec("plays", PARTITIONS))
        started = time.perf_counter()
        for start in range(0, len(values), BATCH):
            # Built per batch, as the anchor builds its rows: a producer holds one batch.
            chunk = values[start : start + BATCH]
            records: list[tuple[bytes | None, bytes]]
            if keyed:
                first = start % len(KEYS)
                records = list(zip(KEYS[first : first + len(chunk)], chunk, strict=True))
            else:
                records = [(None, v) for v in chunk]
            await event_log.append_many("plays", records)
        appended = time.perf_counter()
        consumer = event_log.consumer("bench", ["plays"])
        await consumer.start()
        seen = 0
        while seen < len(values):
            batch = await consumer.poll(max_records=BATCH, timeout_s=1.0)
            if not batch:
                raise RuntimeError(f"consumer stalled at {seen} of {len(values)} records")
            seen += len(batch)
            await consumer.commit()
        consumed = time.perf_counter()
        await consumer.stop()
    finally:
        await event_log.close()
    count = len(values)
    return (
        count / (consumed - started),
        count / (appended - started),
        count / (consumed - appended),
    )


def _remove(path: Path) -> None:
    """Delete a measured file, so the next run meets the same page cache and disk."""
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def main() -> None:
    header()
    values = [os.urandom(SIZE) for _ in range(RECORDS)]
    anchor = 0.0
    runs: dict[str, list[tuple[float, float, float]]] = {"keyless": [], "keyed": []}
    with tempfile.TemporaryDirectory(prefix="bench-log-", dir=os.environ.get("BENCH_DIR")) as tmp:
        folder = Path(tmp)
        for round_ in range(ROUNDS):
            raw = folder / f"raw-{round_}.db"
            anchor = max(anchor, raw_inserts(raw, values))
            _remove(raw)
            for name in ("keyless", "keyed"):
                path = folder / f"{name}-{round_}.db"
                runs[name].append(asyncio.run(through_log(path, values, name == "keyed")))
                _remove(path)
    anchor_name = f"raw sqlite3 WAL executemany, {BATCH}-row transactions"
    for name in ("keyless", "keyed"):
        best = max(runs[name])
        label = f"event log {SIZE} B records, {name}, {PARTITIONS} partitions, batches of {BATCH}"
        report(
            Result(f"{label}: append+consume", best[0], "records/s", anchor_name, anchor, TARGET)
        )
        report(Result(f"{label}: append only", best[1], "records/s", anchor_name, anchor))
        report(Result(f"{label}: consume+commit only", best[2], "records/s", anchor_name, anchor))


if __name__ == "__main__":
    main()
