"""What checking a registry write's credential costs beside the write itself.

Figure: checks of an ``Authorization`` header per second
(:class:`CredentialChecker`); anchor: authenticated heartbeats per second
through the registry's whole app in-process (ASGI, no sockets), measured in
the same run. A ratio far above 1 means the check is a small share of a
heartbeat's cost.

    .venv/bin/python -m bench.bench_registry_auth
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import Result, header, report
from reelstack import settings
from reelstack.config import Config
from reelstack.registry.app import create_app
from reelstack.registry_credentials import CredentialChecker, authorization, cluster_key

CHECKS = 50_000
HEARTBEATS = 2_000
BODY = {
    "instance": {
        "instanceId": "bench-1",
        "hostName": "127.0.0.1",
        "app": "BENCH",
        "ipAddr": "127.0.0.1",
        "status": "UP",
        "port": {"$": 9000, "@enabled": "true"},
        "vipAddress": "bench",
        "dataCenterInfo": {"@class": "x", "name": "MyOwn"},
    }
}


def checks_per_s(key: bytes) -> float:
    checker = CredentialChecker(key)
    header_value = authorization(key, "bench")
    start = time.perf_counter()
    for _ in range(CHECKS):
        checker.check_app(header_value, "BENCH")
    return CHECKS / (time.perf_counter() - start)


async def heartbeats_per_s(config: Config) -> float:
    app = create_app(config, poll_properties=False)
    auth = {"Authorization": authorization(cluster_key(config), "bench")}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://registry", headers=auth
        ) as client:
            assert (await client.post("/eureka/apps/BENCH", json=BODY)).status_code == 204
            start = time.perf_counter()
            for _ in range(HEARTBEATS):
                answer = await client.put("/eureka/apps/BENCH/bench-1")
                assert answer.status_code == 200
            return HEARTBEATS / (time.perf_counter() - start)


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        config = Config.load(
            settings.REGISTRY,
            environ={
                "REELSTACK_HOME": str(Path(home)),
                "REELSTACK_SERVICE_NAME": "registry",
                "REELSTACK_SERVICE_PORT": "18761",
                "REELSTACK_LOGGING_ACCESS": "false",
            },
        )
        anchor = asyncio.run(heartbeats_per_s(config))
        figure = checks_per_s(cluster_key(config))
    header()
    report(
        Result(
            "registry credential check",
            figure,
            "checks/s",
            "authenticated heartbeat, in-process",
            anchor,
            "ratio >= 20",
        )
    )


if __name__ == "__main__":
    main()
