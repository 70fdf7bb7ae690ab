"""The supervisor's pool of warm spares (see :mod:`reelstack.cluster.spare`).

A replacement for a dead instance comes from the pool when one is ready, so
it serves in about a second whatever the machine's load; the pool refills a
little later, so the refill does not compete with the replacement for CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

from reelstack.cluster import procs, statefile
from reelstack.pdeathsig import parent_death_signal

log = logging.getLogger(__name__)

SPARE_COMMAND = (sys.executable, "-m", procs.SPARE_MODULE)


class SparePool:
    """Keeps ``size`` spare processes ready to become instances."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        home: Path,
        size: int = 1,
        refill_delay_s: float = 2.0,
        command: tuple[str, ...] = SPARE_COMMAND,
    ) -> None:
        self.env = dict(env)
        self.home = home
        self.size = size
        self.refill_delay_s = refill_delay_s
        self.command = command
        self._ready: list[asyncio.subprocess.Process] = []
        self._refill: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def pids(self) -> list[int]:
        """Return the pids of the spares waiting."""
        return [proc.pid for proc in self._ready]

    def start(self, delay_s: float = 0.0) -> None:
        """Fill the pool (after ``delay_s``) in the background."""
        if self._closed or self.size <= 0:
            return
        if self._refill is None or self._refill.done():
            self._refill = asyncio.create_task(self._fill(delay_s), name="spare-refill")

    async def _fill(self, delay_s: float) -> None:
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        failures = 0
        while not self._closed and len(self._alive()) < self.size:
            try:
                proc = await self._spawn()
            except OSError as exc:
                log.error("cannot start a spare: %s", exc)
                return
            # A spare that dies at once (a broken install) must not loop hot.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(proc.wait()), 0.5)
            if proc.returncode is not None:
                failures += 1
                log.error("a spare exited with %s; see its log", proc.returncode)
                if failures >= 3:
                    return
                continue
            self._ready.append(proc)

    async def _spawn(self) -> asyncio.subprocess.Process:
        path = statefile.logs_dir(self.home) / "spare.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as out:
            return await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                env={**self.env, "REELSTACK_HOME": str(self.home)},
                preexec_fn=parent_death_signal(),
            )

    def _alive(self) -> list[asyncio.subprocess.Process]:
        self._ready = [proc for proc in self._ready if proc.returncode is None]
        return self._ready

    async def become(
        self, env: Mapping[str, str], log_path: Path
    ) -> asyncio.subprocess.Process | None:
        """Turn a ready spare into the instance ``env`` describes; None if none is ready."""
        while self._alive():
            proc = self._ready.pop(0)
            stdin = proc.stdin
            if stdin is None:
                continue
            line = json.dumps({"env": dict(env), "log": str(log_path)}) + "\n"
            try:
                stdin.write(line.encode())
                await stdin.drain()
                stdin.close()
            except (BrokenPipeError, ConnectionResetError) as exc:
                log.warning("spare %d is gone (%s); trying another", proc.pid, exc)
                continue
            self.start(self.refill_delay_s)
            return proc
        self.start(self.refill_delay_s)
        return None

    async def close(self) -> None:
        """Stop the waiting spares."""
        self._closed = True
        if self._refill is not None:
            self._refill.cancel()
            await asyncio.gather(self._refill, return_exceptions=True)
        for proc in self._alive():
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        await asyncio.gather(*(proc.wait() for proc in self._ready), return_exceptions=True)
        self._ready = []
