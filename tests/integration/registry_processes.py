"""Helpers for the registry's integration tests: instances as real processes, HTTP, polling."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DEADLINE_S = 30.0
JSON = {"Accept": "application/json"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def call(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


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
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def registration(
    instance_id: str, app: str = "HELLO", port: int = 9000, **fields: Any
) -> dict[str, Any]:
    return {
        "instance": {
            "instanceId": instance_id,
            "hostName": "127.0.0.1",
            "app": app,
            "ipAddr": "127.0.0.1",
            "status": "UP",
            "port": {"$": port, "@enabled": "true"},
            "vipAddress": app.lower(),
            "dataCenterInfo": {"@class": "x", "name": "MyOwn"},
            "metadata": {"zone": "a", "version": "v1"},
            **fields,
        }
    }


class Process:
    """A reelstack instance started with ``python -m reelstack.chassis.run``."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env = env
        self.port = port
        self.log = log
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "reelstack.chassis.run"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def eureka(self) -> str:
        return self.url + "/eureka"

    def wait_healthy(self) -> None:
        def healthy() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"exited with {self.process.returncode}:\n{self.log.read_text()}")
            return call("GET", self.url + "/health")[0] == 200

        until(healthy, f"{self.log.name} to be healthy")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def restart(self) -> None:
        assert self.process.poll() is not None
        self.process = self._start()


class Processes:
    """Starts instances under ``home``; :meth:`close` kills whatever still runs."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.started: list[Process] = []

    def __call__(self, service: str = "registry", port: int | None = None, **env: str) -> Process:
        port = free_port() if port is None else port
        environ = {
            **os.environ,
            "REELSTACK_HOME": str(self.home / "home"),
            "REELSTACK_SERVICE_NAME": service,
            "REELSTACK_SERVICE_PORT": str(port),
            "REELSTACK_PROPERTIES_POLL_S": "0.1",
            "REELSTACK_LOGGING_ACCESS": "false",
            **env,
        }
        process = Process(environ, port, self.home / f"{service}-{port}.log")
        self.started.append(process)
        process.wait_healthy()
        return process

    def close(self) -> None:
        for process in self.started:
            if process.process.poll() is None:
                process.process.kill()
            process.process.wait(timeout=10)


def instances(registry: str) -> dict[str, dict[str, Any]]:
    """Every instance of the registry at ``registry`` (its /eureka URL), by id."""
    status, body = call("GET", registry + "/apps", headers=JSON)
    assert status == 200, body
    apps = json.loads(body)["applications"]["application"]
    return {i["instanceId"]: i for app in apps for i in app["instance"]}


def registry_status(registry: Process) -> dict[str, Any]:
    status: dict[str, Any] = json.loads(call("GET", registry.eureka + "/status")[1])
    return status
