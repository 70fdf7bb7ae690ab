"""The state file and the supervisor lock."""

from __future__ import annotations

import json
from pathlib import Path

from reelstack.cluster import statefile
from reelstack.cluster.statefile import InstanceRecord, SupervisorLock, SupervisorRecord


def test_the_record_round_trips(tmp_path: Path) -> None:
    assert statefile.read(tmp_path) is None
    record = SupervisorRecord(
        pid=10,
        create_time=123.5,
        control_port=7070,
        started_at=99.0,
        home=str(tmp_path),
        instances={"hello-a-1": InstanceRecord(11, 124.25, 4000)},
    )
    statefile.write(tmp_path, record)
    assert statefile.read(tmp_path) == record
    assert record.control_url == "http://127.0.0.1:7070"
    statefile.remove(tmp_path)
    assert statefile.read(tmp_path) is None


def test_an_unreadable_record_counts_as_none(tmp_path: Path) -> None:
    path = statefile.record_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('{"pid": ')
    assert statefile.read(tmp_path) is None
    path.write_text(json.dumps({"pid": 1}))
    assert statefile.read(tmp_path) is None


def test_the_lock_says_whether_a_supervisor_runs(tmp_path: Path) -> None:
    assert not statefile.supervisor_running(tmp_path)
    lock = SupervisorLock(tmp_path)
    assert lock.acquire()
    try:
        assert statefile.supervisor_running(tmp_path)
        assert not SupervisorLock(tmp_path).acquire()
    finally:
        lock.release()
    assert not statefile.supervisor_running(tmp_path)
