"""The supervisor with fake instances: start, restart on death, backoff, scale, versions."""

from __future__ import annotations

import asyncio
import os
import signal

import psutil
import pytest

from reelstack.cluster import procs
from reelstack.cluster.model import State
from reelstack.cluster.supervisor import Supervisor
from reelstack.errors import ConflictError, NotFoundError
from tests.support.ports import taken_port
from tests.support.wait import eventually
from tests.unit.cluster.conftest import NEVER_S, MakeSupervisor, all_up


def state(supervisor: Supervisor, instance_id: str) -> str:
    return str(supervisor.get(instance_id).state.value)


async def test_starts_every_instance_spread_over_the_zones(make_supervisor: MakeSupervisor) -> None:
    supervisor = await make_supervisor(count=3)
    await eventually(lambda: all_up(supervisor), "every instance up")
    views = supervisor.views()
    assert [(v["instance"], v["zone"]) for v in views] == [
        ("hello-a-1", "a"),
        ("hello-b-1", "b"),
        ("hello-a-2", "a"),
    ]
    assert len({v["port"] for v in views}) == 3
    for view in views:
        assert psutil.pid_exists(view["pid"])
    assert set(supervisor.process_records()) == {"hello-a-1", "hello-b-1", "hello-a-2"}


async def test_a_killed_instance_comes_back_with_the_same_id(
    make_supervisor: MakeSupervisor,
) -> None:
    supervisor = await make_supervisor()
    await eventually(lambda: all_up(supervisor), "every instance up")
    instance = supervisor.get("hello-b-1")
    old_pid = instance.kill()
    await eventually(
        lambda: instance.state is State.UP and instance.view()["pid"] != old_pid,
        "hello-b-1 replaced",
    )
    view = instance.view()
    assert view["restarts"] == 1
    assert view["last_exit"] == -signal.SIGKILL
    assert view["zone"] == "b" and view["version"] == "v1"


async def test_a_quick_death_waits_for_the_crash_loop_delay(
    make_supervisor: MakeSupervisor,
) -> None:
    supervisor = await make_supervisor(count=1, crash_backoff_s=NEVER_S)
    await eventually(lambda: all_up(supervisor), "up")
    instance = supervisor.get("hello-a-1")
    pid = instance.view()["pid"]
    os.kill(pid, signal.SIGKILL)  # not through the API: an unexpected death
    await eventually(
        lambda: f"restarting in {NEVER_S:.1f}s" in instance.reason, "the crash-loop delay"
    )
    assert instance.state is State.DOWN
    # Stopping does not wait out the delay; starting again skips it.
    await instance.stop()
    assert instance.view()["desired"] == "stopped"
    instance.start()
    await eventually(lambda: instance.state is State.UP, "up again after start")


async def test_an_invalid_setting_is_not_retried(make_supervisor: MakeSupervisor) -> None:
    supervisor = await make_supervisor(count=1, env={"FAKE_EXIT": "2"})
    instance = supervisor.get("hello-a-1")
    await eventually(lambda: instance.view()["desired"] == "stopped", "given up on")
    view = instance.view()
    assert view["state"] == "down"
    assert view["last_exit"] == 2
    assert "invalid setting" in view["reason"]
    assert view["restarts"] == 1


async def test_a_port_race_moves_to_another_port_at_once(
    make_supervisor: MakeSupervisor, monkeypatch: pytest.MonkeyPatch
) -> None:
    with taken_port() as held_port:
        # Another process takes the port between the supervisor's choice and the bind.
        real_free_port = procs.free_port
        ports = iter([held_port])
        monkeypatch.setattr(procs, "free_port", lambda host: next(ports, None) or real_free_port())
        # A long crash-loop delay: coming up at all proves no delay was applied.
        supervisor = await make_supervisor(count=1, crash_backoff_s=NEVER_S)
        await eventually(lambda: all_up(supervisor), "up after the race")
        view = supervisor.get("hello-a-1").view()
        assert view["restarts"] == 1
        assert view["last_exit"] == 3
        assert view["port"] != held_port


async def test_a_taken_fixed_port_names_the_setting_that_moves_it(
    make_supervisor: MakeSupervisor,
) -> None:
    with taken_port() as held_port:
        supervisor = await make_supervisor(
            count=1,
            crash_backoff_s=NEVER_S,
            fixed_ports={("hello", 0): held_port},
            port_settings={"hello": "hello.port (REELSTACK_HELLO_PORT)"},
        )
        instance = supervisor.get("hello-a-1")
        await eventually(lambda: "restarting in" in instance.reason, "a crash-loop delay")
        assert f"its fixed port {held_port} is taken by another process" in instance.reason
        assert "set hello.port (REELSTACK_HELLO_PORT) to another port" in instance.reason
        assert instance.view()["port"] == held_port


async def test_exit_3_on_a_free_port_is_a_start_failure(make_supervisor: MakeSupervisor) -> None:
    supervisor = await make_supervisor(count=1, env={"FAKE_EXIT": "3"}, crash_backoff_s=NEVER_S)
    instance = supervisor.get("hello-a-1")
    await eventually(lambda: "restarting in" in instance.reason, "a crash-loop delay")
    assert "start-up failed" in instance.reason


