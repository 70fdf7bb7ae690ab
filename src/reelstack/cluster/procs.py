"""Operating-system helpers: free ports, process identity, stopping, log tails.

A pid alone does not name a process: after one exits the kernel may give its
pid to an unrelated process. Every pid the cluster records comes with the
process' start time (psutil's ``create_time``), and nothing is signalled
unless both still match.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import psutil

log = logging.getLogger(__name__)

# Two processes started in the same clock tick share a create_time; the value
# is derived from boot time and start ticks, so a tolerance this small never
# confuses a pid's old and new owner (a pid is not reused within 10 ms).
_CREATE_TIME_TOLERANCE_S = 0.01

# Markers in the command line of the processes a cluster starts.
INSTANCE_MODULE = "reelstack.chassis.run"
DAEMON_MODULE = "reelstack.cluster.daemon"
SPARE_MODULE = "reelstack.cluster.spare"
FORKSERVER_MODULE = "reelstack.cluster.forkserver"
# What an instance process' command line says: started fresh, as a spare, or
# forked by the fork server (a child keeps its parent's command line).
INSTANCE_MARKERS = (INSTANCE_MODULE, SPARE_MODULE, FORKSERVER_MODULE)


def free_port(host: str = "127.0.0.1") -> int:
    """Return a port the OS says is free now (another process may take it before use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Return whether ``port`` can be listened on now, as the chassis would bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the chassis binds: TIME_WAIT leftovers of a dead instance do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
        return True


class InstanceProcess(Protocol):
    """What the supervisor needs of an instance's process, however it was started:
    an asyncio subprocess, a spare, or a child of the fork server."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    async def wait(self) -> int: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ProcessRef:
    """A process named by pid and start time, so a reused pid is never mistaken for it."""

    pid: int
    create_time: float

    @classmethod
    def of(cls, pid: int) -> ProcessRef | None:
        """Return a reference to the live process ``pid``, or None if there is none."""
        try:
            return cls(pid, psutil.Process(pid).create_time())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None

    def process(self) -> psutil.Process | None:
        """Return the process if it still runs and is the one recorded."""
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) > _CREATE_TIME_TOLERANCE_S:
                return None
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None

    def alive(self) -> bool:
        """Return whether the recorded process still runs."""
        return self.process() is not None


def terminate(refs: Iterable[ProcessRef], grace_s: float) -> list[int]:
    """SIGTERM every live recorded process, SIGKILL those alive after ``grace_s``.

    Return the pids that were running and have now stopped.
    """
    procs = [proc for ref in refs if (proc := ref.process()) is not None]
    for proc in procs:
        try:
            proc.terminate()
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(procs, timeout=grace_s)
    for proc in alive:
        log.warning("process %d ignored SIGTERM for %.1fs: killing it", proc.pid, grace_s)
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(alive, timeout=5)
    return [proc.pid for proc in procs]


def find_cluster_processes(home: Path, *, markers: tuple[str, ...]) -> list[ProcessRef]:
    """Return this user's processes started for the cluster at ``home``.

    A process qualifies when its command line contains one of ``markers`` and
    its environment sets ``REELSTACK_HOME`` to ``home``: the cluster's
    supervisor and instances always get that variable.
    """
    wanted = str(home)
    me = os.getpid()
    found: list[ProcessRef] = []
    for proc in psutil.process_iter(["pid", "cmdline", "create_time"]):
        try:
            if proc.pid == me:
                continue
            cmdline = proc.info["cmdline"] or []
            if not any(marker in part for part in cmdline for marker in markers):
                continue
            environ = proc.environ()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if environ.get("REELSTACK_HOME") == wanted:
            found.append(ProcessRef(proc.pid, proc.info["create_time"]))
    return found


def tail(path: Path, lines: int = 15, max_bytes: int = 16_384, start: int = 0) -> str:
    """Return the last ``lines`` lines of a log file after byte ``start`` ('' if none)."""
    try:
        with path.open("rb") as file:
            file.seek(0, os.SEEK_END)
            size = file.tell()
            file.seek(max(start, size - max_bytes))
            data = file.read()
    except FileNotFoundError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def readable(line: str) -> str:
    """Return a JSON log line as ``LEVEL logger: message`` plus the exception's last line."""
    try:
        entry = json.loads(line)
    except ValueError:
        return line
    if not isinstance(entry, dict) or "message" not in entry:
        return line
    text = f"{entry.get('level', '')} {entry.get('logger', '')}: {entry['message']}"
    exc_info = entry.get("exc_info")
    if isinstance(exc_info, str) and exc_info.strip():
        text += f" [{exc_info.strip().splitlines()[-1]}]"
    lines = text.splitlines()
    if len(lines) == 1:
        return text
    # A traceback logged as the message itself: its last line says what happened.
    head = lines[0].removesuffix("Traceback (most recent call last):").rstrip()
    return f"{head} {lines[-1].strip()}"
