"""Child processes for tests: started with their output in a log file, always stopped.

A test starts children through :class:`Children` (a fixture closes it, which
stops every child still running). Each child's stdout and stderr go to its
own log file; when a test fails, the log of every child not yet stopped is
added to the failure report (see ``tests/conftest.py``), and a wait on a
child fails at once, with its log, if the child exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from tests.support.wait import WITHIN_S, wait_until

T = TypeVar("T")

LOG_TAIL_CHARS = 4000
REAP_S = 10.0

# Children started and not yet stopped: their logs go into a failing test's report.
_live: list[Child] = []


def live() -> list[Child]:
    """The children started and not yet stopped, oldest first."""
    return list(_live)


class Child:
    """One child process, its stdout and stderr appended to ``log``; starts at once.

    ``env`` adds to (and overrides) the test process's environment.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        log: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.argv = list(argv)
        self.log = log
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.process = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as out:
            process = subprocess.Popen(
                self.argv, env=self.env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT
            )
        _live.append(self)
        return process

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def name(self) -> str:
        return self.log.stem

    def running(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        """Everything the child wrote so far (across restarts)."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        """The end of :meth:`output`, headed by the log's path."""
        text = self.output()
        cut = "...\n" if len(text) > chars else ""
        return f"--- {self.log}\n{cut}{text[-chars:]}"

    def wait_until(self, check: Callable[[], T], what: str, *, within_s: float = WITHIN_S) -> T:
        """:func:`~tests.support.wait.wait_until` that fails at once if the child exits."""

        def alive_and_checked() -> T:
            code = self.process.poll()
            if code is not None:
                raise AssertionError(
                    f"{self.name} exited with {code} while waiting for {what}\n{self.tail()}"
                )
            return check()

        return wait_until(alive_and_checked, what, within_s=within_s, log=self.tail)

    def wait_exit(self, within_s: float = WITHIN_S) -> int:
        """Wait for the child to exit by itself; return its exit code."""
        try:
            return self.process.wait(timeout=within_s)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self.name} still running after {within_s:g}s\n{self.tail()}"
            ) from None

    def kill(self) -> None:
        """SIGKILL (no goodbye to anyone) and wait until it is gone."""
        self.process.kill()
        self.process.wait(timeout=REAP_S)

    def terminate(self, within_s: float = 30.0) -> int:
        """SIGTERM and wait for it to exit; return its exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.wait_exit(within_s)

    def restart(self) -> None:
        """Start the same command again after the child exited."""
        assert self.process.poll() is not None, f"{self.name} still runs"
        if self in _live:
            _live.remove(self)
        self.process = self._spawn()

    def stop(self, grace_s: float = 0.0) -> None:
        """Stop the child if it runs (SIGTERM first when ``grace_s``, then SIGKILL); reap it."""
        if self.process.poll() is None and grace_s > 0:
            self.process.terminate()
            # It had its chance: killed below if it still runs.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace_s)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=REAP_S)
        if self in _live:
            _live.remove(self)


class Children:
    """The children one fixture started, each logging to ``folder/<name>.log``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Child] = []

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Child:
        """Start ``argv`` as a child logging to ``folder/<name>.log``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        child = Child(argv, log=self.folder / f"{name}.log", env=env, cwd=cwd)
        self.started.append(child)
        return child

    def close(self, grace_s: float = 0.0) -> None:
        """Stop every child still running."""
        for child in self.started:
            child.stop(grace_s)
