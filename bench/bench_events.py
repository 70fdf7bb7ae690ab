"""Player telemetry ingestion: accepted events/s through ``POST /events`` vs raw append_many.

The figure: events/s the events service acknowledged, served as a real
chassis instance (``python -m reelstack.chassis.run``, access log on,
embedded SQLite event log) pinned to one core, with ``CONCURRENCY`` aiohttp
clients on the other core posting batches of ``BATCH`` events (a play start
and heartbeats of ``SESSIONS`` sessions, with CMCD keys) for ``DURATION_S``.
Measured against the service directly, not through the gateway: the gateway
would add its own per-request cost on the same two cores (see
``bench/bench_gateway.py`` for that cost alone).

The anchor, in the same run on the same core: ``SqliteEventLog.append_many``
of the very records the service writes for those batches (keyed by session,
stamped with the caller), batch by batch, on a fresh log file with the same
topic. Each figure is the median of ``ROUNDS`` interleaved rounds.

A second line gives both per CPU-second of the process doing the work (the
service's, read from /proc; the anchor's own), which holds still when the two
cores are shared with other work.

Target: the endpoint accepts at least half the events/s of the raw append.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import orjson

# Run as `python bench/bench_events.py`, the repository root is not on the path.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Result, header, report  # noqa: E402
from reelstack.adapters.log.sqlite import SqliteEventLog  # noqa: E402
from reelstack.events.models import Caller  # noqa: E402
from reelstack.events.service import check_batch, to_records  # noqa: E402
from reelstack.ports.log import TopicSpec  # noqa: E402

BATCH = int(os.environ.get("BENCH_EVENTS_BATCH", "100"))
DURATION_S = float(os.environ.get("BENCH_EVENTS_DURATION_S", "5"))
ROUNDS = int(os.environ.get("BENCH_EVENTS_ROUNDS", "3"))
CONCURRENCY = int(os.environ.get("BENCH_EVENTS_CONCURRENCY", "8"))
SESSIONS = 20
PARTITIONS = 8
TOPIC = "player.events"
HEADERS = {"x-account-id": "acct-0001", "x-profile-id": "prof-0001"}
TARGET = ">= 0.5"


def batch(number: int) -> list[dict[str, Any]]:
    """Batch ``number``: heartbeats of SESSIONS sessions, each session's events in order."""
    events: list[dict[str, Any]] = []
    for i in range(BATCH):
        session = f"play-{number % 50:04d}-{i % SESSIONS:02d}"
        seq = number * BATCH + i
        common = {"v": 1, "session": session, "seq": seq, "ts": 1_765_000_000_000 + seq}
        cmcd = {"br": 4500, "bl": 21_300, "mtp": 25_400, "ot": "v", "sid": session, "su": False}
        if i < SESSIONS and number == 0:
            events.append(
                {"type": "play_start", "title": "t-42", "startup_ms": 850, "position_ms": 0}
                | common
            )
        else:
            events.append(
                {"type": "heartbeat", "position_ms": seq * 1000, "bitrate_kbps": 4500}
                | common
                | {"cmcd": cmcd}
            )
    return events


BATCHES = [batch(n) for n in range(50)]
BODIES = [orjson.dumps({"events": b}) for b in BATCHES]


