"""A supervisor running fake instances (tiny HTTP servers that start in milliseconds)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from reelstack.cluster import procs
from reelstack.cluster.api import create_app
from reelstack.cluster.forks import ForkServer
from reelstack.cluster.health import HttpHealthCheck
from reelstack.cluster.instance import Launcher
from reelstack.cluster.spares import SparePool
from reelstack.cluster.supervisor import ClusterPlan, Supervisor
from tests.support.wait import eventually

FAKE = Path(__file__).with_name("fake_instance.py")
ROOT = Path(__file__).resolve().parents[3]
# The real fork server, preloading next to nothing, whose children run the fake instance.
FORKSERVER = (
    sys.executable,
    "-m",
    procs.FORKSERVER_MODULE,
    "--run",
    "tests.unit.cluster.fake_instance:serve",
    "json",
)
# A crash-loop delay no test waits out: an instance up before any deadline skipped it.
NEVER_S = 3600.0

MakeSupervisor = Callable[..., Awaitable[Supervisor]]


def all_up(supervisor: Supervisor) -> bool:
    views = supervisor.views()
    return bool(views) and all(view["state"] == "up" for view in views)


@pytest.fixture
async def make_supervisor(tmp_path: Path) -> AsyncIterator[MakeSupervisor]:
    made: list[tuple[Supervisor, SparePool | None, ForkServer | None]] = []
    session = HttpHealthCheck.new_session()

    async def make(
        *,
        count: int = 2,
        env: dict[str, str] | None = None,
        spares: int = 0,
        fork_command: tuple[str, ...] | None = None,
        crash_backoff_s: float = 0.5,
        fixed_ports: dict[tuple[str, int], int] | None = None,
        port_settings: dict[str, str] | None = None,
    ) -> Supervisor:
        base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **(env or {})}
        launcher = Launcher(
            command=(sys.executable, str(FAKE)),
            env=base_env,
            home=tmp_path,
            health=HttpHealthCheck(session),
            grace_s=2.0,
            health_interval_s=0.02,
            up_health_interval_s=0.05,
            crash_backoff_s=crash_backoff_s,
            fixed_ports=fixed_ports or {},
            port_settings=port_settings or {},
            primary_version="v1",
        )
        pool = None
        if spares:
            pool = SparePool(
                env=base_env,
                home=tmp_path,
                size=spares,
                refill_delay_s=0,
                command=(sys.executable, str(FAKE), "--spare"),
            )
            launcher.spares = pool
        if fork_command is not None:
            path = os.pathsep.join(filter(None, [str(ROOT), base_env.get("PYTHONPATH")]))
            launcher.forks = ForkServer(
                env={**base_env, "PYTHONPATH": path}, home=tmp_path, command=fork_command
            )
        supervisor = Supervisor(
            ClusterPlan(services={"hello": count}, zones=("a", "b"), primary_version="v1"),
            launcher,
        )
        made.append((supervisor, pool, launcher.forks))
        await supervisor.start()
        return supervisor

    yield make
    for supervisor, pool, fork_server in made:
        if pool is not None:
            await pool.close()
        await supervisor.shutdown()
        if fork_server is not None:
            await fork_server.close()
    await session.close()


TOKEN = "test-token-" + "x" * 40


class Api:
    """The control API of a supervisor of fake instances, called with its token."""

    def __init__(self, client: TestClient[Any, Any], supervisor: Supervisor) -> None:
        self.client = client
        self.supervisor = supervisor
        self.shutdowns = 0
        self.auth = {"Authorization": f"Bearer {TOKEN}"}

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = await self.client.request(method, path, json=body, headers=self.auth)
        return response.status, await response.json()


@pytest.fixture
async def api(make_supervisor: MakeSupervisor) -> AsyncIterator[Api]:
    supervisor = await make_supervisor(count=2)
    await eventually(lambda: all_up(supervisor), "every instance up")
    holder: list[Api] = []

    def request_shutdown() -> None:
        holder[0].shutdowns += 1

    app = create_app(supervisor, request_shutdown, token=TOKEN)
    async with TestClient(TestServer(app)) as client:
        holder.append(Api(client, supervisor))
        yield holder[0]
