"""Real processes for the gateway's integration tests: gateways and echo upstreams.

Every process binds 127.0.0.1 on a free port chosen here, writes its output
to a log file under the test's folder (shown when a test fails), and is
killed when the test module ends. Readiness is polled with a deadline, never
slept for.
"""

from __future__ import annotations

import http.client
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.integration.registry_processes import SECRET
from tests.support.ports import free_port
from tests.support.processes import Child, Children

ROOT = Path(__file__).resolve().parents[2]


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


class Process:
    """One child process serving HTTP on ``port``."""

    def __init__(self, child: Child, port: int) -> None:
        self.child = child
        self.port = port

    def output(self) -> str:
        return self.child.output()

    def wait_ready(self, path: str) -> None:
        self.child.wait_until(
            lambda: request(self.port, path, timeout_s=2).status < 500,
            f"{self.child.name} to answer {path}",
        )

    def kill(self) -> None:
        """Kill it with SIGKILL (no goodbye to anyone) and wait for it to be gone."""
        self.child.kill()


class Processes:
    """Starts gateways and echo upstreams; stops them all at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.children = Children(folder)

    def start(self, name: str, argv: list[str], env: dict[str, str], port: int) -> Process:
        """Start ``argv`` from the checkout, logging to ``<name>.log``."""
        child = self.children.start(name, argv, env={"PYTHONPATH": str(ROOT), **env}, cwd=ROOT)
        return Process(child, port)

    def echo(self, name: str, port: int | None = None) -> Process:
        """Start an echo upstream named ``name``."""
        port = port or free_port()
        argv = [sys.executable, "-m", "bench.servers.serve", "bench.servers.echo:app", str(port)]
        process = self.start(f"echo-{name}", argv, {"ECHO_INSTANCE": name}, port)
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
            # The registry's helpers start registries with this secret.
            "REELSTACK_CLUSTER_SECRET": SECRET,
            **{f"REELSTACK_{key}": value for key, value in settings.items()},
        }
        module = "tests.integration.gateway_asgi" if asgi else "reelstack.chassis.run"
        process = self.start(f"gateway-{name}", [sys.executable, "-m", module], env, port)
        process.wait_ready("/health")
        return process

    def close(self) -> None:
        self.children.close()
