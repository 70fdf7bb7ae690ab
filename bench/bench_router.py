"""What the federation router adds to a trivial query: Hive Gateway and the router instance.

Runs the pieces as the cluster runs them, each a real process: a registry,
a one-type subgraph service (``bench.servers.toygraph``, through
``services.extra``) and the router instance (``reelstack.router``, with its
Hive Gateway child). Once the router serves the composed supergraph, the
same query ``{ titles { id name } }`` is sent at a fixed rate (open loop,
``bench/loadgen.py``) to:

1. the subgraph directly (the anchor),
2. Hive Gateway directly (the router's child on 127.0.0.1),
3. the router instance's ``/graphql`` (what the gateway calls: the
   instance's forwarding plus Hive Gateway).

The three are measured in turn, ``ROUNDS`` times over (after a warm-up
pass each), and the median of each percentile kept: a burst of other load on
the host hits every target alike. Prints p50 and p99 of 2 and 3 beside the
anchor's, same run; then the p50 of ``SEQUENTIAL`` requests sent one at a
time over one connection (no queueing: the cost of each hop, which stays
readable when the host is busy enough to make the fixed-rate run queue).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import Result, header, report

ROOT = Path(__file__).resolve().parent.parent
RATE = float(os.environ.get("BENCH_ROUTER_RATE", "50"))
SECONDS = float(os.environ.get("BENCH_ROUTER_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUTER_ROUNDS", "3"))
SEQUENTIAL = int(os.environ.get("BENCH_ROUTER_SEQUENTIAL", "300"))
QUERY = b'{"query": "{ titles { id name } }"}'
SECRET = "bench-router-cluster-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(check: Any, what: str, within_s: float = 120.0) -> Any:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


class Cluster:
    """The three processes, under one temporary home; :meth:`close` stops them."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.children: list[subprocess.Popen[bytes]] = []
        self.registry = self.start("registry")
        self.eureka = f"http://127.0.0.1:{self.registry}/eureka"
        wait_for(lambda: get(self.eureka.removesuffix("/eureka") + "/health")[0] == 200, "registry")

    def start(self, service: str, **env: str) -> int:
        port = free_port()
        environ = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "REELSTACK_HOME": str(self.home),
            "REELSTACK_SERVICE_NAME": service,
            "REELSTACK_SERVICE_PORT": str(port),
            "REELSTACK_SERVICE_HOST": "127.0.0.1",
            "REELSTACK_CLUSTER_SECRET": SECRET,
            "REELSTACK_LOGGING_ACCESS": "false",
            **env,
        }
        log = open(self.home / f"{service}.log", "wb")  # noqa: SIM115 - closed with the process
        self.children.append(
            subprocess.Popen(
                [sys.executable, "-m", "reelstack.chassis.run"],
                env=environ,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        return port

    def close(self) -> None:
        for child in reversed(self.children):
            child.send_signal(signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def loadgen(url: str, body: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", url, str(RATE), str(SECONDS), f"@{body}"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out)
    if result["errors"] or result["non_2xx"]:
        raise RuntimeError(f"errors at {RATE:.0f}/s against {url}: {result}")
    return result


def one_at_a_time(url: str) -> float:
    """Return the median milliseconds of SEQUENTIAL requests sent one after another."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    timings = []
    try:
        for _ in range(SEQUENTIAL):
            started = time.perf_counter()
            connection.request(
                "POST", parts.path, body=QUERY, headers={"Content-Type": "application/json"}
            )
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{url} answered {response.status}")
            timings.append((time.perf_counter() - started) * 1000.0)
    finally:
        connection.close()
    return statistics.median(timings)


def main() -> None:
    header()
    with tempfile.TemporaryDirectory(prefix="bench-router-") as folder:
        home = Path(folder)
        cluster = Cluster(home)
        try:
            common = {
                "REELSTACK_EUREKA_URLS": cluster.eureka,
                "REELSTACK_EUREKA_FETCH_INTERVAL_S": "0.5",
            }
            toy = cluster.start(
                "toygraph", REELSTACK_SERVICES_EXTRA="bench.servers.toygraph", **common
            )
            router = cluster.start(
                "router",
                REELSTACK_SERVICES_EXTRA="reelstack.router",
                REELSTACK_ROUTER_POLL_S="0.5",
                **common,
            )
            base = f"http://127.0.0.1:{router}"
            wait_for(lambda: get(base + "/ready")[0] == 200, "the router to be ready")
            status = json.loads(get(base + "/router/status")[1])
            assert list(status["served"]) == ["toygraph"], status
            body = home / "query.json"
            body.write_bytes(QUERY)
            targets = {
                "direct": f"http://127.0.0.1:{toy}/graphql",
                "hive": status["gateway"]["url"] + "/graphql",
                "router": base + "/graphql",
            }
            # A warm-up pass each (JIT, connection pools), then the measured rounds.
            for url in targets.values():
                loadgen(url, body)
            rounds = [
                {name: loadgen(url, body) for name, url in targets.items()} for _ in range(ROUNDS)
            ]
            sequential = [
                {name: one_at_a_time(url) for name, url in targets.items()} for _ in range(ROUNDS)
            ]
        finally:
            cluster.close()

    def median(name: str, pct: str) -> float:
        return statistics.median(r[name][f"{pct}_ms"] for r in rounds)

    for name, label in (("hive", "Hive Gateway"), ("router", "router instance + Hive Gateway")):
        for pct in ("p50", "p99"):
            report(
                Result(
                    f"router: trivial query via {label}, {pct} at {RATE:.0f}/s",
                    median(name, pct),
                    "ms",
                    f"the subgraph called directly, {pct}",
                    median("direct", pct),
                )
            )
    for name, label in (("hive", "Hive Gateway"), ("router", "router instance + Hive Gateway")):
        report(
            Result(
                f"router: trivial query via {label}, one at a time, p50",
                statistics.median(r[name] for r in sequential),
                "ms",
                "the subgraph called directly, one at a time, p50",
                statistics.median(r["direct"] for r in sequential),
            )
        )


if __name__ == "__main__":
    main()
