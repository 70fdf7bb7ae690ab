"""A real Prometheus finds a real instance through HTTP service discovery and scrapes it."""

from __future__ import annotations

import json
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.engines import require
from tests.support.ports import free_port
from tests.support.processes import Child, Children
from tests.support.wait import wait_until
from tools.engines.prometheus import start_prometheus, stop_prometheus

pytestmark = pytest.mark.slow


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


class Discovery:
    """Serves Prometheus HTTP SD JSON listing ``targets`` at ``/targets``."""

    def __init__(self, targets: list[dict[str, Any]]) -> None:
        body = json.dumps(targets).encode()
        self.requests = 0

        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                self.send_response(200 if self.path == "/targets" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/targets"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[tuple[int, Child]]:
    """A real ``hello`` instance on a free port, stopped afterwards."""
    port = free_port()
    environ = {
        "REELSTACK_HOME": str(tmp_path / "home"),
        "REELSTACK_SERVICE_NAME": "hello",
        "REELSTACK_SERVICE_PORT": str(port),
        "REELSTACK_INSTANCE_ID": "hello-prom-1",
    }
    children = Children(tmp_path)
    try:
        yield (
            port,
            children.start(
                "instance", [sys.executable, "-m", "reelstack.chassis.run"], env=environ
            ),
        )
    finally:
        children.close(grace_s=15)


def test_prometheus_discovers_and_scrapes_an_instance(
    instance: tuple[int, Child], tmp_path: Path
) -> None:
    require("REELSTACK_TEST_PROMETHEUS_BIN")
    port, child = instance
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        with urllib.request.urlopen(base + "/health", timeout=2) as response:
            return int(response.status) == 200

    child.wait_until(healthy, "instance health")
    with urllib.request.urlopen(base + "/hello?name=prom", timeout=5) as response:
        assert response.status == 200

    discovery = Discovery([{"targets": [f"127.0.0.1:{port}"], "labels": {"service": "hello"}}])
    config = (
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: reelstack\n"
        "    http_sd_configs:\n"
        f"      - url: {discovery.url}\n"
        "        refresh_interval: 1s\n"
    )
    prometheus, url = start_prometheus(config, tmp_path / "prometheus")
    prometheus_log = Path(prometheus.log)
    try:

        def query(expr: str) -> list[dict[str, Any]]:
            q = urllib.parse.urlencode({"query": expr})
            reply = get_json(f"{url}/api/v1/query?{q}")
            assert reply["status"] == "success", reply
            result: list[dict[str, Any]] = reply["data"]["result"]
            return result

        up = wait_until(
            lambda: [r for r in query('up{service="hello"}') if r["value"][1] == "1"],
            'up{service="hello"} == 1',
            interval_s=0.2,
            log=prometheus_log.read_text,
        )
        assert up[0]["metric"]["instance"] == f"127.0.0.1:{port}"
        assert up[0]["metric"]["job"] == "reelstack"
        requests = wait_until(
            lambda: query('http_requests_total{service="hello",route="/hello"}'),
            "the instance's request counter in Prometheus",
            interval_s=0.2,
            log=prometheus_log.read_text,
        )
        assert float(requests[0]["value"][1]) >= 1
        assert requests[0]["metric"]["status"] == "200"
        assert discovery.requests >= 1
    finally:
        stop_prometheus(prometheus)
        discovery.close()
