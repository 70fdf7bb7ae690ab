"""Player telemetry ingestion: accepted events/s through the gateway vs raw append_many.

The figure: events/s acknowledged for ``POST /api/events`` sent to a real
gateway (``python -m reelstack.chassis.run``, full filter chain, access log
on) with a token signed as identity signs them (EdDSA; ``sub``, ``account``,
``profile``, ``roles``), the gateway forwarding to a real events instance
(embedded SQLite event log). The events service is pinned to core 0, the
gateway and ``CONCURRENCY`` aiohttp clients posting batches of ``BATCH``
events (a play start and heartbeats of ``SESSIONS`` sessions, with CMCD keys)
share core 1, for ``DURATION_S``.

The anchor, in the same run on core 0: ``SqliteEventLog.append_many`` of the
very records the service writes for those batches (keyed by session, stamped
with the caller), batch by batch, on a fresh log file with the same topic.
Each figure is the median of ``ROUNDS`` interleaved rounds.

Also printed, to say where the time goes: the same batches posted to the
events service directly (no gateway), and every figure per CPU-second of the
processes doing the work (the servers' from /proc, the anchor's own), which
holds still when the two cores are shared with other work.

Target: through the gateway, at least half the events/s of the raw append.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

# Run as `python bench/bench_events.py`, the repository root is not on the path.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_chassis import free_port  # noqa: E402
from bench.bench_gateway import Process  # noqa: E402
from bench.common import Result, header, report  # noqa: E402
from reelstack.adapters.log.sqlite import SqliteEventLog  # noqa: E402
from reelstack.events.models import Caller  # noqa: E402
from reelstack.events.service import check_batch, to_records  # noqa: E402
from reelstack.ports.log import TopicSpec  # noqa: E402
from reelstack.settings.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER  # noqa: E402

BATCH = int(os.environ.get("BENCH_EVENTS_BATCH", "100"))
DURATION_S = float(os.environ.get("BENCH_EVENTS_DURATION_S", "5"))
ROUNDS = int(os.environ.get("BENCH_EVENTS_ROUNDS", "3"))
CONCURRENCY = int(os.environ.get("BENCH_EVENTS_CONCURRENCY", "8"))
SESSIONS = 20
PARTITIONS = 8
TOPIC = "player.events"
ACCOUNT = "acct-0001"
PROFILE = "prof-0001"
HEADERS = {"x-account-id": ACCOUNT, "x-profile-id": PROFILE}
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


def make_token() -> tuple[str, str]:
    """Return a JWKS with a fresh Ed25519 key, and a token signed as identity signs them."""
    key = Ed25519PrivateKey.generate()
    public = orjson.loads(OKPAlgorithm.to_jwk(key.public_key()))
    public.update({"kid": "bench", "alg": "EdDSA", "use": "sig"})
    now = int(time.time())
    claims = {
        "sub": ACCOUNT,
        "account": ACCOUNT,
        "profile": PROFILE,
        # A profile's token always names its maturity (the gateway refuses one that does not).
        "maturity": "adults",
        "roles": ["viewer"],
        "iss": DEFAULT_ISSUER,
        "aud": DEFAULT_AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": "bench",
    }
    token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "bench"})
    return orjson.dumps({"keys": [public]}).decode(), token


def events_process(home: Path, port: int) -> Process:
    return Process(
        "events",
        [sys.executable, "-m", "reelstack.chassis.run"],
        0,
        f"http://127.0.0.1:{port}/ready",
        {
            "REELSTACK_HOME": str(home),
            "REELSTACK_SERVICE_NAME": "events",
            "REELSTACK_SERVICE_PORT": str(port),
            "REELSTACK_INSTANCE_ID": "events-a-1",
            "REELSTACK_LOG_URL": f"sqlite:///{home}/log.db",
            "REELSTACK_EVENTS_PARTITIONS": str(PARTITIONS),
        },
    )


def gateway_process(home: Path, port: int, events_port: int, jwks: str) -> Process:
    return Process(
        "gateway",
        [sys.executable, "-m", "reelstack.chassis.run"],
        1,
        f"http://127.0.0.1:{port}/health",
        {
            "REELSTACK_HOME": str(home),
            "REELSTACK_SERVICE_NAME": "gateway",
            "REELSTACK_SERVICE_PORT": str(port),
            "REELSTACK_INSTANCE_ID": "gateway-a-1",
            # The route the events spec declares, to the one instance started here.
            "REELSTACK_GATEWAY_ROUTES": "/api/events=events;rewrite=/events;max_body=262144",
            "REELSTACK_GATEWAY_INSTANCES": f"events=127.0.0.1:{events_port}",
            "REELSTACK_GATEWAY_AUTH_JWKS": jwks,
            "REELSTACK_GATEWAY_AUTH_JWKS_URL": "",
            "REELSTACK_GATEWAY_RATELIMIT_ADDRESS_RPS": "1000000",
            "REELSTACK_GATEWAY_RATELIMIT_ACCOUNT_RPS": "1000000",
            "REELSTACK_LOGGING_ACCESS": "true",
        },
    )


async def post_for(url: str, headers: dict[str, str], duration_s: float) -> tuple[int, float]:
    """Return the events ``url`` acknowledged under CONCURRENCY posting clients, and the time."""
    accepted = 0
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        headers = {**headers, "content-type": "application/json"}
        end = time.perf_counter() + duration_s

        async def worker(offset: int) -> None:
            nonlocal accepted
            n = offset
            while time.perf_counter() < end:
                async with session.post(url, data=BODIES[n % len(BODIES)], headers=headers) as r:
                    body = await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"POST {url} answered {r.status}: {body[:300]!r}")
                    accepted += orjson.loads(body)["accepted"]
                n += CONCURRENCY

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return accepted, elapsed


async def raw_append(path: Path, duration_s: float) -> tuple[float, float]:
    """Return events/s and events per CPU-second of append_many of the service's records."""
    caller = Caller(ACCOUNT, PROFILE)
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


