"""What every engine module builds on: its context, its processes, its state.

An engine module (``tools/engines/<name>.py``) defines a class with ``name``,
``install(ctx)`` and ``start(ctx) -> EngineState``; ``stop`` and per-process
restart are generic (every process is recorded with the argv that started
it). State is JSON in ``.engines/state.json`` so tests in other processes
find each engine's addresses and may stop and restart a single process (a
Kafka broker, a memcached zone) to prove the adapters survive it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[2]


def state_dir() -> Path:
    """Where engine state and data live (``REELSTACK_ENGINES_DIR`` moves it)."""
    return Path(os.environ.get("REELSTACK_ENGINES_DIR", ROOT / ".engines")).resolve()


def cache_root() -> Path:
    """Downloads kept between runs and clones on this machine."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reelstack" / "engines"


class EngineError(RuntimeError):
    """An engine could not be installed, started or stopped; says which and why."""


@dataclass
class ProcessState:
    """One OS process of an engine, with what it takes to start it again."""

    pid: int
    argv: list[str]
    log: str
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    create_time: float = 0.0


@dataclass
class EngineState:
    """A started engine: its processes, the test environment it offers, and extras."""

    name: str
    processes: dict[str, ProcessState] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    started_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EngineState:
        processes = {k: ProcessState(**v) for k, v in data.get("processes", {}).items()}
        return cls(
            name=data["name"],
            processes=processes,
            env=dict(data.get("env", {})),
            extra=dict(data.get("extra", {})),
            started_s=float(data.get("started_s", 0.0)),
        )


def _create_time(pid: int) -> float:
    try:
        import psutil

        return float(psutil.Process(pid).create_time())
    except Exception:  # noqa: BLE001 - psutil may be missing or the pid gone
        return 0.0


def alive(process: ProcessState) -> bool:
    """Whether the recorded process still runs (and is the same process)."""
    try:
        os.kill(process.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if process.create_time and abs(_create_time(process.pid) - process.create_time) > 1.0:
        return False
    # A process that exited but whose parent (the `run` wrapper that started
    # the engines, say) has not reaped it yet is gone, whatever kill(0) says.
    if _zombie(process.pid):
        return False
    # A zombie child of ours counts as gone.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(process.pid, os.WNOHANG)
        if done:
            return False
    return True


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state follows the command name, which is in parentheses.
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


@dataclass
class Context:
    """Where one engine keeps its data and downloads, and how it runs processes."""

    name: str
    run_dir: Path  # data and logs; removed by ``down``
    cache_dir: Path  # downloads; kept
    spawned: list[ProcessState] = field(default_factory=list)

    def free_port(self) -> int:
        """Return a port that is free on 127.0.0.1 now."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def spawn(
        self,
        proc_name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> ProcessState:
        """Start ``argv`` detached, its output in ``run_dir/<proc_name>.log``."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.run_dir / f"{proc_name}.log"
        process = spawn_process(
            ProcessState(
                pid=0,
                argv=list(argv),
                log=str(log_path),
                env=dict(env or {}),
                cwd=str(cwd) if cwd else None,
            )
        )
        self.spawned.append(process)
        return process

    def wait_until(
        self,
        probe: Callable[[], bool],
        *,
        what: str,
        timeout_s: float,
        processes: Sequence[ProcessState] = (),
        interval_s: float = 0.2,
    ) -> None:
        """Poll ``probe`` until true; fail naming ``what`` with the log tail at the deadline."""
        wait_until(
            probe, what=what, timeout_s=timeout_s, processes=processes, interval_s=interval_s
        )

    def run(self, argv: Sequence[str], *, what: str, timeout_s: float = 600, **kw: Any) -> str:
        """Run a set-up command to completion; fail with its output when it fails."""
        try:
            done = subprocess.run(
                list(argv), capture_output=True, text=True, timeout=timeout_s, check=False, **kw
            )
        except subprocess.TimeoutExpired as exc:
            raise EngineError(f"{self.name}: {what} took longer than {timeout_s}s") from exc
        if done.returncode != 0:
            tail = (done.stdout + done.stderr)[-3000:]
            raise EngineError(f"{self.name}: {what} failed ({done.returncode}):\n{tail}")
        return done.stdout


def spawn_process(process: ProcessState) -> ProcessState:
    """(Re)start a recorded process detached from us; return it with its new pid."""
    env = {**os.environ, **process.env}
    with open(process.log, "ab") as out:
        child = subprocess.Popen(
            process.argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=process.cwd,
            start_new_session=True,
        )
    process.pid = child.pid
    process.create_time = _create_time(child.pid)
    return process


def log_tail(process: ProcessState, lines: int = 30) -> str:
    try:
        text = Path(process.log).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def wait_until(
    probe: Callable[[], bool],
    *,
    what: str,
    timeout_s: float,
    processes: Sequence[ProcessState] = (),
    interval_s: float = 0.2,
) -> None:
    """Poll ``probe`` until true, failing early if a watched process died."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if probe():
                return
        except Exception:  # noqa: BLE001 - a probe failing means "not yet"
            pass
        for process in processes:
            if not alive(process):
                raise EngineError(
                    f"{what}: process {process.argv[0]} (pid {process.pid}) exited;"
                    f" log {process.log}:\n{log_tail(process)}"
                )
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.log}\n{log_tail(p)}" for p in processes)
            raise EngineError(f"{what}: not ready within {timeout_s}s\n{tails}")
        time.sleep(interval_s)


def stop_process(process: ProcessState, *, grace_s: float = 20.0, hard: bool = False) -> None:
    """Stop one process (its whole session): SIGTERM, then SIGKILL after ``grace_s``."""
    if not alive(process):
        return
    sig = signal.SIGKILL if hard else signal.SIGTERM
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    deadline = time.monotonic() + grace_s
    while alive(process) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(process):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while alive(process) and time.monotonic() < deadline:
            time.sleep(0.1)


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def apt_install(ctx: Context, packages: Sequence[str], *, check: Sequence[str]) -> None:
    """Install Debian packages unless every path in ``check`` already exists."""
    if all(Path(p).exists() for p in check):
        return
    if shutil.which("apt-get") is None:
        raise EngineError(f"{ctx.name}: needs {' '.join(packages)} and apt-get is not here")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    ctx.run(["apt-get", "update", "-qq"], what="apt-get update", env=env)
    ctx.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        what=f"apt-get install {' '.join(packages)}",
        env=env,
    )
    missing = [p for p in check if not Path(p).exists()]
    if missing:
        raise EngineError(f"{ctx.name}: installed {packages} but {missing} are missing")


class Engine(Protocol):
    """One engine: installs itself (cached) and starts ready-to-use processes."""

    name: str

    def install(self, ctx: Context) -> None:
        """Install or download what the engine needs; idempotent and cached."""
        ...

    def start(self, ctx: Context) -> EngineState:
        """Start every process, wait until ready (polling with a deadline)."""
        ...

    def ready(self, state: EngineState, proc_name: str) -> bool:
        """Whether one (restarted) process serves again."""
        ...


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(tmp, path)
