"""Real processes for the gateway's integration tests: gateways and echo upstreams.

Every process binds 127.0.0.1 on a free port chosen here, writes its output
to a log file under the test's folder, and is killed when the test module
ends. Readiness is polled with a deadline, never slept for.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | Iterable[bytes] | None = None,
    chunked: bool = False,
    timeout_s: float = 10.0,
) -> Answer:
    """Send one request on a new connection and return the answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        response = conn.getresponse()
        data = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()


def until(check: Callable[[], Any], what: str, deadline_s: float = DEADLINE_S) -> Any:
    """Poll ``check`` until it returns something truthy; fail after the deadline."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Process:
    """One child process serving HTTP on ``port``."""

    def __init__(self, argv: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, path: str) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"exited with {self.process.returncode}:\n{self.output()}")
            return request(self.port, path, timeout_s=2).status < 500

        until(ready, f"{self.log.name} to answer {path}")

    def kill(self) -> None:
        """Kill it with SIGKILL (no goodbye to anyone) and wait for it to be gone."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


class Processes:
    """Starts gateways and echo upstreams; stops them all at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Process] = []

    def echo(self, name: str, port: int | None = None) -> Process:
        """Start an echo upstream named ``name``."""
        port = port or free_port()
        argv = [sys.executable, "-m", "bench.servers.serve", "bench.servers.echo:app", str(port)]
        process = Process(argv, {"ECHO_INSTANCE": name}, port, self.folder / f"echo-{name}.log")
        self.started.append(process)
        process.wait_ready("/")
        return process

    def gateway(self, name: str, *, asgi: bool = False, **settings: str) -> Process:
        """Start a gateway; ``settings`` are REELSTACK_* variables without the prefix.

        ``asgi``: run it under a plain ASGI server (uvicorn's own protocol,
        see gateway_asgi.py) instead of the chassis runner, which serves it
        on the gateway's protocol.
        """
        port = free_port()
        env = {
            "REELSTACK_HOME": str(self.folder / f"home-{name}"),
            "REELSTACK_SERVICE_NAME": "gateway",
            "REELSTACK_SERVICE_PORT": str(port),
            "REELSTACK_PROPERTIES_POLL_S": "0.1",
            "REELSTACK_GATEWAY_AUTH_JWKS_URL": "",
            **{f"REELSTACK_{key}": value for key, value in settings.items()},
        }
        module = "tests.integration.gateway_asgi" if asgi else "reelstack.chassis.run"
        process = Process(
            [sys.executable, "-m", module], env, port, self.folder / f"gateway-{name}.log"
        )
        self.started.append(process)
        process.wait_ready("/health")
        return process

    def close(self) -> None:
        for process in self.started:
            process.stop()
