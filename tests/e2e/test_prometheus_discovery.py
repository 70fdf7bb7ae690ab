"""A real Prometheus finds every instance of a running cluster with no static targets.

It reads the registry's HTTP service discovery endpoint (Eureka's view of
who is up), so an instance that registers is scraped and one that dies drops
out, without editing Prometheus' configuration.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

import pytest

from tests.e2e.conftest import Cluster
from tests.support.engines import require
from tests.support.wait import wait_until
from tools.engines.prometheus import config_text, start_prometheus, stop_prometheus

pytestmark = pytest.mark.slow


def _query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    url = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as response:
        result: list[dict[str, Any]] = json.loads(response.read())["data"]["result"]
        return result


def test_prometheus_scrapes_every_instance_found_through_the_registry(
    cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    require("REELSTACK_TEST_PROMETHEUS_BIN")
    instances = cluster.wait_all_up()
    registry = next(i for i in instances if i["service"] == "registry")
    sd_url = f"http://127.0.0.1:{registry['port']}/prometheus/targets"
    expected = {i["instance"] for i in instances}
    # Every instance registers (and the registry lists it) before Prometheus looks.
    wait_until(
        lambda: (
            {
                group["labels"]["instance_id"]
                for group in json.loads(urllib.request.urlopen(sd_url, timeout=5).read())
            }
            >= expected
        ),
        "every instance listed by the registry's service discovery",
    )

    process, prometheus = start_prometheus(
        config_text(sd_url), tmp_path_factory.mktemp("prometheus")
    )
    try:

        def scraped_up() -> bool:
            up = _query(prometheus, "up == 1")
            return {r["metric"].get("instance_id") for r in up} >= expected

        wait_until(scraped_up, "Prometheus scraping every instance")
        series = _query(prometheus, 'sum by (service) (http_requests_total{route="/health"})')
        assert {r["metric"]["service"] for r in series} >= {"hello", "registry"}
    finally:
        stop_prometheus(process)
