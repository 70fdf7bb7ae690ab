"""The CLI drives a guarded control API with the token from its home's file."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from reelstack.cli.main import main
from reelstack.cluster import auth, procs, statefile
from reelstack.cluster.api import create_app
from reelstack.cluster.statefile import SupervisorLock, SupervisorRecord
from reelstack.cluster.supervisor import Supervisor
from tests.support.wait import eventually
from tests.unit.cluster.conftest import MakeSupervisor, all_up


@dataclass
class Running:
    home: Path
    supervisor: Supervisor
    stand_in: subprocess.Popen[bytes]
    capsys: pytest.CaptureFixture[str]

    async def cli(self, *args: str) -> tuple[int, str, str]:
        """Run ``reelstack --home HOME ARGS`` off the loop that serves the API."""
        code = await asyncio.to_thread(main, ["--home", str(self.home), *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("REELSTACK_"):
            monkeypatch.delenv(name)
    yield


@pytest.fixture
def stand_in() -> Iterator[subprocess.Popen[bytes]]:
    """A child process standing in for the supervisor's pid."""
    child = subprocess.Popen(["sleep", "600"])
    yield child
    child.kill()
    child.wait()


@pytest.fixture
async def running(
    tmp_path: Path,
    make_supervisor: MakeSupervisor,
    capsys: pytest.CaptureFixture[str],
    clean_env: None,
    stand_in: subprocess.Popen[bytes],
) -> AsyncIterator[Running]:
    """A home whose lock, state file and token name an in-process control API.

    The state file's supervisor pid is a stand-in child process, so the
    `down` command waits for (and may signal) it, never the test process.
    """
    home = tmp_path / "home"
    supervisor = await make_supervisor(count=2)
    await eventually(lambda: all_up(supervisor), "every instance up")
    lock = SupervisorLock(home)
    assert lock.acquire()
    app = create_app(supervisor, stand_in.terminate, token=auth.ensure(home))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        ref = procs.ProcessRef.of(stand_in.pid)
        assert ref is not None and server.port is not None
        record = SupervisorRecord(
            pid=stand_in.pid,
            create_time=ref.create_time,
            control_port=server.port,
            started_at=time.time(),
            home=str(home),
        )
        statefile.write(home, record)
        yield Running(home, supervisor, stand_in, capsys)
    finally:
        await server.close()
        lock.release()


async def test_status_kill_scale_and_down_work_with_the_token(running: Running) -> None:
    code, out, err = await running.cli("status", "--json")
    assert code == 0, err
    assert [view["instance"] for view in json.loads(out)] == ["hello-a-1", "hello-b-1"]
    old = running.supervisor.get("hello-a-1").view()["pid"]
    code, _, err = await running.cli("instances", "kill", "hello-a-1")
    assert code == 0, err
    instance = running.supervisor.get("hello-a-1")
    await eventually(lambda: instance.view()["pid"] not in (None, old), "replaced")
    code, _, err = await running.cli("scale", "hello", "3")
    assert code == 0, err
    assert len(running.supervisor.views()) == 3
    code, _, err = await running.cli("down")
    assert code == 0, err
    await eventually(lambda: running.stand_in.poll() is not None, "the supervisor asked to stop")


async def test_a_wrong_token_file_makes_the_cli_say_so(running: Running) -> None:
    auth.token_path(running.home).write_text("y" * 43 + "\n")
    code, _, err = await running.cli("instances", "kill", "hello-a-1")
    assert code != 0
    assert "control.token" in err
