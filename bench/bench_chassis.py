"""What the chassis costs per request: the hello JSON with and without it.

Serves the same small JSON response from (1) the chassis' hello service as a
real instance (request ids, metrics, JSON access log to a file), (2) the same
endpoint in plain FastAPI, (3) a bare ASGI app returning the same bytes, all
under the same uvicorn settings (1 process, uvloop + httptools, uvicorn's
access log off). Each server runs as a subprocess pinned to one core and
``wrk`` to the other; the rounds are interleaved and the median kept, so a
burst of other load on the host hits every server alike.

Target: the chassis serves at least 0.7x the requests/s of plain FastAPI.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Result, header, report

ROOT = Path(__file__).resolve().parent.parent
DURATION_S = int(os.environ.get("BENCH_CHASSIS_DURATION_S", "5"))
ROUNDS = int(os.environ.get("BENCH_CHASSIS_ROUNDS", "3"))
CONNECTIONS = 32
PATH = "/hello?name=ann"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pinned(cpu: int, argv: list[str]) -> list[str]:
    """Prefix ``argv`` with taskset when there are cores to spare."""
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(cpu), *argv]
    return argv


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    figures: list[float] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    def start(self, log: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), **self.env}
        argv = [arg.replace("{port}", str(self.port)) for arg in self.argv]
        env = {k: v.replace("{port}", str(self.port)) for k, v in env.items()}
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                pinned(0, argv), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wrk(url: str, duration_s: int) -> float:
    """Return the requests/s wrk measured against ``url``."""
    out = subprocess.run(
        pinned(1, ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration_s}s", url]),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"errors under load:\n{out}")
    return float(match.group(1))


def main() -> None:
    header()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk (or make bench-tools)")
    python = sys.executable
    serve = [python, "-m", "bench.servers.serve"]
    with tempfile.TemporaryDirectory(prefix="bench-chassis-") as tmp:
        home = Path(tmp)
        chassis_env = {
            "REELSTACK_HOME": str(home / "home"),
            "REELSTACK_SERVICE_NAME": "hello",
            "REELSTACK_SERVICE_PORT": "{port}",
            "REELSTACK_INSTANCE_ID": "hello-a-1",
        }
        servers = [
            Server("chassis", [python, "-m", "reelstack.chassis.run"], chassis_env),
            Server(
                "chassis, access log off",
                [python, "-m", "reelstack.chassis.run"],
                {**chassis_env, "REELSTACK_LOGGING_ACCESS": "false"},
            ),
            Server("plain FastAPI", [*serve, "bench.servers.plain_fastapi:app", "{port}"]),
            Server("bare ASGI", [*serve, "bench.servers.bare_asgi:app", "{port}"]),
        ]
        try:
            for index, server in enumerate(servers):
                server.start(home / f"server-{index}.log")
                wrk(server.url, 2)  # warm-up: imports, caches, first labels
            for _ in range(ROUNDS):
                for server in servers:
                    server.figures.append(wrk(server.url, DURATION_S))
        finally:
            for server in servers:
                server.stop()
    rps = {server.name: statistics.median(server.figures) for server in servers}
    report(
        Result(
            "chassis hello GET /hello",
            rps["chassis"],
            "req/s",
            "plain FastAPI",
            rps["plain FastAPI"],
            ">= 0.7",
        )
    )
    report(
        Result(
            "chassis hello GET /hello, access log off",
            rps["chassis, access log off"],
            "req/s",
            "plain FastAPI",
            rps["plain FastAPI"],
        )
    )
    report(
        Result("chassis hello GET /hello", rps["chassis"], "req/s", "bare ASGI", rps["bare ASGI"])
    )
    report(
        Result(
            "plain FastAPI GET /hello",
            rps["plain FastAPI"],
            "req/s",
            "bare ASGI",
            rps["bare ASGI"],
        )
    )


if __name__ == "__main__":
    main()
