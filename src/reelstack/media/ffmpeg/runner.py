"""Run ffmpeg or ffprobe: an argv list (never a shell), in a private job folder, under limits.

Each run gets operating-system limits set in the child before it executes
(CPU seconds, size of any file it writes, address space, open files, no core
dumps), its own process group so a wall-clock timeout kills it and anything it
started, a scrubbed environment (no proxy variables, no locale surprises), and
stdin closed. With ``progress=True`` the argv must carry ``-progress pipe:1``;
the runner turns its ``out_time_us`` lines into a fraction for a callback.
stderr is read continuously and its tail kept for the error message.
"""

from __future__ import annotations

import collections
import contextlib
import os
import resource
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from reelstack.media.ffmpeg.errors import FfmpegError, FfmpegLimitError, FfmpegTimeoutError
from reelstack.pdeathsig import parent_death_signal

ProgressCallback = Callable[[float], None]

_STDERR_TAIL_LINES = 20
_STDOUT_MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for one ffmpeg/ffprobe process."""

    cpu_s: int = 3600
    """CPU seconds (all threads together) before the kernel kills the process."""
    output_bytes: int = 16 * 1024**3
    """Largest file the process may write; past it the kernel stops it (SIGXFSZ)."""
    address_space_bytes: int = 8 * 1024**3
    """Virtual memory; generous because thread stacks and malloc arenas reserve a lot."""
    open_files: int = 256
    wall_s: float = 7200.0
    """Wall-clock seconds before the runner kills the process group."""


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a successful run left behind."""

    stdout: bytes
    stderr_tail: str
    elapsed_s: float
    progress: dict[str, str]
    """The last ``-progress`` block (frame, out_time_us, ...), empty without progress."""
    cpu_s: float = 0.0
    """CPU seconds the process used (user and system, all threads): steadier than
    wall-clock time on a shared machine."""


def make_job_folder(root: Path | None = None, prefix: str = "job-") -> Path:
    """Create a private (0700) job folder under ``root`` (the system temp folder by default)."""
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root)).resolve()


def _check_job_folder(cwd: Path) -> None:
    info = os.lstat(cwd)
    if not stat.S_ISDIR(info.st_mode):
        raise ValueError(f"job folder {cwd} is not a directory")
    if info.st_mode & 0o077:
        raise ValueError(f"job folder {cwd} is readable by others (mode {info.st_mode & 0o777:o})")


def _scrubbed_env(threads: int | None) -> dict[str, str]:
    # No proxy variables (an ffmpeg that somehow reached the network would use
    # them) and a fixed locale so messages parse the same everywhere.
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C", "LANG": "C"}
    # glibc reserves 64 MiB of address space per malloc arena and thread; cap
    # the arenas so the address-space limit measures real use.
    env["MALLOC_ARENA_MAX"] = "2"
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    return env


def _limiter(limits: Limits) -> Callable[[], None]:
    # Runs in the child between fork and exec: only setrlimit and prctl calls
    # resolved beforehand, nothing that takes a lock another thread could hold.
    # ffmpeg runs in its own session (so a timeout kills its whole group); if
    # the worker that started it is killed outright, the kernel kills ffmpeg
    # too instead of leaving it encoding.
    die_with_parent = parent_death_signal(signal.SIGKILL)

    def apply() -> None:
        if die_with_parent is not None:
            die_with_parent()
        cpu = max(1, int(limits.cpu_s))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes))
        resource.setrlimit(
            resource.RLIMIT_AS, (limits.address_space_bytes, limits.address_space_bytes)
        )
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _drain_stderr(stream: IO[bytes], tail: collections.deque[str]) -> None:
    for raw in stream:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            tail.append(line)


