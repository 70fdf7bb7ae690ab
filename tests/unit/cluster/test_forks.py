"""Instances forked from the preloaded parent: started, replaced, reported and stopped as
if the supervisor had spawned them, and started anyway when the parent cannot be had."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import psutil

from reelstack.cluster.forks import MAX_FAILURES, ForkServer
from reelstack.cluster.model import State
from reelstack.cluster.supervisor import Supervisor
from tests.support.wait import eventually
from tests.unit.cluster.conftest import FORKSERVER, MakeSupervisor, all_up


def _forks(supervisor: Supervisor) -> ForkServer:
    forks = supervisor.launcher.forks
    assert forks is not None
    return forks


def _parent(pid: int) -> int:
    return psutil.Process(pid).ppid()


def _gone(pid: int) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


async def test_every_instance_is_a_child_of_the_fork_server(
    make_supervisor: MakeSupervisor,
) -> None:
    supervisor = await make_supervisor(count=2, fork_command=FORKSERVER)
    await eventually(lambda: all_up(supervisor), "every instance up")
    server = _forks(supervisor).pid
    assert server is not None
    assert {_parent(view["pid"]) for view in supervisor.views()} == {server}


async def test_a_killed_instance_is_forked_again_with_the_same_id(
    make_supervisor: MakeSupervisor,
) -> None:
    supervisor = await make_supervisor(count=2, fork_command=FORKSERVER)
    await eventually(lambda: all_up(supervisor), "every instance up")
    instance = supervisor.get("hello-b-1")
    old_pid = instance.kill()
    await eventually(
        lambda: instance.state is State.UP and instance.view()["pid"] != old_pid,
        "hello-b-1 replaced",
    )
    view = instance.view()
    assert (view["restarts"], view["last_exit"]) == (1, -signal.SIGKILL)
    assert _parent(view["pid"]) == _forks(supervisor).pid


async def test_a_forked_instance_exit_code_reaches_the_supervisor(
    make_supervisor: MakeSupervisor,
) -> None:
    supervisor = await make_supervisor(count=1, env={"FAKE_EXIT": "2"}, fork_command=FORKSERVER)
    instance = supervisor.get("hello-a-1")
    await eventually(lambda: instance.view()["desired"] == "stopped", "given up on")
    view = instance.view()
    assert (view["state"], view["last_exit"]) == ("down", 2)
    assert "invalid setting" in view["reason"]


async def test_when_the_fork_server_dies_its_instances_come_back_from_a_new_one(
    make_supervisor: MakeSupervisor,
) -> None:
    supervisor = await make_supervisor(count=2, fork_command=FORKSERVER)
    await eventually(lambda: all_up(supervisor), "every instance up")
    old_server = _forks(supervisor).pid
    assert old_server is not None
    old_pids = [view["pid"] for view in supervisor.views()]
    os.kill(old_server, signal.SIGKILL)
    # The instances get SIGTERM from the kernel with their parent gone, exit,
    # and are forked again by a new fork server.
    await eventually(
        lambda: all_up(supervisor) and not {v["pid"] for v in supervisor.views()} & set(old_pids),
        "every instance replaced",
    )
    assert all(_gone(pid) for pid in old_pids)
    new_server = _forks(supervisor).pid
    assert new_server not in (None, old_server)
    for view in supervisor.views():
        assert view["restarts"] == 1 and view["last_exit"] == -signal.SIGTERM
        assert _parent(view["pid"]) == new_server


async def test_after_an_edit_to_preloaded_code_a_fresh_fork_server_takes_over(
    make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "preloaded_code.py").write_text("VALUE = 1\n")
    supervisor = await make_supervisor(
        count=2, env={"PYTHONPATH": str(code)}, fork_command=(*FORKSERVER, "preloaded_code")
    )
    await eventually(lambda: all_up(supervisor), "every instance up")
    forks = _forks(supervisor)
    old_server = forks.pid
    assert old_server is not None
    stat = (code / "preloaded_code.py").stat()
    os.utime(code / "preloaded_code.py", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))

    first, second = supervisor.get("hello-a-1"), supervisor.get("hello-b-1")
    old_pid = first.kill()
    await eventually(
        lambda: first.state is State.UP and first.view()["pid"] != old_pid, "hello-a-1 replaced"
    )
    new_server = forks.pid
    assert new_server not in (None, old_server)
    assert _parent(first.view()["pid"]) == new_server
    # The old one still reports the instance it forked before the edit.
    assert sorted(forks.pids) == sorted([old_server, new_server])
    assert _parent(second.view()["pid"]) == old_server
    old_pid = second.kill()
    await eventually(
        lambda: second.state is State.UP and second.view()["pid"] != old_pid, "hello-b-1 replaced"
    )
    assert second.view()["last_exit"] == -signal.SIGKILL
    assert _parent(second.view()["pid"]) == new_server
    # With its last instance gone, the old fork server exits.
    await eventually(lambda: forks.pids == [new_server], "the old fork server gone")
    assert _gone(old_server)


async def test_shutdown_and_close_leave_no_process(make_supervisor: MakeSupervisor) -> None:
    supervisor = await make_supervisor(count=2, fork_command=FORKSERVER)
    await eventually(lambda: all_up(supervisor), "every instance up")
    forks = _forks(supervisor)
    pids = [view["pid"] for view in supervisor.views()] + [forks.pid]
    await supervisor.shutdown()
    await forks.close()
    for view in supervisor.views():
        assert (view["state"], view["last_exit"]) == ("down", 0)
    assert all(pid is not None and _gone(pid) for pid in pids)


async def test_without_a_fork_server_instances_start_as_fresh_processes(
    make_supervisor: MakeSupervisor,
) -> None:
    broken = (sys.executable, "-c", "import sys; sys.exit(1)")
    supervisor = await make_supervisor(count=2, fork_command=broken)
    await eventually(lambda: all_up(supervisor), "every instance up")
    assert all(_parent(view["pid"]) == os.getpid() for view in supervisor.views())
    # A replacement tries the fork server again until it has failed too often.
    instance = supervisor.get("hello-a-1")
    for attempt in range(MAX_FAILURES):
        old_pid = instance.kill()
        await eventually(
            lambda old=old_pid: instance.state is State.UP and instance.view()["pid"] != old,
            f"hello-a-1 replaced ({attempt})",
        )
    assert _forks(supervisor).pid is None
