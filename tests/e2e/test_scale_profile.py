"""``reelstack up --profile scale``: the same cluster on the real engines, one command."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.support.engines import require
from tools.engines import load_state, scale_profile

pytestmark = pytest.mark.slow

ENGINE_VARIABLES = (
    "REELSTACK_TEST_KAFKA",
    "REELSTACK_TEST_CASSANDRA",
    "REELSTACK_TEST_POSTGRES",
    "REELSTACK_TEST_MEMCACHED_A",
    "REELSTACK_TEST_S3",
)


def test_the_scale_profile_runs_every_instance_on_the_real_engines(
    new_cluster: Cluster,
) -> None:
    for variable in ENGINE_VARIABLES:
        require(variable)
    new_cluster.home.mkdir(parents=True, exist_ok=True)
    (new_cluster.home / "reelstack.scale.toml").write_text(scale_profile(load_state()))

    # More instances than the default cluster, on real engines: twice the usual wait.
    new_cluster.ok("up", "--profile", "scale", "--timeout", str(2 * UP_TIMEOUT_S))
    instances = new_cluster.wait_all_up(within_s=2 * UP_TIMEOUT_S)
    hello = next(i for i in instances if i["service"] == "hello")
    base = f"http://127.0.0.1:{hello['port']}"

    ready = httpx.get(f"{base}/ready", timeout=10).json()
    assert ready["status"] == "up", ready
    # A visit goes to PostgreSQL and its count through memcached: both real.
    created = httpx.post(f"{base}/hello/visits", json={"name": "scale"}, timeout=10)
    assert created.status_code == 201, created.text
    visits = httpx.get(f"{base}/hello/visits", timeout=10).json()
    assert any(v["name"] == "scale" for v in visits["visits"])

    # ... and the row really is in PostgreSQL, not in a SQLite file.
    assert asyncio.run(_visits_named("scale")) >= 1
    assert not (new_cluster.home / "data" / "sql.db").exists()


async def _visits_named(name: str) -> int:
    url = require("REELSTACK_TEST_POSTGRES").replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(url)
    try:
        count = await connection.fetchval("SELECT count(*) FROM hello_visits WHERE name = $1", name)
    finally:
        await connection.close()
    return int(count)


def test_a_missing_profile_file_is_refused_naming_it(new_cluster: Cluster) -> None:
    result = new_cluster.cli("up", "--profile", "scale")
    assert result.returncode == 2
    assert "reelstack.scale.toml" in result.stdout + result.stderr


def test_a_half_embedded_scale_profile_is_refused_naming_what_is_left(
    new_cluster: Cluster,
) -> None:
    new_cluster.home.mkdir(parents=True, exist_ok=True)
    (new_cluster.home / "reelstack.scale.toml").write_text(
        '[log]\nurl = "kafka://127.0.0.1:9092"\n'
    )
    result = new_cluster.cli("up", "--profile", "scale")
    output = result.stdout + result.stderr
    assert result.returncode == 2
    for key in ("widecolumn.url", "sql.url", "cache.url", "blob.url"):
        assert key in output
    assert "log.url" not in output.split("embedded store:")[1]