def _read_progress(
    stream: IO[bytes], duration_s: float | None, on_progress: ProgressCallback | None
) -> dict[str, str]:
    block: dict[str, str] = {}
    last: dict[str, str] = {}
    for raw in stream:
        key, sep, value = raw.decode("utf-8", "replace").strip().partition("=")
        if not sep:
            continue
        block[key] = value
        if key != "progress":
            continue
        last, block = block, {}
        if on_progress is None:
            continue
        if value == "end":
            on_progress(1.0)
        elif duration_s and duration_s > 0:
            try:
                done_us = int(last.get("out_time_us", "0"))
            except ValueError:  # "N/A" before the first frame
                continue
            on_progress(min(1.0, max(0.0, done_us / (duration_s * 1e6))))
    return last


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _reap(proc: subprocess.Popen[bytes], timer: threading.Timer) -> tuple[int, float]:
    """Wait for the process; kill what it left in its group; return status and CPU seconds."""
    # Wait without reaping first: while the exited process is unreaped its pid
    # (and so its group id) cannot be reused, so the kill reaches only its group.
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    timer.cancel()
    _kill_group(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


def _read_capped(stream: IO[bytes]) -> bytes:
    data = stream.read(_STDOUT_MAX_BYTES + 1)
    if len(data) > _STDOUT_MAX_BYTES:
        raise ValueError(f"more than {_STDOUT_MAX_BYTES} bytes on stdout")
    return data


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    limits: Limits,
    progress: bool = False,
    duration_s: float | None = None,
    on_progress: ProgressCallback | None = None,
    threads: int | None = None,
) -> RunResult:
    """Run ``argv`` in the job folder ``cwd`` under ``limits``; raise FfmpegError on failure.

    ``progress=True`` parses ``-progress pipe:1`` output from stdout (and calls
    ``on_progress`` with the fraction of ``duration_s`` done); otherwise stdout
    is returned whole (ffprobe's JSON).
    """
    if not argv or not Path(argv[0]).is_absolute():
        raise ValueError("argv[0] must be the absolute path of the binary")
    _check_job_folder(cwd)
    tool = Path(argv[0]).name
    tail: collections.deque[str] = collections.deque(maxlen=_STDERR_TAIL_LINES)
    started = time.monotonic()
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=_scrubbed_env(threads),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_limiter(limits),  # setrlimit only: safe between fork and exec
        close_fds=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    timed_out = threading.Event()

    def on_timeout() -> None:
        timed_out.set()
        _kill_group(proc.pid)

    timer = threading.Timer(limits.wall_s, on_timeout)
    timer.daemon = True
    stderr_reader = threading.Thread(target=_drain_stderr, args=(proc.stderr, tail), daemon=True)
    timer.start()
    stderr_reader.start()
    stdout = b""
    last: dict[str, str] = {}
    try:
        if progress:
            last = _read_progress(proc.stdout, duration_s, on_progress)
        else:
            stdout = _read_capped(proc.stdout)
        returncode, cpu_s = _reap(proc, timer)
    except ValueError as exc:
        raise FfmpegError(tool, -1, "", str(exc)) from None
    finally:
        timer.cancel()
        if proc.returncode is None:  # an error on our side left it running
            _kill_group(proc.pid)
            proc.wait()
        stderr_reader.join(timeout=5)
        proc.stdout.close()
        proc.stderr.close()
    elapsed = time.monotonic() - started
    stderr_tail = "\n".join(tail)
    if timed_out.is_set():
        raise FfmpegTimeoutError(
            tool, returncode, stderr_tail, f"killed after {limits.wall_s:g} s wall-clock limit"
        )
    if returncode == -signal.SIGXCPU:
        raise FfmpegLimitError(
            tool, returncode, stderr_tail, f"CPU time limit of {limits.cpu_s} s reached"
        )
    if returncode == -signal.SIGKILL:
        # The hard CPU limit and the kernel's out-of-memory killer both send SIGKILL.
        raise FfmpegLimitError(
            tool, returncode, stderr_tail, "killed (CPU time hard limit, or out of memory)"
        )
    # SIGXFSZ kills ffmpeg at the size limit; a tool that ignores the signal
    # sees EFBIG ("File too large") instead.
    if returncode == -signal.SIGXFSZ or (returncode != 0 and "File too large" in stderr_tail):
        raise FfmpegLimitError(
            tool, returncode, stderr_tail, f"output size limit of {limits.output_bytes} bytes"
        )
    if returncode != 0:
        raise FfmpegError(tool, returncode, stderr_tail)
    return RunResult(
        stdout=stdout, stderr_tail=stderr_tail, elapsed_s=elapsed, progress=last, cpu_s=cpu_s
    )
