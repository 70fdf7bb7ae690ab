"""A real local cluster, driven through the ``reelstack`` CLI with its own home."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from reelstack.media.ffmpeg import Binaries
from tests.integration.media.conftest import ClipMaker
from tests.support.binaries import need_ffmpeg
from tests.support.wait import wait_until

# Generous: `up` on a loaded 2-core machine may take many times what it takes on an
# idle one. How long it takes is bench/'s figure, not a test's.
UP_TIMEOUT_S = 120.0


class Cluster:
    """One cluster home and the commands to drive it."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("REELSTACK_")}
        # The control API on a free port chosen by the OS: never a fixed port in tests.
        self.env["REELSTACK_CLUSTER_CONTROL_PORT"] = "0"
        self.env["REELSTACK_CLUSTER_REGISTRY_PORTS"] = "0,0"
        self.env["REELSTACK_GATEWAY_PORT"] = "0"

    def cli(
        self, *args: str, timeout: float = 2 * UP_TIMEOUT_S
    ) -> subprocess.CompletedProcess[str]:
        """Run ``reelstack --home HOME ARGS``."""
        return subprocess.run(
            [sys.executable, "-m", "reelstack.cli", "--home", str(self.home), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def ok(self, *args: str) -> str:
        """Run a command that must succeed; return its stdout."""
        result = self.cli(*args)
        assert result.returncode == 0, (
            f"reelstack {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
        return result.stdout

    def status(self) -> list[dict[str, Any]]:
        """Return ``reelstack status --json``."""
        data: list[dict[str, Any]] = json.loads(self.ok("status", "--json"))
        return data

    def instances(self) -> list[dict[str, Any]]:
        """Return the instances from the control API (cheaper than the CLI when polling)."""
        status, body = self.api("GET", "/instances")
        assert status == 200, body
        views: list[dict[str, Any]] = body["instances"]
        return views

    def by_id(self) -> dict[str, dict[str, Any]]:
        return {view["instance"]: view for view in self.instances()}

    def supervisor(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.home / "cluster" / "supervisor.json").read_text())
        return data

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.supervisor()['control_port']}"

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Call the control API with the token the supervisor keeps in the home."""
        token = (self.home / "cluster" / "control.token").read_text().strip()
        response = httpx.request(
            method,
            self.control_url + path,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        return response.status_code, response.json()

    def wait_all_up(self, within_s: float = UP_TIMEOUT_S) -> list[dict[str, Any]]:
        return wait_until(
            lambda: (v := self.instances()) and all(i["state"] == "up" for i in v) and v,
            "every instance up",
            within_s=within_s,
        )

    def processes(self) -> list[psutil.Process]:
        """Return every process mentioning this home in its command line or environment."""
        found = []
        home = str(self.home)
        for proc in psutil.process_iter(["cmdline"]):
            try:
                if proc.pid == os.getpid():
                    continue
                mentions = any(home in part for part in proc.info["cmdline"] or []) or (
                    proc.environ().get("REELSTACK_HOME") == home
                )
                if mentions and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        return found

    def destroy(self) -> None:
        """Stop the cluster whatever state it is in (test teardown)."""
        try:
            self.cli("down", timeout=60)
        finally:
            for proc in self.processes():
                proc.send_signal(signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A cluster shared by a module's tests; each test leaves it with every instance up."""
    cluster = Cluster(tmp_path_factory.mktemp("home"))
    try:
        cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def new_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A cluster of the test's own, not started yet, with one instance per service."""
    cluster = Cluster(tmp_path / "home")
    cluster.env["REELSTACK_CLUSTER_INSTANCES"] = "1"
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def binaries() -> Binaries:
    return need_ffmpeg()


@pytest.fixture(scope="session")
def clips(binaries: Binaries, tmp_path_factory: pytest.TempPathFactory) -> ClipMaker:
    """Sources made with ffmpeg, as the integration tests make theirs."""
    return ClipMaker(binaries.ffmpeg, tmp_path_factory.mktemp("clips"))
