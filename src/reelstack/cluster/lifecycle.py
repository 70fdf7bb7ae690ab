"""Start and stop the local cluster from outside it: what ``reelstack up`` and ``down`` do."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelstack.cluster import procs, statefile
from reelstack.cluster.client import ControlClient
from reelstack.cluster.model import State, describe_exit
from reelstack.cluster.statefile import SupervisorRecord
from reelstack.errors import ReelstackError, UnavailableError

log = logging.getLogger(__name__)

POLL_S = 0.05
# An instance that died this many times without ever answering /health will
# not come up by waiting longer.
CRASH_LOOP_RESTARTS = 2
LOG_TAIL_LINES = 8


@dataclass
class UpResult:
    """What ``up`` found or started."""

    record: SupervisorRecord
    instances: list[dict[str, Any]]
    already_running: bool
    elapsed_s: float


@dataclass
class DownResult:
    """What ``down`` stopped."""

    supervisor_pid: int | None = None
    instances: list[str] = field(default_factory=list)
    leftovers: list[int] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return self.supervisor_pid is not None or bool(self.instances or self.leftovers)


def _wait_for_record(
    home: Path, deadline: float, daemon: subprocess.Popen[bytes] | None, log_start: int = 0
) -> SupervisorRecord:
    while True:
        record = statefile.read(home)
        if record is not None and (daemon is None or record.pid == daemon.pid):
            return record
        if daemon is not None and daemon.poll() is not None:
            tail = readable_tail(statefile.supervisor_log(home), log_start)
            raise UnavailableError(
                f"the supervisor exited with code {daemon.returncode} before it started; "
                f"last lines of {statefile.supervisor_log(home)}:\n{tail}"
            )
        if time.monotonic() > deadline:
            raise UnavailableError(
                f"the supervisor did not write {statefile.record_path(home)} in time; "
                f"see {statefile.supervisor_log(home)}"
            )
        time.sleep(POLL_S)


def _failed(view: dict[str, Any]) -> bool:
    """Return whether an instance will not come up by waiting longer."""
    if view["state"] == State.DOWN and view["desired"] == "stopped":
        return True  # it refused to start (an invalid setting): it is not retried
    return view["up_at"] is None and view["restarts"] >= CRASH_LOOP_RESTARTS


def describe_failure(home: Path, view: dict[str, Any]) -> str:
    """Return why an instance is not up, with the end of its log."""
    reason = view.get("reason") or view["state"]
    text = f"instance {view['instance']} is not up ({view['state']}: {reason}"
    if view.get("restarts") and view.get("last_exit") is not None:
        text += f"; restarted {view['restarts']} times, last {describe_exit(view['last_exit'])}"
    text += ")"
    log_path = statefile.instance_log(home, view["instance"])
    tail = readable_tail(log_path)
    if tail:
        text += f"; last lines of {log_path}:\n{tail}"
    return text


def readable_tail(path: Path, start: int = 0) -> str:
    """Return the last lines of a JSON log after byte ``start``, as ``LEVEL logger: message``."""
    tail = procs.tail(path, lines=LOG_TAIL_LINES, start=start)
    return "\n".join(procs.readable(line) for line in tail.splitlines())


def up(home: Path, env: Mapping[str, str], timeout_s: float = 30.0) -> UpResult:
    """Start the supervisor detached and wait until every instance is up.

    If something does not come up by ``timeout_s``, or an instance refuses
    to start, the cluster is stopped again and UnavailableError names the
    instance with the end of its log. A cluster already running is left as is.
    """
    started = time.monotonic()
    deadline = started + timeout_s
    if statefile.supervisor_running(home):
        record = _wait_for_record(home, deadline, None)
        with ControlClient.of(record) as client:
            views = client.instances()
        return UpResult(record, views, already_running=True, elapsed_s=0.0)

    log_path = statefile.supervisor_log(home)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:
        # What this supervisor writes starts here; earlier runs are not its story.
        log_start = out.tell()
        daemon = subprocess.Popen(
            [sys.executable, "-m", procs.DAEMON_MODULE],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Its own session: no signal from this terminal reaches the cluster.
            start_new_session=True,
        )
    try:
        record = _wait_for_record(home, deadline, daemon, log_start)
        views = _wait_until_up(home, record, deadline, daemon, log_start)
    except ReelstackError:
        if daemon.poll() is None:
            down(home)
        raise
    return UpResult(record, views, already_running=False, elapsed_s=time.monotonic() - started)


def _wait_until_up(
    home: Path,
    record: SupervisorRecord,
    deadline: float,
    daemon: subprocess.Popen[bytes],
    log_start: int,
) -> list[dict[str, Any]]:
    with ControlClient.of(record) as client:
        while True:
            try:
                views = client.instances()
            except UnavailableError:
                if daemon.poll() is not None:
                    tail = readable_tail(statefile.supervisor_log(home), log_start)
                    raise UnavailableError(
                        f"the supervisor exited with code {daemon.returncode}; "
                        f"last lines of {statefile.supervisor_log(home)}:\n{tail}"
                    ) from None
                views = []
            if views and all(view["state"] == State.UP for view in views):
                return views
            failed = [view for view in views if _failed(view)]
            if failed:
                raise UnavailableError(describe_failure(home, failed[0]))
            if time.monotonic() > deadline:
                late = [view for view in views if view["state"] != State.UP]
                if not late:
                    raise UnavailableError("the supervisor did not answer in time")
                names = ", ".join(view["instance"] for view in late)
                raise UnavailableError(
                    f"not up in time: {names}; " + describe_failure(home, late[0])
                )
            time.sleep(POLL_S)


def _wait_gone(ref: procs.ProcessRef, deadline: float) -> bool:
    while ref.alive():
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_S)
    return True


def down(home: Path, grace_s: float = 10.0) -> DownResult:
    """Stop the cluster at ``home``: instances first, then the supervisor.

    Asks the control API to shut down and waits for the supervisor to exit.
    If it does not answer, or does not exit in time, it gets SIGTERM then
    SIGKILL. Last, any instance process still running for this home (recorded
    in the state file, or found by its environment) is stopped the same way.
    """
    result = DownResult()
    record = statefile.read(home)
    recorded: set[procs.ProcessRef] = set()
    if record is not None:
        recorded.update(i.ref for i in record.instances.values())
    if statefile.supervisor_running(home) and record is not None:
        result.supervisor_pid = record.pid
        deadline = time.monotonic() + grace_s + 10
        asked = False
        try:
            with ControlClient.of(record, timeout_s=3) as client:
                result.instances = list(client.shutdown()["stopping"])
                asked = True
        except ReelstackError as exc:
            log.warning("the supervisor did not take the shutdown request: %s", exc)
        if not asked or not _wait_gone(record.ref, deadline):
            # SIGTERM makes the supervisor stop its instances too.
            procs.terminate([record.ref], grace_s + 5)
    elif statefile.supervisor_running(home):
        # A supervisor that has not written its state file yet.
        daemons = procs.find_cluster_processes(home, markers=(procs.DAEMON_MODULE,))
        if daemons:
            result.supervisor_pid = daemons[0].pid
        procs.terminate(daemons, grace_s + 5)
    latest = statefile.read(home)
    if latest is not None:
        recorded.update(i.ref for i in latest.instances.values())
    recorded.update(procs.find_cluster_processes(home, markers=procs.INSTANCE_MARKERS))
    result.leftovers = procs.terminate(recorded, 5.0)
    if not statefile.supervisor_running(home):
        statefile.remove(home)
    return result
