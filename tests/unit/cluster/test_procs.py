"""Process identity, finding a cluster's processes, ports and log tails."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelstack.cluster import procs
from reelstack.cluster.procs import ProcessRef
from tests.support.wait import wait_until


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", procs.INSTANCE_MODULE],
        env={"REELSTACK_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_a_pid_with_another_start_time_is_not_the_recorded_process(
    sleeper: subprocess.Popen[bytes],
) -> None:
    ref = ProcessRef.of(sleeper.pid)
    assert ref is not None and ref.alive()
    impostor = ProcessRef(sleeper.pid, ref.create_time - 5)
    assert not impostor.alive()
    assert procs.terminate([impostor], grace_s=1) == []
    assert sleeper.poll() is None, "a process with another start time was signalled"
    assert procs.terminate([ref], grace_s=5) == [sleeper.pid]
    assert not ref.alive()


def test_cluster_processes_are_found_by_home_and_command_line(
    sleeper: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    found = wait_until(
        lambda: procs.find_cluster_processes(tmp_path, markers=procs.INSTANCE_MARKERS),
        "the process to be found",
    )
    assert [ref.pid for ref in found] == [sleeper.pid]
    assert procs.find_cluster_processes(tmp_path / "other", markers=procs.INSTANCE_MARKERS) == []
    assert procs.find_cluster_processes(tmp_path, markers=(procs.DAEMON_MODULE,)) == []


def test_ports() -> None:
    port = procs.free_port()
    assert procs.port_is_free(port)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert not procs.port_is_free(port)


def test_log_tails_are_short_and_readable(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    assert procs.tail(log) == ""
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert procs.tail(log, lines=2) == "line 98\nline 99"
    size = log.stat().st_size
    with log.open("a") as file:
        file.write("new 1\n")
    assert procs.tail(log, start=size) == "new 1"
    line = json.dumps(
        {
            "level": "ERROR",
            "logger": "reelstack.chassis.run",
            "message": "cannot open sql",
            "exc_info": "Traceback...\n  File x\nStoreCorruptError: bad header\n",
        }
    )
    assert procs.readable(line) == (
        "ERROR reelstack.chassis.run: cannot open sql [StoreCorruptError: bad header]"
    )
    assert procs.readable("plain text") == "plain text"
    traceback_message = json.dumps(
        {
            "level": "ERROR",
            "logger": "uvicorn.error",
            "message": "Traceback (most recent call last):\n  File x\nValueError: nope",
        }
    )
    assert procs.readable(traceback_message) == "ERROR uvicorn.error: ValueError: nope"
