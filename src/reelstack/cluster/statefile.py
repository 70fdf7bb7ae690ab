"""Where the cluster keeps its state under the home folder, and the supervisor lock.

``<home>/cluster/supervisor.json`` says which supervisor runs (pid, start
time, control port) and which instance processes it started, each with its
start time, so ``reelstack down`` and the next supervisor can stop leftovers
without ever signalling an unrelated process that reused a pid.
``<home>/cluster/supervisor.lock`` is held (``flock``) by the running
supervisor for its whole life: the kernel drops it when the process dies, so
"is a supervisor running here?" never depends on a stale file.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reelstack.cluster.procs import ProcessRef

log = logging.getLogger(__name__)

_ACQUIRE_TRIES = 10


def cluster_dir(home: Path) -> Path:
    """Return the folder holding the supervisor's state."""
    return home / "cluster"


def logs_dir(home: Path) -> Path:
    """Return the folder holding the supervisor's and instances' logs."""
    return home / "logs"


def record_path(home: Path) -> Path:
    """Return the supervisor's state file."""
    return cluster_dir(home) / "supervisor.json"


def supervisor_log(home: Path) -> Path:
    """Return the supervisor's log file."""
    return logs_dir(home) / "supervisor.log"


def instance_log(home: Path, instance_id: str) -> Path:
    """Return an instance's log file (its stdout and stderr, across restarts)."""
    return logs_dir(home) / f"{instance_id}.log"


@dataclass
class InstanceRecord:
    """An instance process the supervisor started."""

    pid: int
    create_time: float
    port: int

    @property
    def ref(self) -> ProcessRef:
        return ProcessRef(self.pid, self.create_time)


@dataclass
class SupervisorRecord:
    """The contents of ``supervisor.json``."""

    pid: int
    create_time: float
    control_port: int
    started_at: float
    home: str
    instances: dict[str, InstanceRecord] = field(default_factory=dict)

    @property
    def ref(self) -> ProcessRef:
        return ProcessRef(self.pid, self.create_time)

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.control_port}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SupervisorRecord:
        instances = {
            str(name): InstanceRecord(int(i["pid"]), float(i["create_time"]), int(i["port"]))
            for name, i in data.get("instances", {}).items()
        }
        return cls(
            pid=int(data["pid"]),
            create_time=float(data["create_time"]),
            control_port=int(data["control_port"]),
            started_at=float(data["started_at"]),
            home=str(data["home"]),
            instances=instances,
        )


def read(home: Path) -> SupervisorRecord | None:
    """Return the recorded supervisor, or None if there is no (readable) record."""
    path = record_path(home)
    try:
        return SupervisorRecord.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # Written atomically, so this is a file someone edited; not worth failing over.
        log.warning("ignoring unreadable %s: %s", path, exc)
        return None


def write(home: Path, record: SupervisorRecord) -> None:
    """Replace the record atomically (readers see the old or the new file, never half)."""
    path = record_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".json.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record.to_json(), indent=2) + "\n")
    os.replace(tmp, path)


def remove(home: Path) -> None:
    """Delete the record, if any."""
    record_path(home).unlink(missing_ok=True)


class SupervisorLock:
    """The lock a running supervisor holds on ``<home>/cluster/supervisor.lock``."""

    def __init__(self, home: Path) -> None:
        self.path = cluster_dir(home) / "supervisor.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock for this process' life; return False if another supervisor holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        # A `status` run checks the lock by taking it for an instant; a few
        # tries keep that from passing for another supervisor.
        for attempt in range(_ACQUIRE_TRIES):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if attempt + 1 < _ACQUIRE_TRIES:
                    time.sleep(0.05)
                continue
            self._fd = fd
            return True
        os.close(fd)
        return False

    def release(self) -> None:
        """Release the lock (the kernel also releases it when the process exits)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def supervisor_running(home: Path) -> bool:
    """Return whether a supervisor holds the lock of the cluster at ``home``."""
    path = cluster_dir(home) / "supervisor.lock"
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
