"""Helpers for the registry's integration tests: instances as real processes, HTTP."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from reelstack.registry_credentials import PEER, authorization, credential
from tests.support.ports import free_port
from tests.support.processes import Child, Children

JSON = {"Accept": "application/json"}
SECRET = "integration-cluster-secret"
"""The cluster secret every process these helpers start shares."""


def credentials_for(url: str) -> dict[str, str]:
    """The credential a write to ``url`` needs: the app's own, or a peer's for replication."""
    parts = urlsplit(url).path.split("/")
    writer = parts[3] if len(parts) > 3 and parts[2] == "apps" else PEER
    return {"Authorization": authorization(SECRET.encode(), writer)}


def eureka_url_as(url: str, service: str) -> str:
    """``url`` (a registry's /eureka URL) with ``service``'s credentials in it."""
    parts = urlsplit(url)
    user = f"{service}:{credential(SECRET.encode(), service)}"
    return parts._replace(netloc=f"{user}@{parts.netloc}").geturl()


def call(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """Send a request; writes carry the credentials of the app they write unless given."""
    data = None if body is None else json.dumps(body).encode()
    if headers is None and method != "GET":
        headers = credentials_for(url)
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


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

    def __init__(self, child: Child, port: int) -> None:
        self.child = child
        self.port = port

    @property
    def log(self) -> Path:
        return self.child.log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def eureka(self) -> str:
        return self.url + "/eureka"

    def wait_healthy(self) -> None:
        self.child.wait_until(
            lambda: call("GET", self.url + "/health")[0] == 200, f"{self.child.name} to be healthy"
        )

    def kill(self) -> None:
        self.child.kill()

    def terminate(self) -> int:
        return self.child.terminate()

    def restart(self) -> None:
        self.child.restart()


class Processes:
    """Starts instances under ``home``; :meth:`close` kills whatever still runs."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.children = Children(home)

    def __call__(self, service: str = "registry", port: int | None = None, **env: str) -> Process:
        port = free_port() if port is None else port
        environ = {
            "REELSTACK_HOME": str(self.home / "home"),
            "REELSTACK_SERVICE_NAME": service,
            "REELSTACK_SERVICE_PORT": str(port),
            "REELSTACK_PROPERTIES_POLL_S": "0.1",
            "REELSTACK_LOGGING_ACCESS": "false",
            "REELSTACK_CLUSTER_SECRET": SECRET,
            **env,
        }
        argv = [sys.executable, "-m", "reelstack.chassis.run"]
        process = Process(self.children.start(f"{service}-{port}", argv, env=environ), port)
        process.wait_healthy()
        return process

    def close(self) -> None:
        self.children.close()


def instances(registry: str) -> dict[str, dict[str, Any]]:
    """Every instance of the registry at ``registry`` (its /eureka URL), by id."""
    status, body = call("GET", registry + "/apps", headers=JSON)
    assert status == 200, body
    apps = json.loads(body)["applications"]["application"]
    return {i["instanceId"]: i for app in apps for i in app["instance"]}


def registry_status(registry: Process) -> dict[str, Any]:
    status: dict[str, Any] = json.loads(call("GET", registry.eureka + "/status")[1])
    return status