async def test_restart_stop_and_start(make_supervisor: MakeSupervisor) -> None:
    supervisor = await make_supervisor(count=1)
    await eventually(lambda: all_up(supervisor), "up")
    instance = supervisor.get("hello-a-1")
    pid = instance.view()["pid"]
    await instance.restart()
    await eventually(lambda: instance.state is State.UP, "up after restart")
    assert instance.view()["pid"] != pid
    assert instance.view()["restarts"] == 1
    await instance.stop()
    view = instance.view()
    assert (view["state"], view["pid"], view["last_exit"]) == ("down", None, 0)
    with pytest.raises(ConflictError):
        instance.kill()
    instance.start()
    await eventually(lambda: instance.state is State.UP, "up after start")


async def test_scale_up_and_down(make_supervisor: MakeSupervisor) -> None:
    supervisor = await make_supervisor(count=2)
    await eventually(lambda: all_up(supervisor), "up")
    group = await supervisor.scale("hello", 4)
    assert [v["instance"] for v in group] == ["hello-a-1", "hello-b-1", "hello-a-2", "hello-b-2"]
    await eventually(lambda: all_up(supervisor), "four up")
    removed_pid = supervisor.get("hello-b-2").view()["pid"]
    group = await supervisor.scale("hello", 1)
    assert [v["instance"] for v in group] == ["hello-a-1"]
    assert not psutil.pid_exists(removed_pid) or psutil.Process(removed_pid).status() == "zombie"
    with pytest.raises(NotFoundError):
        await supervisor.scale("nope", 1)


async def test_other_versions_run_next_to_the_primary_one(make_supervisor: MakeSupervisor) -> None:
    supervisor = await make_supervisor(count=2)
    added = await supervisor.start_version("hello", "v2", 2)
    assert [v["instance"] for v in added] == ["hello-a-v2-1", "hello-b-v2-1"]
    await eventually(lambda: all_up(supervisor), "every instance up")
    targets = supervisor.prometheus_targets()
    assert sorted(t["labels"]["version"] for t in targets) == ["v1", "v1", "v2", "v2"]
    assert await supervisor.remove_version("hello", "v2") == ["hello-a-v2-1", "hello-b-v2-1"]
    assert [v["instance"] for v in supervisor.views()] == ["hello-a-1", "hello-b-1"]
    with pytest.raises(NotFoundError):
        await supervisor.remove_version("hello", "v2")


async def test_shutdown_stops_every_process(make_supervisor: MakeSupervisor) -> None:
    supervisor = await make_supervisor(count=3)
    await eventually(lambda: all_up(supervisor), "up")
    pids = [v["pid"] for v in supervisor.views()]
    stopped = await supervisor.shutdown()
    assert sorted(stopped) == ["hello-a-1", "hello-a-2", "hello-b-1"]
    for view in supervisor.views():
        assert (view["state"], view["last_exit"]) == ("down", 0)
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"


async def test_a_replacement_comes_from_a_warm_spare(make_supervisor: MakeSupervisor) -> None:
    supervisor = await make_supervisor(count=1, spares=1)
    await eventually(lambda: all_up(supervisor), "up")
    pool = supervisor.launcher.spares
    assert pool is not None
    pool.start()
    await eventually(lambda: len(pool.pids) == 1, "a spare ready")
    spare_pid = pool.pids[0]
    instance = supervisor.get("hello-a-1")
    instance.kill()
    await eventually(
        lambda: instance.state is State.UP and instance.view()["pid"] == spare_pid,
        "the spare became hello-a-1",
    )
    await eventually(lambda: len(pool.pids) == 1 and pool.pids[0] != spare_pid, "a new spare")


async def test_start_cuts_a_crash_loop_delay_short(make_supervisor: MakeSupervisor) -> None:
    supervisor = await make_supervisor(count=1, crash_backoff_s=NEVER_S)
    await eventually(lambda: all_up(supervisor), "up")
    instance = supervisor.get("hello-a-1")
    os.kill(instance.view()["pid"], signal.SIGKILL)
    await eventually(
        lambda: f"restarting in {NEVER_S:.1f}s" in instance.reason, "the crash-loop delay"
    )
    instance.start()
    await eventually(lambda: instance.state is State.UP, "up without waiting out the delay")
    assert "restarting in" not in instance.reason


@pytest.mark.parametrize("yields", [0, 1, 2, 5, 20])
async def test_stop_while_starting_never_hangs_or_leaks(
    make_supervisor: MakeSupervisor, yields: int
) -> None:
    supervisor = await make_supervisor(count=1)
    instance = supervisor.get("hello-a-1")
    for _ in range(yields):
        await asyncio.sleep(0)
    await asyncio.wait_for(instance.stop(), 10)
    view = instance.view()
    assert (view["state"], view["pid"], view["desired"]) == ("down", None, "stopped")
    assert supervisor.process_records() == {}
