"""The supervisor's side of the fork server (see :mod:`reelstack.cluster.forkserver`).

:class:`ForkServer` starts the preloaded parent once, asks it for instances
and hands each back as a :class:`ForkedProcess`, which the supervisor watches,
signals and awaits as it does a process it spawned itself. The fork server
reaps its children and reports their exit codes; a signal goes to a child
only while no exit has been reported for it, the same guard (and the same
window) as asyncio's own processes have.

When the fork server is not available (it failed to preload, or died and
died again when restarted), :meth:`ForkServer.spawn` returns None and the
caller starts a fresh interpreter instead: slower, never wrong. If it dies
while instances run, they get SIGTERM from the kernel and drain; each is
reported exited, as killed by SIGTERM, once its process is gone. When code it
preloaded has changed on disk it forks no more (answers ``stale``); a fresh
fork server takes over and the old one exits after its last instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reelstack.cluster import procs, statefile
from reelstack.pdeathsig import parent_death_signal

log = logging.getLogger(__name__)

FORKSERVER_COMMAND = (sys.executable, "-m", procs.FORKSERVER_MODULE)
# Deaths of the fork server in a row (before it forked anything) after which
# instances are started as fresh interpreters for the rest of the run.
MAX_FAILURES = 3


class ForkedProcess:
    """An instance forked by the fork server: pid, return code, wait and signals."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._exited = asyncio.Event()

    async def wait(self) -> int:
        """Wait until the process has exited; return its return code."""
        await self._exited.wait()
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        """Send ``sig``; ProcessLookupError once the process is known to have exited."""
        if self.returncode is not None:
            raise ProcessLookupError(self.pid)
        os.kill(self.pid, sig)

    def kill(self) -> None:
        """SIGKILL the process."""
        self.send_signal(signal.SIGKILL)

    def exited(self, returncode: int) -> None:
        """Record the process' exit (reported by the fork server)."""
        if self.returncode is None:
            self.returncode = returncode
            self._exited.set()


