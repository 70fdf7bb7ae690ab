"""A real Prometheus discovers targets from the guarded control API with the token file."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from aiohttp import web

from reelstack.cluster import auth
from reelstack.cluster.api import create_app
from reelstack.cluster.supervisor import Supervisor
from tests.support.engines import require
from tests.support.wait import wait_until
from tools.engines.prometheus import start_prometheus, stop_prometheus

pytestmark = pytest.mark.slow

GROUPS = [
    {
        "targets": ["127.0.0.1:9"],
        "labels": {"service": "hello", "instance_id": "hello-a-1", "zone": "a", "version": "v1"},
    }
]


class _Targets:
    """Stands in for the supervisor: only ``/prometheus/targets`` is called here."""

    shutting_down = False

    def prometheus_targets(self) -> list[dict[str, Any]]:
        return GROUPS


class ControlServer:
    """The control API served from its own thread and loop, as the supervisor serves it."""

    def __init__(self, app: web.Application) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(app, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        self.loop.run_until_complete(web.SockSite(self.runner, self.sock).start())
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()
        self.sock.close()


@pytest.fixture
def control(tmp_path: Path) -> Iterator[tuple[ControlServer, Path]]:
    home = tmp_path / "home"
    token = auth.ensure(home)
    supervisor = cast(Supervisor, _Targets())
    server = ControlServer(create_app(supervisor, lambda: None, token=token))
    try:
        yield server, auth.token_path(home)
    finally:
        server.close()


def _config(port: int, authorization: str) -> str:
    return (
        "global:\n  scrape_interval: 1h\n"
        "scrape_configs:\n"
        "  - job_name: reelstack\n"
        "    http_sd_configs:\n"
        f"      - url: http://127.0.0.1:{port}/prometheus/targets\n"
        "        refresh_interval: 1s\n"
        f"{authorization}"
    )


def _discovered(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(url + "/api/v1/targets", timeout=5) as response:
        data = json.loads(response.read())
    targets: list[dict[str, Any]] = data["data"]["activeTargets"]
    return targets


def test_prometheus_reads_the_targets_with_the_token_file(
    control: tuple[ControlServer, Path], tmp_path: Path
) -> None:
    require("REELSTACK_TEST_PROMETHEUS_BIN")
    server, token_file = control
    # `type: Bearer` spelled out: Prometheus 2.42's http_sd otherwise sends the
    # file's contents with no scheme, which the control API refuses.
    authorization = (
        "        authorization:\n"
        "          type: Bearer\n"
        f"          credentials_file: {token_file}\n"
    )
    prometheus, url = start_prometheus(_config(server.port, authorization), tmp_path / "prom")
    try:
        targets = wait_until(
            lambda: _discovered(url),
            "the control API's targets in Prometheus",
            interval_s=0.2,
            log=Path(prometheus.log).read_text,
        )
        assert targets[0]["labels"]["instance_id"] == "hello-a-1"
        assert targets[0]["scrapeUrl"] == "http://127.0.0.1:9/metrics"
    finally:
        stop_prometheus(prometheus)


def test_prometheus_without_the_token_discovers_nothing(
    control: tuple[ControlServer, Path], tmp_path: Path
) -> None:
    require("REELSTACK_TEST_PROMETHEUS_BIN")
    server, _ = control
    prometheus, url = start_prometheus(_config(server.port, ""), tmp_path / "prom")
    log = Path(prometheus.log)
    try:
        wait_until(
            lambda: "401" in log.read_text(),
            "Prometheus logging the control API's 401",
            interval_s=0.2,
            log=log.read_text,
        )
        assert _discovered(url) == []
    finally:
        stop_prometheus(prometheus)
