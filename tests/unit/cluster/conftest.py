"""A supervisor running fake instances (tiny HTTP servers that start in milliseconds)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from reelstack.cluster.health import HttpHealthCheck
from reelstack.cluster.instance import Launcher
from reelstack.cluster.spares import SparePool
from reelstack.cluster.supervisor import ClusterPlan, Supervisor

FAKE = Path(__file__).with_name("fake_instance.py")
# A crash-loop delay no test waits out: an instance up before any deadline skipped it.
NEVER_S = 3600.0

MakeSupervisor = Callable[..., Awaitable[Supervisor]]


def all_up(supervisor: Supervisor) -> bool:
    views = supervisor.views()
    return bool(views) and all(view["state"] == "up" for view in views)


@pytest.fixture
async def make_supervisor(tmp_path: Path) -> AsyncIterator[MakeSupervisor]:
    made: list[tuple[Supervisor, SparePool | None]] = []
    session = HttpHealthCheck.new_session()

    async def make(
        *,
        count: int = 2,
        env: dict[str, str] | None = None,
        spares: int = 0,
        crash_backoff_s: float = 0.5,
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
        supervisor = Supervisor(
            ClusterPlan(services={"hello": count}, zones=("a", "b"), primary_version="v1"),
            launcher,
        )
        made.append((supervisor, pool))
        await supervisor.start()
        return supervisor

    yield make
    for supervisor, pool in made:
        if pool is not None:
            await pool.close()
        await supervisor.shutdown()
    await session.close()