class _Generation:
    """One fork server process, with the requests and children it answers for."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.ready: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.pending: dict[int, asyncio.Future[ForkedProcess | None]] = {}
        self.children: dict[int, ForkedProcess] = {}
        self.forked = 0
        # Retired: forks no more (its preloaded code is stale); it exits after
        # its last child, which it keeps reporting until then.
        self.retired = False
        self.gone = False
        self.reader: asyncio.Task[None] | None = None

    @property
    def serving(self) -> bool:
        return not (self.gone or self.retired)

    def retire(self) -> None:
        self.retired = True
        if self.proc.stdin is not None and not self.proc.stdin.is_closing():
            self.proc.stdin.close()


class ForkServer:
    """Starts the fork server and turns requests for instances into forked processes."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        home: Path,
        command: tuple[str, ...] = FORKSERVER_COMMAND,
        ready_timeout_s: float = 120.0,
    ) -> None:
        self.env = dict(env)
        self.home = home
        self.command = command
        self.ready_timeout_s = ready_timeout_s
        self._gen: _Generation | None = None  # the one that forks now
        self._gens: list[_Generation] = []  # every one still running
        self._launching: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._failures = 0
        self._closed = False
        self._watchers: set[asyncio.Task[None]] = set()

    @property
    def log_path(self) -> Path:
        return statefile.logs_dir(self.home) / "forkserver.log"

    @property
    def pid(self) -> int | None:
        """Return the pid of the fork server that forks now, if one runs."""
        gen = self._gen
        return gen.proc.pid if gen is not None and gen.serving else None

    @property
    def pids(self) -> list[int]:
        """Return the pids of every fork server still running (retired ones too)."""
        return [gen.proc.pid for gen in self._gens if not gen.gone]

    def start(self) -> None:
        """Start the fork server in the background, unless it runs, starts or failed too often."""
        if self._closed or self._failures >= MAX_FAILURES:
            return
        if self._launching is not None and not self._launching.done():
            return
        if self._gen is not None and self._gen.serving:
            return
        self._launching = asyncio.create_task(self._launch(), name="forkserver-start")

    async def _launch(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.log_path.open("ab") as out:
                proc = await asyncio.create_subprocess_exec(
                    *self.command,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=out,
                    env={**self.env, "REELSTACK_HOME": str(self.home)},
                    preexec_fn=parent_death_signal(),
                )
        except OSError as exc:
            log.error("cannot start the fork server: %s", exc)
            self._failures = MAX_FAILURES
            return
        gen = _Generation(proc)
        self._gen = gen
        self._gens.append(gen)
        gen.reader = asyncio.create_task(self._read(gen), name="forkserver-read")

    async def _ready(self) -> _Generation | None:
        """Return the preloaded fork server that forks now; None if there is none to be had."""
        self.start()
        if self._launching is not None:
            await asyncio.shield(self._launching)
        gen = self._gen
        if gen is None or not gen.serving:
            return None
        try:
            ok = await asyncio.wait_for(asyncio.shield(gen.ready), self.ready_timeout_s)
        except TimeoutError:
            log.error("the fork server did not preload in %.0fs: stopping it", self.ready_timeout_s)
            with contextlib.suppress(ProcessLookupError):
                gen.proc.kill()
            return None
        return gen if ok and gen.serving else None

    async def spawn(self, env: Mapping[str, str], log_path: Path) -> ForkedProcess | None:
        """Fork an instance with ``env``, its output to ``log_path``; None if unavailable."""
        # Twice at most: a fork server with stale code hands over to a fresh one.
        for _ in range(2):
            gen = await self._ready()
            if gen is None:
                return None
            child = await self._request(gen, env, log_path)
            if child is not None or not gen.retired:
                return child
        return None

    async def _request(
        self, gen: _Generation, env: Mapping[str, str], log_path: Path
    ) -> ForkedProcess | None:
        stdin = gen.proc.stdin
        if stdin is None:
            return None
        ident = next(self._ids)
        reply: asyncio.Future[ForkedProcess | None] = asyncio.get_running_loop().create_future()
        gen.pending[ident] = reply
        line = json.dumps({"id": ident, "env": dict(env), "log": str(log_path)}) + "\n"
        try:
            stdin.write(line.encode())
            await stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            gen.pending.pop(ident, None)
            log.warning("the fork server is gone (%s)", exc)
            return None
        return await reply

    async def _read(self, gen: _Generation) -> None:
        stdout = gen.proc.stdout
        assert stdout is not None
        try:
            while line := await stdout.readline():
                self._dispatch(gen, json.loads(line))
        except (ValueError, asyncio.LimitOverrunError) as exc:
            log.error("unreadable answer from the fork server: %s; stopping it", exc)
            with contextlib.suppress(ProcessLookupError):
                gen.proc.kill()
        self._lost(gen, await gen.proc.wait())

    def _dispatch(self, gen: _Generation, message: dict[str, Any]) -> None:
        if message.get("ready"):
            if not gen.ready.done():
                gen.ready.set_result(True)
            log.info("the fork server (pid %d) is ready", gen.proc.pid)
        elif "exited" in message:
            child = gen.children.pop(int(message["exited"]), None)
            if child is not None:
                child.exited(int(message["returncode"]))
        elif "pid" in message:
            gen.forked += 1
            self._failures = 0
            child = ForkedProcess(int(message["pid"]))
            gen.children[child.pid] = child
            self._answer(gen, message.get("id"), child)
        elif message.get("stale"):
            if not gen.retired:
                log.info("code changed since the fork server (pid %d) preloaded", gen.proc.pid)
                gen.retire()
            self._answer(gen, message.get("id"), None)
        else:
            log.error("the fork server could not start an instance: %s", message.get("error"))
            self._answer(gen, message.get("id"), None)

    @staticmethod
    def _answer(gen: _Generation, ident: object, child: ForkedProcess | None) -> None:
        reply = gen.pending.pop(ident, None) if isinstance(ident, int) else None
        if reply is not None and not reply.done():
            reply.set_result(child)

    def _lost(self, gen: _Generation, returncode: int) -> None:
        """A fork server exited: fail what waits on it, watch its orphans until gone."""
        gen.gone = True
        self._gens.remove(gen)
        if gen.retired and returncode == 0:
            log.info("the retired fork server (pid %d) has exited", gen.proc.pid)
        elif not self._closed:
            if gen.forked == 0:
                self._failures += 1
            log.error("the fork server exited with %s; see %s", returncode, self.log_path)
        if not gen.ready.done():
            gen.ready.set_result(False)
        for reply in gen.pending.values():
            if not reply.done():
                reply.set_result(None)
        gen.pending.clear()
        for child in gen.children.values():
            task = asyncio.create_task(_watch_orphan(child), name=f"orphan-{child.pid}")
            # The loop keeps only weak references to tasks.
            self._watchers.add(task)
            task.add_done_callback(self._watchers.discard)
        gen.children.clear()

    async def close(self) -> None:
        """Stop every fork server (their instances should be stopped first)."""
        self._closed = True
        if self._launching is not None:
            await asyncio.gather(self._launching, return_exceptions=True)
        gens = list(self._gens)
        for gen in gens:
            gen.retire()
        for gen in gens:
            try:
                await asyncio.wait_for(gen.proc.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    gen.proc.kill()
        await asyncio.gather(*(g.reader for g in gens if g.reader), return_exceptions=True)


async def _watch_orphan(child: ForkedProcess) -> None:
    # Its parent is gone, so nobody reports its exit: it got SIGTERM from the
    # kernel (its parent-death signal) and is gone once it has drained.
    try:
        fd = os.pidfd_open(child.pid)
    except ProcessLookupError:
        child.exited(-signal.SIGTERM)
        return
    loop = asyncio.get_running_loop()
    gone = asyncio.Event()
    loop.add_reader(fd, gone.set)
    try:
        await gone.wait()
    finally:
        loop.remove_reader(fd)
        os.close(fd)
    child.exited(-signal.SIGTERM)
