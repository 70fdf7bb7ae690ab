"""Cluster commands while no cluster runs: status is empty, others say how to start one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelstack.cluster.statefile import SupervisorLock
from tests.unit.cli.conftest import run


def test_status_when_not_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, tmp_path, "status", "--json")
    assert (code, json.loads(out)) == (0, [])
    code, out, _ = run(capsys, tmp_path, "status")
    assert code == 0 and "not running" in out
    code, out, _ = run(capsys, tmp_path, "instances", "list", "--json")
    assert (code, json.loads(out)) == (0, [])


def test_commands_that_need_the_cluster_say_it_is_not_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (
        ("instances", "kill", "hello-a-1"),
        ("scale", "hello", "3"),
        ("deploy", "start-version", "hello", "v2"),
    ):
        code, _, err = run(capsys, tmp_path, *args)
        assert code == 1, args
        assert "not running" in err and "reelstack up" in err


def test_down_when_not_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, tmp_path, "down")
    assert code == 0 and "not running" in out


def test_a_supervisor_still_starting_lists_no_instances(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A lock held with no state file: a supervisor still starting, from the CLI's view.
    lock = SupervisorLock(tmp_path)
    assert lock.acquire()
    try:
        code, out, _ = run(capsys, tmp_path, "status", "--json")
        assert (code, json.loads(out)) == (0, [])
    finally:
        lock.release()