def pin(cpu: int) -> None:
    if (os.cpu_count() or 1) >= 2 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def pinned(cpu: int, argv: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(cpu), *argv]
    return argv


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_service(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REELSTACK_HOME": str(home),
        "REELSTACK_SERVICE_NAME": "events",
        "REELSTACK_SERVICE_PORT": str(port),
        "REELSTACK_INSTANCE_ID": "events-a-1",
        "REELSTACK_SERVICES_EXTRA": "reelstack.events",
        "REELSTACK_LOG_URL": f"sqlite:///{home}/log.db",
        "REELSTACK_EVENTS_PARTITIONS": str(PARTITIONS),
    }
    out = (home / "service.log").open("wb")
    process = subprocess.Popen(
        pinned(0, [sys.executable, "-m", "reelstack.chassis.run"]),
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"events exited: {(home / 'service.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"events did not start: {(home / 'service.log').read_text()[-2000:]}"
            )
        time.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    """Return the user+system CPU seconds process ``pid`` (all its threads) has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def post_for(url: str, duration_s: float) -> tuple[int, float]:
    """Return the events ``url`` acknowledged under CONCURRENCY posting clients, and the time."""
    accepted = 0
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        headers = {**HEADERS, "content-type": "application/json"}
        end = time.perf_counter() + duration_s

        async def worker(offset: int) -> None:
            nonlocal accepted
            n = offset
            while time.perf_counter() < end:
                async with session.post(url, data=BODIES[n % len(BODIES)], headers=headers) as r:
                    body = await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"POST /events answered {r.status}: {body[:300]!r}")
                    accepted += orjson.loads(body)["accepted"]
                n += CONCURRENCY

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return accepted, elapsed


async def raw_append(path: Path, duration_s: float) -> tuple[float, float]:
    """Return events/s and events per CPU-second of append_many of the service's records."""
    caller = Caller(HEADERS["x-account-id"], HEADERS["x-profile-id"])
    # The same records, built before the clock starts: the anchor is the log alone.
    records = []
    for events in BATCHES:
        copied = orjson.loads(orjson.dumps(events))
        assert not check_batch(events=copied)
        records.append(to_records(events=copied, caller=caller, received_ms=1_765_000_000_000))
    log = SqliteEventLog(path)
    await log.open()
    try:
        await log.create_topic(TopicSpec(TOPIC, partitions=PARTITIONS))
        appended = 0
        n = 0
        started = time.perf_counter()
        cpu = time.process_time()  # this process: the loop and the log's writer thread
        end = started + duration_s
        while time.perf_counter() < end:
            appended += len(await log.append_many(TOPIC, records[n % len(records)]))
            n += 1
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        await log.close()
    return appended / elapsed, appended / cpu


def main() -> None:
    header()
    endpoint: list[float] = []
    endpoint_cpu: list[float] = []
    anchor: list[float] = []
    anchor_cpu: list[float] = []
    with tempfile.TemporaryDirectory(
        prefix="bench-events-", dir=os.environ.get("BENCH_DIR")
    ) as tmp:
        folder = Path(tmp)
        for round_ in range(ROUNDS):
            home = folder / f"service-{round_}"
            home.mkdir()
            port = free_port()
            process = start_service(home, port)
            try:
                pin(1)
                url = f"http://127.0.0.1:{port}/events"
                asyncio.run(post_for(url, 1.0))  # warm-up: imports, first labels, caches
                cpu = cpu_seconds(process.pid)
                accepted, elapsed = asyncio.run(post_for(url, DURATION_S))
                cpu = cpu_seconds(process.pid) - cpu
            finally:
                stop(process)
            endpoint.append(accepted / elapsed)
            endpoint_cpu.append(accepted / cpu)
            pin(0)
            rate, per_cpu = asyncio.run(raw_append(folder / f"raw-{round_}.db", DURATION_S))
            anchor.append(rate)
            anchor_cpu.append(per_cpu)
    name = f"POST /events, batches of {BATCH}, {CONCURRENCY} clients, service direct"
    anchor_name = f"raw SqliteEventLog.append_many of the same records, batches of {BATCH}"
    median = statistics.median
    report(Result(name, median(endpoint), "events/s", anchor_name, median(anchor), TARGET))
    # Per CPU-second of the serving process: what the service costs, whatever
    # else the two cores are doing (the client, other processes).
    report(
        Result(
            name,
            median(endpoint_cpu),
            "events/CPU-s",
            anchor_name,
            median(anchor_cpu),
            TARGET,
        )
    )


if __name__ == "__main__":
    main()