def measure(url: str, headers: dict[str, str], servers: list[Process]) -> tuple[float, float]:
    """Return events/s acknowledged at ``url`` and events per CPU-second of ``servers``."""
    pin(1)
    asyncio.run(post_for(url, headers, 1.0))  # warm-up: imports, first labels, caches
    cpu = sum(server.cpu_seconds() for server in servers)
    accepted, elapsed = asyncio.run(post_for(url, headers, DURATION_S))
    cpu = sum(server.cpu_seconds() for server in servers) - cpu
    return accepted / elapsed, accepted / cpu


def main() -> None:
    header()
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    jwks, token = make_token()
    figures: dict[str, list[float]] = {
        name: []
        for name in ("gateway", "gateway_cpu", "direct", "direct_cpu", "anchor", "anchor_cpu")
    }
    with tempfile.TemporaryDirectory(
        prefix="bench-events-", dir=os.environ.get("BENCH_DIR")
    ) as tmp:
        folder = Path(tmp)
        for round_ in range(ROUNDS):
            home = folder / f"round-{round_}"
            home.mkdir()
            events_port, gateway_port = free_port(), free_port()
            events = events_process(home / "events", events_port)
            gateway = gateway_process(home / "gateway", gateway_port, events_port, jwks)
            try:
                for server in (events, gateway):
                    server.start(home / f"{server.name}.log")
                rate, per_cpu = measure(
                    f"http://127.0.0.1:{gateway_port}/api/events",
                    {"authorization": f"Bearer {token}"},
                    [events, gateway],
                )
                figures["gateway"].append(rate)
                figures["gateway_cpu"].append(per_cpu)
                rate, per_cpu = measure(f"http://127.0.0.1:{events_port}/events", HEADERS, [events])
                figures["direct"].append(rate)
                figures["direct_cpu"].append(per_cpu)
            finally:
                gateway.stop()
                events.stop()
            pin(0)
            rate, per_cpu = asyncio.run(raw_append(folder / f"raw-{round_}.db", DURATION_S))
            figures["anchor"].append(rate)
            figures["anchor_cpu"].append(per_cpu)
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)
    median = {name: statistics.median(values) for name, values in figures.items()}
    shape = f"batches of {BATCH}, {CONCURRENCY} clients"
    anchor = f"raw SqliteEventLog.append_many of the same records, batches of {BATCH}"
    for name, key, unit in (
        (f"POST /api/events through the gateway, {shape}", "gateway", "events/s"),
        (f"POST /events to the service direct, {shape}", "direct", "events/s"),
        # Per CPU-second of the serving processes (gateway and events together
        # for the first): what serving costs, whatever else the cores are doing.
        (f"POST /api/events through the gateway, {shape}", "gateway_cpu", "events/CPU-s"),
        (f"POST /events to the service direct, {shape}", "direct_cpu", "events/CPU-s"),
    ):
        anchor_key = "anchor_cpu" if key.endswith("_cpu") else "anchor"
        target = TARGET if key.startswith("gateway") else ""
        report(Result(name, median[key], unit, anchor, median[anchor_key], target))


if __name__ == "__main__":
    main()
